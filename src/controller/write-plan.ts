// The writes that converge one AIWorkload's generated objects: pure, so that audit mode can report
// exactly what enforcing would do, and so that an idle resync provably plans nothing.
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import type { StoredObject } from '../api/kubernetes.js';
import { isSubset } from './status.js';

/** A generated object as the cache shows it, keyed by `Kind/name` in {@link LiveObjects}. */
export interface LiveObject {
  kind: GeneratedKind;
  obj: StoredObject;
}

export type LiveObjects = ReadonlyMap<string, LiveObject>;

export interface PlannedApply {
  obj: GeneratedObject;
  /** False when the object is not in the cache: applying creates it. */
  exists: boolean;
}

/**
 * PlannedStrip removes labels and annotations that someone else added to a generated object: a
 * cloud identity annotation on a segment's ServiceAccount (eks.amazonaws.com/role-arn, say) would
 * hand it credentials the AIWorkload never declared. Server-side apply cannot remove another
 * manager's fields, so this is a merge patch, conditional on the resourceVersion it was planned on.
 */
export interface PlannedStrip {
  kind: GeneratedKind;
  name: string;
  labels: string[];
  annotations: string[];
  resourceVersion?: string;
}

/** WritePlan lists the writes in the order they are made: every apply, every strip, every prune. */
export interface WritePlan {
  apply: PlannedApply[];
  strip: PlannedStrip[];
  prune: LiveObject[];
}

/**
 * DEFAULT_KEEP_METADATA: keys other tools legitimately add to objects they did not create, left in
 * place (`bulkhead run --keep-metadata` adds more; a trailing `*` matches a prefix).
 */
export const DEFAULT_KEEP_METADATA: readonly string[] = ['kubectl.kubernetes.io/last-applied-configuration'];

const kept = (key: string, keep: readonly string[]): boolean =>
  keep.some((k) => (k.endsWith('*') ? key.startsWith(k.slice(0, -1)) : key === k));

/** foreignMetadata: the label and annotation keys of `live` that `desired` does not declare and `keep` does not spare. */
export function foreignMetadata(desired: GeneratedObject, live: StoredObject, keep: readonly string[]): { labels: string[]; annotations: string[] } {
  const extra = (have: Record<string, string> | undefined, want: Record<string, string> | undefined): string[] =>
    Object.keys(have ?? {}).filter((k) => !Object.hasOwn(want ?? {}, k) && !kept(k, keep)).sort();
  const liveAnnotations = (live.metadata as { annotations?: Record<string, string> }).annotations;
  return { labels: extra(live.metadata.labels, desired.metadata.labels), annotations: extra(liveAnnotations, desired.metadata.annotations) };
}

export const liveKey = (kind: GeneratedKind, name: string): string => `${kind}/${name}`;

/** ownedBy is true when `uid` is the object's controller: only such objects are ever pruned. */
export const ownedBy = (obj: StoredObject, uid: string): boolean =>
  (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);

/**
 * The parts of a generated object the API server adds nothing to: the whole of a NetworkPolicy's
 * spec (the compiler writes policyTypes and every port's protocol) and a Role's rules. There the
 * live object must hold exactly the desired fields, not only include them: a field the operator
 * no longer writes (the last entry of an ipBlock's except, a resourceName) must go, and a
 * subset test alone would call the object converged and never remove it.
 */
function exactPart(o: GeneratedObject): { field: string; value: unknown } | undefined {
  if (o.kind === 'NetworkPolicy') return { field: 'spec', value: o.spec };
  return o.kind === 'Role' ? { field: 'rules', value: o.rules } : undefined;
}

/** True when the cached object already shows every desired field (and no more, where exactPart says). */
export function converged(desired: GeneratedObject, live: StoredObject): boolean {
  if (!isSubset(desired, live)) return false;
  const exact = exactPart(desired);
  return exact === undefined || isSubset(live[exact.field], exact.value);
}

/**
 * planWrites applies every desired object whose fields the cache does not already show (server-side
 * apply would otherwise send a PATCH on every resync), and prunes every live object owned by `uid`
 * that is no longer desired. An object only labelled for the workload is never pruned: it may be
 * someone else's.
 */
export function planWrites(desired: readonly GeneratedObject[], live: LiveObjects, uid: string, keep: readonly string[] = DEFAULT_KEEP_METADATA): WritePlan {
  const apply: PlannedApply[] = [];
  const strip: PlannedStrip[] = [];
  for (const obj of desired) {
    const current = live.get(liveKey(obj.kind, obj.metadata.name));
    if (current === undefined || !converged(obj, current.obj)) apply.push({ obj, exists: current !== undefined });
    if (current === undefined) continue;
    const foreign = foreignMetadata(obj, current.obj, keep);
    if (foreign.labels.length + foreign.annotations.length === 0) continue;
    const resourceVersion = current.obj.metadata.resourceVersion;
    strip.push({ kind: obj.kind, name: obj.metadata.name, ...foreign, ...(resourceVersion === undefined ? {} : { resourceVersion }) });
  }
  const desiredKeys = new Set(desired.map((o) => liveKey(o.kind, o.metadata.name)));
  const prune = [...live].filter(([key, l]) => !desiredKeys.has(key) && ownedBy(l.obj, uid)).map(([, l]) => l);
  return { apply, strip, prune };
}

/** The change an apply makes, as Events and audit reports name it: `create Role model`. */
export const describeApply = (a: PlannedApply): string => `${a.exists ? 'update' : 'create'} ${a.obj.kind} ${a.obj.metadata.name}`;

/** The change a prune makes: `delete Role model`. */
export const describePrune = (p: LiveObject): string => `delete ${p.kind} ${p.obj.metadata.name}`;

/** The change a strip makes: `remove annotation eks.amazonaws.com/role-arn from ServiceAccount w-model`. */
export const describeStrip = (s: PlannedStrip): string =>
  `remove ${[...s.labels.map((k) => `label ${k}`), ...s.annotations.map((k) => `annotation ${k}`)].join(', ')} from ${s.kind} ${s.name}`;

/** Every change of the plan, in the order it is made. */
export const describePlan = (plan: WritePlan): string[] => [...plan.apply.map(describeApply), ...plan.strip.map(describeStrip), ...plan.prune.map(describePrune)];
