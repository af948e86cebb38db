// An AIWorkload document as a file holds it, checked as the API server checks a create with strict
// field validation (kubectl apply's default): apiVersion and kind, metadata (the name a DNS-1123
// subdomain, the namespace a DNS-1123 label, labels and annotations as Kubernetes takes them, no
// unknown keys), no field the CRD's schema does not declare, and then the spec (validate.ts).
// Unknown fields are found by walking the structural schema generated for the CRD (crd.ts), the
// same schema the API server walks, so that `bulkhead render` refuses exactly the fields the API
// server refuses.
import { API_VERSION, KIND } from './constants.js';
import { buildCrd } from './crd.js';
import { LABEL_KEY, LABEL_VALUE } from './schema.js';
import type { AIWorkloadSpec } from './types.js';
import { type FieldProblem, validateSpec } from './validate.js';

/** A structural schema node, as far as unknown fields are concerned. */
interface StructuralSchema {
  properties?: Record<string, StructuralSchema>;
  items?: StructuralSchema;
  additionalProperties?: StructuralSchema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** The keys of ObjectMeta a client may send (metav1.ObjectMeta's JSON names). */
const OBJECT_META = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The API server's limit on the total size of an object's annotations (keys and values). */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

let documentSchema: StructuralSchema | undefined;

/** The AIWorkload's schema as the CRD declares it, with metadata as ObjectMeta. */
function schemaOfDocument(): StructuralSchema {
  if (documentSchema !== undefined) return documentSchema;
  const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: StructuralSchema } }[] } };
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema ?? {};
  const metadata: StructuralSchema = { properties: Object.fromEntries(OBJECT_META.map((k) => [k, { 'x-kubernetes-preserve-unknown-fields': true }])) };
  documentSchema = { properties: { ...root.properties, metadata } };
  return documentSchema;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  const near = known.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2).sort((x, y) => distance(x, key) - distance(y, key))[0];
  return `unknown field ${JSON.stringify(key)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}; the fields here are ${known.join(', ')}`;
}

const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);

/** The keys of `value` its schema does not declare, at every depth, as the API server's strict decoding reports them. */
export function unknownFields(value: unknown, schema: StructuralSchema, path = ''): FieldProblem[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  if (Array.isArray(value)) return schema.items === undefined ? [] : value.flatMap((v, i) => unknownFields(v, schema.items as StructuralSchema, at(path, i)));
  if (!isObject(value)) return [];
  const { properties, additionalProperties } = schema;
  if (properties === undefined) {
    // A map: every key is allowed, and its values follow the value schema.
    return isObject(additionalProperties) ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, additionalProperties, at(path, k))) : [];
  }
  return Object.entries(value).flatMap(([k, v]) => {
    const child = properties[k];
    if (child === undefined) return [{ field: at(path, k), message: unknownFieldMessage(k, Object.keys(properties)) }];
    return unknownFields(v, child, at(path, k));
  });
}

/** A qualified name, as label and annotation keys must be: an optional DNS subdomain prefix and "/", then a name. */
function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  return LABEL_KEY.test(key) && prefix.length <= 253 && key.length - slash - 1 <= 63;
}

function labelProblems(labels: unknown): FieldProblem[] {
  if (labels === undefined) return [];
  if (!isObject(labels)) return [{ field: 'metadata.labels', message: `must be a map of strings, not ${JSON.stringify(labels)}` }];
  return Object.entries(labels).flatMap(([k, v]): FieldProblem[] => {
    if (!isQualifiedName(k)) return [{ field: `metadata.labels[${JSON.stringify(k)}]`, message: `${JSON.stringify(k)} is not a label key (an optional DNS subdomain prefix and "/", then a name of at most 63 letters, digits, "-", "_" and ".")` }];
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) return [{ field: `metadata.labels[${JSON.stringify(k)}]`, message: `${JSON.stringify(v)} is not a label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit)` }];
    return [];
  });
}

function annotationProblems(annotations: unknown): FieldProblem[] {
  if (annotations === undefined) return [];
  if (!isObject(annotations)) return [{ field: 'metadata.annotations', message: `must be a map of strings, not ${JSON.stringify(annotations)}` }];
  const problems = Object.entries(annotations).flatMap(([k, v]): FieldProblem[] => {
    if (!isQualifiedName(k)) return [{ field: `metadata.annotations[${JSON.stringify(k)}]`, message: `${JSON.stringify(k)} is not an annotation key (an optional DNS subdomain prefix and "/", then a name of at most 63 characters)` }];
    return typeof v === 'string' ? [] : [{ field: `metadata.annotations[${JSON.stringify(k)}]`, message: `must be a string, not ${JSON.stringify(v)}` }];
  });
  const bytes = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
  if (bytes > ANNOTATIONS_MAX_BYTES) problems.push({ field: 'metadata.annotations', message: `${bytes} bytes in all; the API server takes at most ${ANNOTATIONS_MAX_BYTES}` });
  return problems;
}

/** `namespace` is a namespace name (a DNS-1123 label). */
export const isNamespaceName = (namespace: unknown): boolean => typeof namespace === 'string' && namespace.length <= 63 && DNS1123_LABEL.test(namespace);

/** The name of a custom resource is a DNS-1123 subdomain (the API server's NameIsDNSSubdomain). */
const isObjectName = (name: unknown): boolean => typeof name === 'string' && name.length <= 253 && DNS1123_SUBDOMAIN.test(name);

function nameProblems(name: unknown, namespace: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (name === undefined || name === '') problems.push({ field: 'metadata.name', message: 'required' });
  else if (!isObjectName(name)) {
    problems.push({ field: 'metadata.name', message: `${JSON.stringify(name)} is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)` });
  }
  if (namespace !== undefined && !isNamespaceName(namespace)) {
    problems.push({ field: 'metadata.namespace', message: `${JSON.stringify(namespace)} is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)` });
  }
  return problems;
}

export type ManifestResult =
  | { ok: true; name: string; namespace: string | undefined; spec: AIWorkloadSpec }
  | { ok: false; problems: FieldProblem[] };

/**
 * validateManifest checks one document as the API server would on a strict create, then its spec
 * as the controller does (validate.ts; those checks go beyond the CRD). Every problem names its
 * field and the offending value.
 */
export function validateManifest(raw: unknown): ManifestResult {
  if (!isObject(raw)) return { ok: false, problems: [{ field: '(document)', message: `an AIWorkload is a map with apiVersion, kind, metadata and spec, not ${JSON.stringify(raw)}` }] };
  if (raw['kind'] !== KIND || raw['apiVersion'] !== API_VERSION) {
    return { ok: false, problems: [{ field: 'apiVersion/kind', message: `must be ${API_VERSION} ${KIND} (got ${String(raw['apiVersion'])} ${String(raw['kind'])})` }] };
  }
  const metadata = isObject(raw['metadata']) ? raw['metadata'] : {};
  const problems = [
    ...unknownFields(raw, schemaOfDocument()),
    ...nameProblems(metadata['name'], metadata['namespace']),
    ...labelProblems(metadata['labels']),
    ...annotationProblems(metadata['annotations']),
  ];
  const spec = validateSpec(raw['spec']);
  if (!spec.ok) problems.push(...spec.problems);
  if (!spec.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, name: metadata['name'] as string, namespace: metadata['namespace'] as string | undefined, spec: spec.spec };
}
