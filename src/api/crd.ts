// Generates the CustomResourceDefinitions (AIWorkload, ThreatFeed) from the zod schemas. `make
// generate` writes them to crds/ and `make verify` fails when the committed copy differs.
import { z } from 'zod';
import { API_VERSION, GROUP, KIND, LIST_KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './constants.js';
import { aiWorkloadSpecSchema, aiWorkloadStatusSchema } from './schema.js';
import {
  THREAT_FEED_KIND, THREAT_FEED_LIST_KIND, THREAT_FEED_PLURAL, THREAT_FEED_SINGULAR, threatFeedSpecSchema, threatFeedStatusSchema,
} from './threatfeed.js';

type JsonSchema = { [key: string]: unknown };

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

const INTEGER_BOUNDS = ['minimum', 'maximum'] as const;
const STRING_BOUNDS = ['minLength', 'maxLength', 'pattern'] as const;

/**
 * Turns zod's JSON Schema into a structural OpenAPI v3 schema as the API server wants it: no
 * `$schema`, no `additionalProperties: false`, no `propertyNames`, `x-kubernetes-int-or-string`
 * with the bounds of both branches instead of an anyOf of integer and string, and no JavaScript safe-integer bounds.
 */
function structural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structural);
  if (!isObject(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true) return intOrString(node);
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (isDropped(key, value)) continue;
    // `properties` maps field names to schemas: its keys are names, not keywords to drop.
    out[key] = key === 'properties' && isObject(value) ? mapValues(value, structural) : structural(value);
  }
  return out;
}

function isDropped(key: string, value: unknown): boolean {
  if (key === '$schema' || key === 'propertyNames') return true;
  if (key === 'additionalProperties') return value === false;
  return (key === 'maximum' || key === 'minimum') && Math.abs(Number(value)) >= Number.MAX_SAFE_INTEGER;
}

const mapValues = (o: JsonSchema, f: (v: unknown) => unknown): JsonSchema => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

function intOrString(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  if (node.description !== undefined) out.description = node.description;
  out['x-kubernetes-int-or-string'] = true;
  // A structural schema forbids typed anyOf branches with bounds, but the API server applies
  // numeric keywords only to numbers and string keywords only to strings, so the bounds of both
  // branches go flat on the node. Without them the CRD took ports 0, 65536 and "HTTP".
  const branches: unknown[] = Array.isArray(node.anyOf) ? node.anyOf : [];
  for (const branch of branches.filter(isObject)) {
    for (const key of boundsOf(branch)) if (branch[key] !== undefined) out[key] = branch[key];
  }
  return out;
}

function boundsOf(branch: JsonSchema): readonly string[] {
  if (branch.type === 'integer') return INTEGER_BOUNDS;
  return branch.type === 'string' ? STRING_BOUNDS : [];
}

function toOpenApi(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' });
  return structural(json) as JsonSchema;
}

const AIWORKLOAD_SOURCE = 'src/api/schema.ts';
const THREAT_FEED_SOURCE = 'src/api/threatfeed.ts';

interface CrdDefinition {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  scope: 'Namespaced' | 'Cluster';
  printerColumns: JsonSchema[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** The file of the zod schema it is generated from. */
  source: string;
}

function crdFor(d: CrdDefinition): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${d.plural}.${GROUP}`,
      annotations: { 'bulkhead.dev/generated-from': `${d.source} (make generate); do not edit by hand` },
      labels: { 'app.kubernetes.io/name': 'bulkhead', 'app.kubernetes.io/part-of': 'bulkhead' },
    },
    spec: {
      group: GROUP,
      scope: d.scope,
      names: {
        kind: d.kind,
        listKind: d.listKind,
        plural: d.plural,
        singular: d.singular,
        ...(d.shortNames === undefined ? {} : { shortNames: d.shortNames }),
        categories: ['bulkhead'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: d.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: d.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
                kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec: toOpenApi(d.spec),
                status: toOpenApi(d.status),
              },
            },
          },
        },
      ],
    },
  };
}

/** The AIWorkload CRD as a plain object. */
export function buildCrd(): JsonSchema {
  return crdFor({
    kind: KIND,
    listKind: LIST_KIND,
    plural: PLURAL,
    singular: SINGULAR,
    shortNames: SHORT_NAMES,
    scope: 'Namespaced',
    printerColumns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
      { name: 'Enforcement', type: 'string', jsonPath: '.spec.enforcement' },
      { name: 'Components', type: 'integer', jsonPath: '.status.componentCount', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description: `AIWorkload (${API_VERSION}) declares the segments of an AI application: for each component a NetworkPolicy that denies everything not declared, a ServiceAccount, and a Role by object name.`,
    spec: aiWorkloadSpecSchema,
    status: aiWorkloadStatusSchema,
    source: AIWORKLOAD_SOURCE,
  });
}

/** The ThreatFeed CRD (cluster-scoped) as a plain object, from src/api/threatfeed.ts. */
export function buildThreatFeedCrd(): JsonSchema {
  return crdFor({
    kind: THREAT_FEED_KIND,
    listKind: THREAT_FEED_LIST_KIND,
    plural: THREAT_FEED_PLURAL,
    singular: THREAT_FEED_SINGULAR,
    scope: 'Cluster',
    printerColumns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
      { name: 'Format', type: 'string', jsonPath: '.spec.format', priority: 1 },
      { name: 'Accepted', type: 'integer', jsonPath: '.status.accepted' },
      { name: 'Rejected', type: 'integer', jsonPath: '.status.rejected' },
      { name: 'Segments', type: 'integer', jsonPath: '.status.segmentsCovered' },
      { name: 'Synced', type: 'date', jsonPath: '.status.lastSuccessfulSync' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description: `ThreatFeed (${API_VERSION}) is a blocklist of networks (inline, from a ConfigMap key, or fetched over HTTPS) to be carved out of the CIDR peers of the AIWorkloads in its scope. The operator reads it, keeps the last good set when the source fails, and carves it out of every covered segment.`,
    spec: threatFeedSpecSchema,
    status: threatFeedStatusSchema,
    source: THREAT_FEED_SOURCE,
  });
}

/** Every CRD of this release, by kind: how to build it and the schema file it comes from. */
export const CRDS: Readonly<Record<string, { build: () => JsonSchema; source: string }>> = {
  [KIND]: { build: buildCrd, source: AIWORKLOAD_SOURCE },
  [THREAT_FEED_KIND]: { build: buildThreatFeedCrd, source: THREAT_FEED_SOURCE },
};
