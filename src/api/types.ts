// Types of the AIWorkload API, inferred from the zod schema (the single source of truth).
import type { z } from 'zod';
import type { aiWorkloadSchema, aiWorkloadSpecSchema, aiWorkloadStatusSchema, ROLES, PLATFORM_PEERS } from './schema.js';

export type AIWorkloadSpec = z.output<typeof aiWorkloadSpecSchema>;
export type AIWorkloadStatus = z.output<typeof aiWorkloadStatusSchema>;
export type AIWorkload = z.output<typeof aiWorkloadSchema>;
export type Component = AIWorkloadSpec['components'][number];
export type ComponentPort = NonNullable<Component['ports']>[number];
export type Permission = NonNullable<Component['permissions']>[number];
export type Flow = NonNullable<AIWorkloadSpec['flows']>[number];
export type IngressRule = NonNullable<AIWorkloadSpec['ingress']>[number];
export type EgressRule = NonNullable<AIWorkloadSpec['egress']>[number];
export type Peer = IngressRule['from'];
export type PortRef = number | string;
export type Role = (typeof ROLES)[number];
export type PlatformPeer = (typeof PLATFORM_PEERS)[number];
export type Condition = NonNullable<AIWorkloadStatus['conditions']>[number];
export type ComponentStatus = NonNullable<AIWorkloadStatus['components']>[number];
