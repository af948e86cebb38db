// From manifest text to ClusterFacts. Pure: the caller reads the files. YAML multi-document
// streams, JSON, and `List` kinds (List, PodList, NamespaceList, ...) are understood; kinds the
// analysis does not need (Service, ConfigMap, RBAC, Ingress, Route, ...) are skipped.
import { loadAll } from 'js-yaml';
import { WORKLOAD_KINDS, type Namespace, type NetworkPolicy, type Pod, type Workload } from '../api/kubernetes.js';
import type { ClusterFacts } from './types.js';

export interface MutableFacts {
  namespaces: Namespace[];
  pods: Pod[];
  workloads: Workload[];
  networkPolicies: NetworkPolicy[];
}

export function emptyFacts(): MutableFacts {
  return { namespaces: [], pods: [], workloads: [], networkPolicies: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Thrown for input the analysis cannot use; the message names the source and the problem. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Where each kind the analysis reads is filed; every such object must have a name. */
const BUCKET_OF_KIND: ReadonlyMap<string, keyof MutableFacts> = new Map<string, keyof MutableFacts>([
  ['Namespace', 'namespaces'],
  ['Pod', 'pods'],
  ['NetworkPolicy', 'networkPolicies'],
  ...WORKLOAD_KINDS.map((k): [string, keyof MutableFacts] => [k, 'workloads']),
]);

/** Files each item of a `List` (or `PodList`, ...); false when `obj` is no list. */
function addListItems(facts: MutableFacts, obj: Record<string, unknown>, kind: string | undefined, where: string): boolean {
  if (kind === undefined || !kind.endsWith('List') || !Array.isArray(obj.items)) return false;
  const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
  obj.items.forEach((item, i) => addObject(facts, item, `${where} items[${i}]`, itemKind));
  return true;
}

/** Checks the fields the analysis reads, as far as it reads them. */
function checkShape(obj: Record<string, unknown>, kind: string, where: string): void {
  if (obj.metadata !== undefined && !isRecord(obj.metadata)) throw new ManifestError(`${where}: ${kind} metadata must be a mapping`);
  const name = obj.metadata === undefined ? undefined : obj.metadata.name;
  if (BUCKET_OF_KIND.has(kind) && (typeof name !== 'string' || name === '')) throw new ManifestError(`${where}: ${kind} has no metadata.name`);
  if (obj.spec !== undefined && obj.spec !== null && !isRecord(obj.spec)) throw new ManifestError(`${where}: ${kind} ${String(name)}: spec must be a mapping`);
}

/**
 * addObject files one parsed object (or List) into `facts`. `where` names the object for errors.
 * Boundary: the object comes from untrusted YAML/JSON; its shape is checked only as far as the
 * analysis reads it, and it is then trusted as the Kubernetes type its kind names.
 */
export function addObject(facts: MutableFacts, obj: unknown, where: string, impliedKind?: string): void {
  if (obj === null || obj === undefined) return; // an empty YAML document
  if (!isRecord(obj)) throw new ManifestError(`${where}: expected a Kubernetes object, got ${Array.isArray(obj) ? 'a list' : typeof obj}`);
  const kind = typeof obj.kind === 'string' ? obj.kind : impliedKind;
  if (addListItems(facts, obj, kind, where)) return;
  if (kind === undefined) throw new ManifestError(`${where}: object has no "kind"`);
  checkShape(obj, kind, where);
  const bucket = BUCKET_OF_KIND.get(kind);
  // The trust boundary: from here on the object is taken to be the type its kind names.
  if (bucket !== undefined) facts[bucket].push({ ...obj, kind });
}

/** parseManifests parses one file's text (YAML stream or JSON) into `facts`. */
export function parseManifests(facts: MutableFacts, text: string, fileName: string): void {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ManifestError(`${fileName}: cannot parse YAML/JSON: ${msg.split('\n')[0] ?? msg}`);
  }
  docs.forEach((doc, i) => addObject(facts, doc, docs.length > 1 ? `${fileName} (document ${i + 1})` : fileName));
}

export function freezeFacts(f: MutableFacts): ClusterFacts {
  return f;
}
