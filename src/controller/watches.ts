// What the controller watches and which AIWorkloads each event wakes, in one place (the shape of
// controller-runtime's For / Owns / Watches). Every map is a named pure function of the object and
// a read-only index of the caches, unit-tested on its own; the manager only wires informers to
// them. An update maps the old and the new object, so a pod relabelled out of a segment wakes the
// workloads it left as well as those it joined.
import { KIND, LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY_VALUE } from '../api/constants.js';
import type { Labels, StoredObject } from '../api/kubernetes.js';
import type { LabelSelector } from '../api/schema.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { bindingChanged, bindingKeys } from './identity-bindings.js';
import { registryKeys } from './identity-registry.js';

/** What the map functions may read of the caches: indexes (workload-index.ts), never a scan of every AIWorkload. */
export interface WatchIndex {
  /** `namespace/name` of the AIWorkloads of a namespace. */
  keysIn(namespace: string): readonly string[];
  allKeys(): readonly string[];
  /** The AIWorkloads that name this one as a peer. */
  naming(key: string): readonly string[];
  /** The AIWorkloads of the namespace with a segment that selects pods with these labels. */
  selecting(namespace: string, labels: Labels): readonly string[];
  /** The other AIWorkloads of its namespace that share a pod with this one (both select it). */
  sharingPods(obj: StoredObject): readonly string[];
  /** The AIWorkloads of the namespace with a segment that selects a pod this selector selects. */
  selectingPodsOf(namespace: string, selector: LabelSelector): readonly string[];
}

export type MapFunc = (obj: StoredObject, index: WatchIndex) => string[];

export interface Watch {
  /** The informer it hangs on. */
  resource: 'aiworkloads' | 'managed' | 'networkpolicies' | 'pods' | 'namespaces' | 'endpointslices' | 'bindings';
  map: MapFunc;
  /** Whether an update matters at all; absent: every update does. */
  changed?: (oldObj: StoredObject, newObj: StoredObject) => boolean;
  /** Only updates matter (a namespace added or gone changes no selector match of an existing pod). */
  updatesOnly?: boolean;
}

