// What the compiler needs to know besides the AIWorkload itself. The controller gathers these from
// its informer caches; `bulkhead render` fills them from the file and defaults.
import { METADATA_ADDRESSES } from '../api/constants.js';
import type { LabelSelector } from '../api/schema.js';
import type { AIWorkloadSpec } from '../api/types.js';
import type { BlockedSet } from '../threatfeed/merge.js';

/**
 * Where the platform peers live, and the cloud metadata endpoints every CIDR egress leaves out.
 * Operator configuration, with defaults for a stock cluster.
 */
export interface PlatformConfig {
  dns: { namespace: string; podSelector: LabelSelector };
  monitoring: { namespace: string; podSelector: LabelSelector };
  /** CIDRs excepted from every CIDR egress unless the component sets allowMetadataAccess (--metadata-cidrs). */
  metadataAddresses: string[];
}

export const DEFAULT_PLATFORM: PlatformConfig = {
  dns: { namespace: 'kube-system', podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
  monitoring: { namespace: 'monitoring', podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
  metadataAddresses: [...METADATA_ADDRESSES],
};

/** A copy of DEFAULT_PLATFORM that flags may change (a plain copy: structuredClone's objects come
 * from another realm under jest's VM, which js-yaml refuses to dump). */
export function defaultPlatform(): PlatformConfig {
  return JSON.parse(JSON.stringify(DEFAULT_PLATFORM)) as PlatformConfig;
}

/** Another AIWorkload, as far as peer resolution needs it. */
export interface PeerWorkload {
  namespace: string;
  name: string;
  spec: AIWorkloadSpec;
}

export interface CompileFacts {
  platform: PlatformConfig;
  /** Other AIWorkloads by `namespace/name`, to resolve `{workload: ...}` peers. */
  workloads: ReadonlyMap<string, PeerWorkload>;
  /** The API server's addresses and ports (from the default/kubernetes EndpointSlice); undefined when unknown. */
  kubeAPIServer?: { addresses: string[]; ports: number[] } | undefined;
  /** The threat feeds whose scope covers the workload, merged: carved out of every CIDR peer. */
  threatFeeds?: FeedsInForce | undefined;
  /** Instead of threatFeeds, when one set of facts serves workloads of several namespaces (the CLI). */
  threatFeedsFor?: ((namespace: string) => FeedsInForce | undefined) | undefined;
}

/** The blocked networks of the ThreatFeeds that cover one AIWorkload, as one merged set. */
export interface FeedsInForce {
  /** The ThreatFeeds, by name (sorted), for messages. */
  names: readonly string[];
  blocked: BlockedSet;
}

export interface WorkloadInput {
  name: string;
  namespace: string;
  /** When set, every generated object gets a controller ownerReference to the AIWorkload. */
  uid?: string | undefined;
  spec: AIWorkloadSpec;
}
