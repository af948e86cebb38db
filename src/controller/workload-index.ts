// The controller's indexes over the AIWorkloads in its cache, kept current from the informer's
// events so that neither a reconcile nor an event handler scans every AIWorkload (kubebuilder's
// IndexField): each workload's validation, done once per version of the object; the valid peers
// that `{workload: …}` peers resolve against; who names whom as a peer; and which segments of a
// namespace can select a pod with given labels. Pure: the manager feeds it the informer's objects.
import { selectorMatches } from '../analysis/selectors.js';
import type { Labels, StoredObject } from '../api/kubernetes.js';
import type { LabelSelector } from '../api/schema.js';
import { type ValidationResult, validateSpec } from '../api/validate.js';
import type { PeerWorkload } from '../compile/facts.js';
import { peerKeys, type WatchIndex } from './watches.js';

interface Entry {
  /** The cached object this entry was computed from: an informer replaces it on every change. */
  obj: StoredObject;
  namespace: string;
  validation: ValidationResult;
  /** The workloads it names as peers (from the raw spec, so that an invalid one still wakes them). */
  names: string[];
  selectors: readonly LabelSelector[];
  /** Per selector, the byLabel key it is filed under; undefined: filed under unkeyed. */
  labelKeys: (string | undefined)[];
}

const labelKey = (namespace: string, key: string, value: string): string => `${namespace}\u0000${key}=${value}`;

/** Where a selector is filed: under one label it requires, or (undefined) with those that require none. */
function filedUnder(namespace: string, s: LabelSelector): string | undefined {
  const first = Object.entries(s.matchLabels ?? {})[0];
  return first === undefined ? undefined : labelKey(namespace, first[0], first[1]);
}

function entryOf(obj: StoredObject): Entry {
  const validation = validateSpec(obj.spec);
  const namespace = obj.metadata.namespace ?? 'default';
  const selectors = validation.ok ? validation.spec.components.map((c) => c.selector) : [];
  return { obj, namespace, validation, names: peerKeys(obj), selectors, labelKeys: selectors.map((s) => filedUnder(namespace, s)) };
}

const keyOf = (obj: StoredObject): string => `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;

function addTo(map: Map<string, Set<string>>, key: string, member: string): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([member]));
  else set.add(member);
}

function removeFrom(map: Map<string, Set<string>>, key: string, member: string): void {
  const set = map.get(key);
  set?.delete(member);
  if (set?.size === 0) map.delete(key);
}

export interface WorkloadIndexOptions {
  /** The labels of the pods of a namespace (the pod cache), for sharingPods. @default none */
  podLabelsIn?: (namespace: string) => readonly Labels[];
}

export class WorkloadIndex implements WatchIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly namedBy = new Map<string, Set<string>>();
  private readonly peers = new Map<string, PeerWorkload>();
  /**
   * Segments by one label their selector requires (`namespace` + NUL + `key=value`), so a pod event
   * looks up only the segments that can match one of its labels; selectors that require no label
   * value (matchExpressions only) are in `unkeyed`, by namespace, and always checked.
   */
  private readonly byLabel = new Map<string, Set<string>>();
  private readonly unkeyed = new Map<string, Set<string>>();
  /** How many specs were validated: the cost the index saves is visible to tests and benchmarks. */
  validations = 0;

  constructor(private readonly opts: WorkloadIndexOptions = {}) {}

  /** upsert records the current version of a workload (an add or an update). */
  upsert(obj: StoredObject): void {
    const key = keyOf(obj);
    const old = this.entries.get(key);
    if (old?.obj === obj) return;
    if (old !== undefined) this.forget(key, old);
    this.validations++;
    const entry = entryOf(obj);
    this.entries.set(key, entry);
    addTo(this.byNamespace, entry.namespace, key);
    for (const named of entry.names) addTo(this.namedBy, named, key);
    for (const label of entry.labelKeys) addTo(label === undefined ? this.unkeyed : this.byLabel, label ?? entry.namespace, key);
    // A deleted workload's consent is gone: it is no peer (as peerWorkloads in live-facts.ts says).
    const { validation } = entry;
    if (validation.ok && obj.metadata.deletionTimestamp === undefined) this.peers.set(key, { namespace: entry.namespace, name: obj.metadata.name, spec: validation.spec });
  }

  remove(obj: StoredObject): void {
    const key = keyOf(obj);
    const old = this.entries.get(key);
    if (old !== undefined) this.forget(key, old);
  }

  private forget(key: string, entry: Entry): void {
    this.entries.delete(key);
    removeFrom(this.byNamespace, entry.namespace, key);
    for (const named of entry.names) removeFrom(this.namedBy, named, key);
    for (const label of entry.labelKeys) removeFrom(label === undefined ? this.unkeyed : this.byLabel, label ?? entry.namespace, key);
    this.peers.delete(key);
  }

  /** The validation of this version of the workload: from the index when it is the indexed version. */
  validation(obj: StoredObject): ValidationResult {
    const entry = this.entries.get(keyOf(obj));
    if (entry?.obj === obj) return entry.validation;
    this.validations++;
    return validateSpec(obj.spec);
  }

  /** The valid AIWorkloads not being deleted, by `namespace/name`: what workload peers resolve against. */
  peerWorkloads(): ReadonlyMap<string, PeerWorkload> {
    return this.peers;
  }

  keysIn(namespace: string): string[] {
    return [...(this.byNamespace.get(namespace) ?? [])];
  }

  allKeys(): string[] {
    return [...this.entries.keys()];
  }

  /** Every workload with its namespace and number of segments (0 while its spec is invalid). */
  segmentCounts(): { key: string; namespace: string; segments: number }[] {
    return [...this.entries].map(([key, e]) => ({ key, namespace: e.namespace, segments: e.validation.ok ? e.validation.spec.components.length : 0 }));
  }

  naming(key: string): string[] {
    return [...(this.namedBy.get(key) ?? [])];
  }

  /**
   * The other workloads of the namespace that share a pod with this version of `obj`: a segment of
   * each selects a pod that one of its segments selects (so their Overlapping conditions may
   * change with it). Costs the namespace's pods, not its workloads.
   */
  sharingPods(obj: StoredObject): string[] {
    const v = this.validation(obj);
    if (!v.ok) return [];
    const namespace = obj.metadata.namespace ?? 'default';
    const self = keyOf(obj);
    const sharing = new Set(v.spec.components.flatMap((c) => this.selectingPodsOf(namespace, c.selector)));
    sharing.delete(self);
    return [...sharing];
  }

  /** The workloads of the namespace with a segment that selects a pod the selector selects (a NetworkPolicy's podSelector, say). */
  selectingPodsOf(namespace: string, selector: LabelSelector): string[] {
    const out = new Set<string>();
    for (const labels of this.opts.podLabelsIn?.(namespace) ?? []) {
      if (selectorMatches(selector, labels)) for (const key of this.selecting(namespace, labels)) out.add(key);
    }
    return [...out];
  }

  /** The workloads of the namespace with a segment whose selector matches the labels. */
  selecting(namespace: string, labels: Labels): string[] {
    const candidates = new Set(this.unkeyed.get(namespace) ?? []);
    for (const [k, v] of Object.entries(labels)) for (const key of this.byLabel.get(labelKey(namespace, k, v)) ?? []) candidates.add(key);
    return [...candidates].filter((key) => this.entries.get(key)?.selectors.some((s) => selectorMatches(s, labels)) === true);
  }
}