const keyOf = (obj: StoredObject): string => `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
const json = (v: unknown): string => JSON.stringify(v) ?? '';

type Peerish = { workload?: { namespace?: string; name?: string } } | undefined;

/** `namespace/name` of every AIWorkload that `obj` names as a peer. */
export function peerKeys(obj: StoredObject): string[] {
  const spec = obj.spec as Partial<Pick<AIWorkloadSpec, 'ingress' | 'egress'>> | undefined;
  const refs: Peerish[] = [...(spec?.ingress ?? []).map((r) => r.from), ...(spec?.egress ?? []).map((r) => r.to)];
  return refs.flatMap((p) => (p?.workload?.namespace !== undefined && p.workload.name !== undefined ? [`${p.workload.namespace}/${p.workload.name}`] : []));
}

/**
 * workloadKeys (For AIWorkload): the workload itself; the workloads that name it as a peer and
 * those it names (consent is checked on both sides); and the workloads of its namespace that share
 * a pod with it (Overlapping). Not every workload of the namespace: one new AIWorkload among 1,000
 * would otherwise reconcile all of them.
 */
export function workloadKeys(obj: StoredObject, index: WatchIndex): string[] {
  const self = keyOf(obj);
  return unique([self, ...index.naming(self), ...peerKeys(obj), ...index.sharingPods(obj)]);
}

/** A status-only change (the operator's own write) needs no reconcile. */
export const specOrDeletionChanged = (o: StoredObject, n: StoredObject): boolean =>
  o.metadata.generation !== n.metadata.generation || o.metadata.deletionTimestamp !== n.metadata.deletionTimestamp;

/** ownerKeys (Owns): the AIWorkload that controls a generated object, or the one its label names. */
export function ownerKeys(obj: StoredObject): string[] {
  if (obj.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) return [];
  const ns = obj.metadata.namespace ?? 'default';
  const owner = obj.metadata.ownerReferences?.find((o) => o.kind === KIND && o.controller === true);
  if (owner?.name !== undefined) return [`${ns}/${owner.name}`];
  const label = obj.metadata.labels[LABEL_WORKLOAD];
  return label === undefined ? [] : [`${ns}/${label}`];
}


/**
 * podKeys (Watches Pod): the AIWorkloads with a segment that selects the pod (its status counts
 * the pod, IdentityDrift and Overlapping name it). An update maps the old labels and the new, so
 * a pod relabelled out of a segment wakes the workload it left. What a pod changes elsewhere
 * (exposure to it as a peer) is the exposure loop's, not a reconcile's.
 */
export const podKeys: MapFunc = (obj, index) => [...index.selecting(obj.metadata.namespace ?? 'default', obj.metadata.labels ?? {})];

/**
 * policyKeys (Watches NetworkPolicy): ours wake their owner (drift). Anyone else's changes no
 * reconcile's result: what it may widen (exposure, audit) is the exposure loop's, which every
 * NetworkPolicy change marks.
 */
export const policyKeys: MapFunc = (obj) => ownerKeys(obj);

/** A pod matters when its labels, spec or phase change (finished pods stop counting). */
export const podChanged = (o: StoredObject, n: StoredObject): boolean =>
  json(o.metadata.labels) !== json(n.metadata.labels) || json(o.spec) !== json(n.spec) ||
  json((o.status as { phase?: string } | undefined)?.phase) !== json((n.status as { phase?: string } | undefined)?.phase);

/** allKeys: every AIWorkload (namespace labels decide namespaceSelectors; the API server's endpoints every KubeAPIServer rule). */
export const allKeys: MapFunc = (_obj, index) => [...index.allKeys()];

/** Namespaces matter when their labels change. */
export const labelsChanged = (o: StoredObject, n: StoredObject): boolean => json(o.metadata.labels) !== json(n.metadata.labels);

/**
 * WATCHES: For AIWorkload, Owns the generated kinds (and the identity registry's entries in the
 * operator's namespace), Watches policies, pods, namespaces, the API server's endpoints and the
 * bindings that may widen a segment's identity.
 */
export const WATCHES: readonly Watch[] = [
  { resource: 'aiworkloads', map: workloadKeys, changed: specOrDeletionChanged },
  { resource: 'managed', map: ownerKeys },
  { resource: 'managed', map: registryKeys },
  { resource: 'bindings', map: bindingKeys, changed: bindingChanged },
  { resource: 'networkpolicies', map: policyKeys },
  { resource: 'pods', map: podKeys, changed: podChanged },
  { resource: 'namespaces', map: allKeys, changed: labelsChanged, updatesOnly: true },
  { resource: 'endpointslices', map: allKeys },
];

/**
 * EXPOSURE_WATCHES: which AIWorkloads' exposure analysis (exposure-loop.ts) an event may change,
 * beyond those whose last result depended on the whole cluster (they are marked on every such
 * event). Whether a workload can be exposed at all depends only on its namespace: the pods its
 * segments select, and the policies that select those pods (exposure.ts, mayBeExposed).
 */
export const EXPOSURE_WATCHES: readonly Pick<Watch, 'resource' | 'map'>[] = [
  // A pod joins or leaves segments: the workloads that select it (old labels and new).
  { resource: 'pods', map: podKeys },
  // A policy selects pods: the workloads whose segments select one of them (old selector and new).
  { resource: 'networkpolicies', map: (obj, index) => [...index.selectingPodsOf(obj.metadata.namespace ?? 'default', (obj.spec as { podSelector?: LabelSelector } | undefined)?.podSelector ?? {})] },
  // Namespace labels only matter to namespaceSelectors, which only the full analysis reads.
  { resource: 'namespaces', map: () => [] },
];

/** updateKeys maps an update: nothing when it does not matter, else the keys of old and new. */
export function updateKeys(w: Watch, oldObj: StoredObject, newObj: StoredObject, index: WatchIndex): string[] {
  if (w.changed !== undefined && !w.changed(oldObj, newObj)) return [];
  return unique([...w.map(oldObj, index), ...w.map(newObj, index)]);
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}
