// The writes that converge one AIWorkload's generated objects: pure, so that audit mode can report
// exactly what enforcing would do, and so that an idle resync provably plans nothing.
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import type { KubeObject } from './reconciler.js';
import { isSubset } from './status.js';

/** A generated object as the cache shows it, keyed by `Kind/name` in {@link LiveObjects}. */
export interface LiveObject {
  kind: GeneratedKind;
  obj: KubeObject;
}

export type LiveObjects = ReadonlyMap<string, LiveObject>;

export interface PlannedApply {
  obj: GeneratedObject;
  /** False when the object is not in the cache: applying creates it. */
  exists: boolean;
}

/** WritePlan lists the writes in the order they are made: every apply, then every prune. */
export interface WritePlan {
  apply: PlannedApply[];
  prune: LiveObject[];
}

export const liveKey = (kind: GeneratedKind, name: string): string => `${kind}/${name}`;

/** ownedBy is true when `uid` is the object's controller: only such objects are ever pruned. */
export const ownedBy = (obj: KubeObject, uid: string): boolean =>
  (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);

/**
 * planWrites applies every desired object whose fields the cache does not already show (server-side
 * apply would otherwise send a PATCH on every resync), and prunes every live object owned by `uid`
 * that is no longer desired. An object only labelled for the workload is never pruned: it may be
 * someone else's.
 */
export function planWrites(desired: readonly GeneratedObject[], live: LiveObjects, uid: string): WritePlan {
  const apply: PlannedApply[] = [];
  for (const obj of desired) {
    const current = live.get(liveKey(obj.kind, obj.metadata.name));
    if (current === undefined || !isSubset(obj, current.obj)) apply.push({ obj, exists: current !== undefined });
  }
  const desiredKeys = new Set(desired.map((o) => liveKey(o.kind, o.metadata.name)));
  const prune = [...live].filter(([key, l]) => !desiredKeys.has(key) && ownedBy(l.obj, uid)).map(([, l]) => l);
  return { apply, prune };
}

/** The change an apply makes, as Events and audit reports name it: `create Role model`. */
export const describeApply = (a: PlannedApply): string => `${a.exists ? 'update' : 'create'} ${a.obj.kind} ${a.obj.metadata.name}`;

/** The change a prune makes: `delete Role model`. */
export const describePrune = (p: LiveObject): string => `delete ${p.kind} ${p.obj.metadata.name}`;

/** Every change of the plan, applies first. */
export const describePlan = (plan: WritePlan): string[] => [...plan.apply.map(describeApply), ...plan.prune.map(describePrune)];
