// Generates the AIWorkload CustomResourceDefinition from the zod schema. `make generate` writes the
// result to crds/ and `make verify` fails when the committed copy differs.
import { z } from 'zod';
import { API_VERSION, CRD_NAME, GROUP, KIND, LIST_KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './constants.js';
import { aiWorkloadSpecSchema, aiWorkloadStatusSchema } from './schema.js';

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
  const out: JsonSchema = {};
  if (node['x-kubernetes-int-or-string'] === true) {
    if (node.description !== undefined) out.description = node.description;
    out['x-kubernetes-int-or-string'] = true;
    // A structural schema forbids typed anyOf branches with bounds, but the API server applies
    // numeric keywords only to numbers and string keywords only to strings, so the bounds of both
    // branches go flat on the node. Without them the CRD took ports 0, 65536 and "HTTP".
    for (const branch of Array.isArray(node.anyOf) ? node.anyOf : []) {
      if (!isObject(branch)) continue;
      const keys = branch.type === 'integer' ? INTEGER_BOUNDS : branch.type === 'string' ? STRING_BOUNDS : [];
      for (const key of keys) if (branch[key] !== undefined) out[key] = branch[key];
    }
    return out;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if ((key === 'maximum' || key === 'minimum') && Math.abs(Number(value)) >= Number.MAX_SAFE_INTEGER) continue;
    out[key] = key === 'properties' && isObject(value)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structural(v)]))
      : structural(value);
  }
  return out;
}

function toOpenApi(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' });
  return structural(json) as JsonSchema;
}

/** The CRD as a plain object. */
export function buildCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      annotations: { 'bulkhead.dev/generated-from': 'src/api/schema.ts (make generate); do not edit by hand' },
      labels: { 'app.kubernetes.io/name': 'bulkhead', 'app.kubernetes.io/part-of': 'bulkhead' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: LIST_KIND, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: ['bulkhead'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
            { name: 'Enforcement', type: 'string', jsonPath: '.spec.enforcement' },
            { name: 'Components', type: 'integer', jsonPath: '.status.componentCount', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `AIWorkload (${API_VERSION}) declares the segments of an AI application: for each component a NetworkPolicy that denies everything not declared, a ServiceAccount, and a Role by object name.`,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
                kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec: toOpenApi(aiWorkloadSpecSchema),
                status: toOpenApi(aiWorkloadStatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}
