// The reconciler: gather -> compute -> apply -> report, level-based and idempotent. It never asks
// what event woke it; it reads the world for one AIWorkload key and converges it.
import { randomUUID } from 'node:crypto';
import { LABEL_COMPONENT, LABEL_WORKLOAD } from '../api/constants.js';
import { classifyError, isForbidden, serverMessage } from '../runtime/rest.js';
import { NotLeaderError } from '../kube/writer.js';
import { selectorMatches } from '../analysis/selectors.js';
import type { Labels, Pod, Stored, StoredObject } from '../api/kubernetes.js';
import type { AIWorkloadSpec, AIWorkloadStatus, ComponentStatus } from '../api/types.js';
import { type ValidationResult, formatProblems } from '../api/validate.js';
import { type CompileResult, type ComponentReport, compile } from '../compile/compile.js';
import type { CompileFacts, PeerWorkload, PlatformConfig } from '../compile/facts.js';
import { labelValue } from '../compile/names.js';
import { GENERATED_KINDS, type GeneratedKind, type GeneratedObject } from '../compile/objects.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { type Binding, widenedMessages } from './identity-bindings.js';
import { identityDriftMessage } from './identity-drift.js';
import { buildRegistryEntry, isRegistryEntry, registryEntryName } from './identity-registry.js';
import { type SegmentRef, overlapMessages } from './overlap.js';
import type { FeedsForNamespace } from './threatfeeds.js';
import { type ReconcileOutcome, type WriteFailure, failedOutcome } from './outcome.js';
import { type AppliedOutcome, computeStatus, isSubset, jsonEqual } from './status.js';
import { type LiveObject, type PlannedApply, type PlannedStrip, type WritePlan, describeApply, describePlan, describePrune, describeStrip, liveKey, ownedBy, planWrites } from './write-plan.js';

export interface AIWorkloadObject extends StoredObject {
  spec?: unknown;
  status?: AIWorkloadStatus;
}

/** What the reconciler reads: the informer caches. */
export interface ClusterView {
  getWorkload(namespace: string, name: string): AIWorkloadObject | undefined;
  listWorkloads(): AIWorkloadObject[];
  /** The spec's validation, cached per version of the object (workload-index.ts). */
  validation(workload: AIWorkloadObject): ValidationResult;
  /** The valid AIWorkloads not being deleted, by `namespace/name`: what workload peers resolve against (indexed, not rebuilt). */
  peerWorkloads(): ReadonlyMap<string, PeerWorkload>;
  /** `namespace/name` of the AIWorkloads of the namespace with a segment that selects these labels (indexed). */
  workloadsSelecting(namespace: string, labels: Labels): readonly string[];
  /**
   * Managed objects (labelled managed-by=bulkhead) of a kind in a namespace that carry this
   * workload label or have this controlling owner: from an index, not a scan of the namespace.
   */
  listOwned(kind: GeneratedKind, namespace: string, workloadLabel: string, uid: string): StoredObject[];
  listPods(namespace: string): Stored<Pod>[];
  kubeAPIServer(): { addresses: string[]; ports: number[] } | undefined;
  /** True while the namespace is being deleted, or is gone: nothing can be created there any more. */
  namespaceTerminating(namespace: string): boolean;
  /** RoleBindings and ClusterRoleBindings that may cover a ServiceAccount of the namespace (identity-bindings.ts). */
  bindingsCovering?(namespace: string): readonly Binding[];
  /** The identity registry's entry (a RoleBinding) by namespace and name, from the cache. */
  registryEntry?(namespace: string, name: string): StoredObject | undefined;
  /** The ThreatFeeds whose scope covers the namespace, and their sets in force (threatfeeds.ts). */
  threatFeeds?(namespace: string): FeedsForNamespace;
}

/** What the reconciler writes. Every method is a real API request. */
export interface ClusterWriter {
  apply(obj: GeneratedObject): Promise<void>;
  remove(kind: GeneratedKind, namespace: string, name: string, uid: string): Promise<void>;
  /** Removes labels and annotations by key, only while the object is at `resourceVersion`. */
  stripMetadata(kind: GeneratedKind, namespace: string, name: string, keys: { labels: string[]; annotations: string[] }, resourceVersion?: string): Promise<void>;
  writeStatus(namespace: string, name: string, status: AIWorkloadStatus): Promise<void>;
  event(target: AIWorkloadObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /** Resolves once every Event recorded so far was sent (or failed). */
  flush?(): Promise<void>;
}

export interface ReconcilerDeps {
  view: ClusterView;
  writer: ClusterWriter;
  platform: PlatformConfig;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /**
   * The analysis of the result: exposure messages per segment and, in audit mode, the connections
   * possible now that the desired policies would cut. The manager answers from its exposure loop
   * (the last result, computed off the reconcile path) and hands it what this reconcile converges to.
   */
  analysis?: (workload: AIWorkloadObject, input: { spec: AIWorkloadSpec; objects: GeneratedObject[]; audit: boolean }) => { exposed: string[]; wouldBlock: string[] };
  /** Label and annotation keys left in place on generated objects (a trailing * is a prefix). @default DEFAULT_KEEP_METADATA */
  keepMetadata?: readonly string[];
  /**
   * The operator's namespace, where it keeps the identity registry (identity-registry.ts) that the
   * admission policy bulkhead-identity-bindings reads. Unset: no registry is kept.
   */
  identityRegistryNamespace?: string | undefined;
  /** Called after a workload's status was written with these threat feed sets (propagation time). */
  onApplied?: (key: string, threatFeeds: readonly { name: string; digest?: string }[]) => void;
}

export type { ReconcileOutcome } from './outcome.js';


export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * componentStatus reports a segment and the pods its selector matches now, and the IdentityDrift
 * message when some of them run under another ServiceAccount.
 */
export function componentStatus(c: ComponentReport, spec: AIWorkloadSpec, pods: readonly Stored<Pod>[]): { status: ComponentStatus; identityDrift?: string } {
  const selector = spec.components.find((s) => s.name === c.name)?.selector ?? {};
  const matched = pods.filter((p) => selectorMatches(selector, p.metadata.labels ?? {}));
  const other = matched.filter((p) => serviceAccountOf(p) !== c.serviceAccount);
  const status: ComponentStatus = { name: c.name, networkPolicy: c.networkPolicy, serviceAccount: c.serviceAccount, matchedPods: matched.length, podsWithOtherServiceAccount: other.length };
  if (c.role !== undefined) status.role = c.role;
  if (c.unresolvedPeers.length > 0) status.unresolvedPeers = c.unresolvedPeers.map((p) => `${p.peer}: ${p.message}`);
  if (c.consentPending.length > 0) status.consentPending = c.consentPending.map((p) => p.peer);
  if (other.length === 0) return { status };
  const identities = other.map((p) => ({ name: p.metadata.name, serviceAccount: serviceAccountOf(p) }));
  return { status, identityDrift: identityDriftMessage(c.name, c.serviceAccount, identities) };
}

const serviceAccountOf = (pod: Pod): string => pod.spec?.serviceAccountName ?? 'default';

/** The message of a condition in the status as last written (the cache's copy). */
const conditionMessage = (workload: AIWorkloadObject, type: string): string | undefined =>
  workload.status?.conditions?.find((c) => c.type === type)?.message;

const conditionReason = (workload: AIWorkloadObject, type: string): string | undefined =>
  workload.status?.conditions?.find((c) => c.type === type)?.reason;

/** One reconcile's subject: the cached AIWorkload and what every step needs to know of it. */
interface Target {
  workload: AIWorkloadObject;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  /** This reconcile's time, for lastTransitionTime. */
  now: string;
  /** The last reconcile of this generation succeeded, so any write now repairs drift. */
  converged: boolean;
  log: Logger;
}

/**
 * What the writes did: the changes made, the ceiling denials (one per refused Role), and the
 * writes the API server did not accept.
 */
interface WriteResult {
  changes: string[];
  ceiling: string[];
  failures: WriteFailure[];
}

/** What applying one object came to. */
type ApplyResult = { kind: 'applied' } | { kind: 'ceiling'; denied: string } | { kind: 'failed'; failure: WriteFailure };

/** The RBAC escalation check's words: a Role refused for holding more than the operator does. */
const ESCALATION_DENIED = 'attempting to grant RBAC permissions not currently held';

/** writeFailure records a failed write; a write refused because this replica stopped leading is no failure of the AIWorkload and propagates. */
function writeFailure(err: unknown, verb: WriteFailure['verb'], kind: string, namespace: string, name: string): WriteFailure {
  if (err instanceof NotLeaderError) throw err;
  return { verb, kind, namespace, name, class: classifyError(err), message: serverMessage(err) };
}

/** Event reason and message verb for the changes of a reconcile, by why they were made. */
const CHANGE_EVENTS = {
  audit: { reason: 'AuditDiff', verb: 'Would' },
  drift: { reason: 'DriftCorrected', verb: 'Corrected drift' },
  spec: { reason: 'Applied', verb: 'Applied' },
} as const;

/** A Role refused for the ceiling is retried now and then: an admin may widen the ceiling. */
const CEILING_RETRY_MS = 60_000;

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /**
   * reconcile converges one AIWorkload and says what it came to; every path that reaches the
   * AIWorkload ends in one status write derived from that outcome. In audit mode the write plan
   * is reported, never executed. `attempt` is how many times in a row this key was retried (the
   * work queue's count): a conflict is re-read a few times before it is reported.
   */
  async reconcile(key: string, attempt = 0): Promise<ReconcileOutcome> {
    const target = this.load(key);
    if (target === undefined) return this.unregister(key);
    const validation = this.deps.view.validation(target.workload);
    if (!validation.ok) {
      await this.reportInvalid(target, formatProblems(validation.problems));
      return { kind: 'invalid' };
    }
    const spec = validation.spec;
    const audit = spec.enforcement === 'Audit';
    const feeds = this.threatFeeds(target.namespace);
    if ('kind' in feeds) return feeds;
    const facts = this.compileFacts(feeds);
    const result = compile({ name: target.name, namespace: target.namespace, uid: target.uid, spec }, facts);
    const plan = planWrites(result.objects, this.liveObjects(target), target.uid, this.deps.keepMetadata);
    const written = audit ? { changes: describePlan(plan), ceiling: [], failures: [] } : await this.write(target, plan, result);
    if (written.failures.length > 0) return this.reportFailed(target, written, attempt);
    const outcome = { ...this.appliedOutcome(target, spec, result, audit, written.ceiling, facts.workloads), threatFeeds: feeds.digests, feedsUnavailable: feeds.unavailable };
    await this.announce(target, outcome, written.changes);
    await this.report(target.workload, computeStatus(target.workload.status, outcome, target.generation, target.now));
    if (!audit) this.deps.onApplied?.(key, outcome.threatFeeds);
    return written.ceiling.length > 0 ? { kind: 'applied', requeueAfter: CEILING_RETRY_MS } : { kind: 'applied' };
  }

  /**
   * reportFailed reports writes the API server did not accept: not Ready (ApplyFailed) naming each
   * object and the server's words, a Warning Event, and the changes that did go through. A
   * conflict is only re-read (no report) until it keeps coming back.
   */
  private async reportFailed(t: Target, written: WriteResult, attempt: number): Promise<ReconcileOutcome> {
    const outcome = failedOutcome(written.failures, attempt);
    if (outcome.kind !== 'failed') {
      t.log.info('the cluster changed under the cached read; reconciling again', { reason: outcome.kind === 'requeue' ? outcome.message : '' });
      return outcome;
    }
    t.log.warn('writes failed', { error: outcome.message, refused: outcome.refused });
    if (written.changes.length > 0) await this.announceChanges(t, false, written.changes);
    const status = computeStatus(t.workload.status, { kind: 'failed', refused: outcome.refused, message: outcome.message }, t.generation, t.now);
    await this.event(t.workload, 'Warning', 'ApplyFailed', outcome.message);
    await this.report(t.workload, status);
    return outcome;
  }

  /** load reads the AIWorkload behind key; undefined when there is nothing to converge. */
  private load(key: string): Target | undefined {
    const { namespace, name } = splitKey(key);
    const { view, clock } = this.deps;
    const log = this.deps.logger.child({ workload: key, reconcileId: randomUUID().slice(0, 8) });
    const workload = view.getWorkload(namespace, name);
    if (workload === undefined || workload.metadata.deletionTimestamp !== undefined) {
      // Gone or going: the garbage collector removes what it owned.
      log.debug('AIWorkload not found or deleting; nothing to do');
      return undefined;
    }
    if (view.namespaceTerminating(namespace)) {
      // The namespace controller is deleting everything in it, this AIWorkload included; writing
      // would only fight it (and fail).
      log.debug('namespace is terminating; nothing to do');
      return undefined;
    }
    const generation = workload.metadata.generation ?? 0;
    return {
      workload,
      namespace,
      name,
      uid: workload.metadata.uid ?? '',
      generation,
      now: new Date(clock.now()).toISOString(),
      // A generation whose writes were refused is observed (Stalled) but not converged.
      converged: workload.status?.observedGeneration === generation && conditionReason(workload, 'Ready') !== 'ApplyFailed',
      log,
    };
  }

  /** An invalid spec is terminal until it changes: reported, what exists is kept (fail closed), no retry. */
  private async reportInvalid(t: Target, message: string): Promise<void> {
    t.log.warn('AIWorkload is invalid; keeping the objects of its last valid spec', { problems: message });
    const status = computeStatus(t.workload.status, { kind: 'invalid', message }, t.generation, t.now);
    await this.report(t.workload, status, 'Warning', 'InvalidSpec', message);
  }

  /**
   * The threat feeds that cover the namespace. A feed in scope that has not been read since the
   * operator started holds the workload back: writing now would drop its networks from the
   * policies for a moment (fail open). Its first read wakes the workload again.
   */
  private threatFeeds(namespace: string): FeedsForNamespace | ReconcileOutcome {
    const feeds = this.deps.view.threatFeeds?.(namespace) ?? { digests: [], unavailable: [], pending: [] };
    if (feeds.pending.length > 0) return { kind: 'requeue', message: `waiting for the first read of ThreatFeed ${feeds.pending.join(', ')}` };
    return feeds;
  }

  private compileFacts(feeds: FeedsForNamespace): CompileFacts {
    const { view, platform } = this.deps;
    return { platform, workloads: view.peerWorkloads(), kubeAPIServer: view.kubeAPIServer(), threatFeeds: feeds.inForce };
  }

  /** liveObjects are the cached objects labelled for the workload or owned by it (only these are pruned). */
  private liveObjects(t: Target): Map<string, LiveObject> {
    const workloadLabel = labelValue(t.name);
    const live = new Map<string, LiveObject>();
    for (const kind of GENERATED_KINDS) {
      for (const obj of this.deps.view.listOwned(kind, t.namespace, workloadLabel, t.uid)) {
        if (obj.metadata.labels?.[LABEL_WORKLOAD] === workloadLabel || ownedBy(obj, t.uid)) live.set(liveKey(kind, obj.metadata.name), { kind, obj });
      }
    }
    return live;
  }

  /**
   * write registers the segments' identities, applies, then prunes. When an apply failed nothing is
   * pruned: a policy being replaced (a renamed component, say) must not go before its successor is
   * in place. A registry entry that cannot be written is a failure of its own that does not hold
   * back the segments: their network policies matter more than the binding check.
   */
  private async write(t: Target, plan: WritePlan, result: CompileResult): Promise<WriteResult> {
    const registered = await this.register(t, result);
    const applied = await this.applyAll(t, plan.apply);
    if (applied.failures.length > 0) return { ...applied, failures: [...applied.failures, ...registered] };
    const stripped = await this.stripAll(t, plan.strip);
    const pruned = await this.pruneAll(t, plan.prune);
    return { changes: [...applied.changes, ...stripped.changes, ...pruned.changes], ceiling: applied.ceiling, failures: [...stripped.failures, ...pruned.failures, ...registered] };
  }

  /**
   * register writes the workload's entry of the identity registry (naming every segment's
   * ServiceAccount) before the ServiceAccounts themselves, so that none exists unregistered, and
   * only when the cached entry differs. Bookkeeping, not a change of the AIWorkload's objects: it
   * is logged, not announced.
   */
  private async register(t: Target, result: CompileResult): Promise<WriteFailure[]> {
    const ns = this.deps.identityRegistryNamespace;
    if (ns === undefined) return [];
    const entry = buildRegistryEntry(ns, t, result.components.map((c) => c.serviceAccount));
    const live = this.deps.view.registryEntry?.(ns, entry.metadata.name);
    if (live !== undefined && isSubset(entry, live)) return [];
    t.log.info('Registering the segments\' identities', { registry: `${ns}/${entry.metadata.name}` });
    try {
      await this.deps.writer.apply(entry);
      return [];
    } catch (err) {
      return [writeFailure(err, 'apply', entry.kind, ns, entry.metadata.name)];
    }
  }

  /**
   * unregister removes the registry entry of an AIWorkload that is gone: its ServiceAccounts go with
   * it (garbage collection), and the admission policy must not keep refusing bindings to their
   * names. A workload still being deleted keeps its entry while its ServiceAccounts exist.
   */
  private async unregister(key: string): Promise<ReconcileOutcome> {
    const ns = this.deps.identityRegistryNamespace;
    const { namespace, name } = splitKey(key);
    if (ns === undefined || this.deps.view.getWorkload(namespace, name) !== undefined) return { kind: 'skipped' };
    const entryName = registryEntryName({ namespace, name });
    const live = this.deps.view.registryEntry?.(ns, entryName);
    if (live === undefined || !isRegistryEntry(live)) return { kind: 'skipped' };
    this.deps.logger.info('Removing the identity registry entry of a deleted AIWorkload', { workload: key, registry: `${ns}/${entryName}` });
    try {
      await this.deps.writer.remove('RoleBinding', ns, entryName, live.metadata.uid ?? '');
      return { kind: 'skipped' };
    } catch (err) {
      const failure = writeFailure(err, 'prune', 'RoleBinding', ns, entryName);
      return failure.class === 'not-found' ? { kind: 'skipped' } : { kind: 'requeue', message: failure.message };
    }
  }

  /** stripAll removes the labels and annotations someone else added; each is drift repaired. */
  private async stripAll(t: Target, strips: readonly PlannedStrip[]): Promise<{ changes: string[]; failures: WriteFailure[] }> {
    const changes: string[] = [];
    const failures: WriteFailure[] = [];
    for (const s of strips) {
      t.log.info(`Removing metadata Bulkhead did not declare from ${s.kind}`, { name: s.name, labels: s.labels, annotations: s.annotations });
      try {
        await this.deps.writer.stripMetadata(s.kind, t.namespace, s.name, { labels: s.labels, annotations: s.annotations }, s.resourceVersion);
        changes.push(describeStrip(s));
        this.deps.metrics?.driftRepairs.inc({ kind: s.kind });
      } catch (err) {
        failures.push(writeFailure(err, 'strip metadata of', s.kind, t.namespace, s.name));
      }
    }
    return { changes, failures };
  }

  /**
   * applyAll applies in plan order. Roles the API server refuses because they exceed what the
   * operator may grant (its ceiling) are reported and their bindings skipped; everything else is
   * still applied.
   */
  private async applyAll(t: Target, applies: readonly PlannedApply[]): Promise<WriteResult> {
    const result: WriteResult = { changes: [], ceiling: [], failures: [] };
    // A binding is applied only once its Role is: never bind a Role that was refused or failed.
    const missingRoles = new Set<string>();
    for (const a of applies) {
      if (a.obj.kind === 'RoleBinding' && missingRoles.has(a.obj.roleRef.name)) continue;
      const applied = await this.applyOne(t.log, a.obj);
      if (applied.kind !== 'applied') {
        missingRoles.add(a.obj.metadata.name);
        if (applied.kind === 'ceiling') result.ceiling.push(applied.denied);
        else result.failures.push(applied.failure);
        continue;
      }
      result.changes.push(describeApply(a));
      if (t.converged) this.deps.metrics?.driftRepairs.inc({ kind: a.obj.kind });
    }
    return result;
  }

  /** applyOne applies obj; a Role refused for the ceiling comes back with the denied permissions. */
  private async applyOne(log: Logger, obj: GeneratedObject): Promise<ApplyResult> {
    log.info(`Applying ${obj.kind}`, { name: obj.metadata.name });
    try {
      await this.deps.writer.apply(obj);
      return { kind: 'applied' };
    } catch (err) {
      const failure = writeFailure(err, 'apply', obj.kind, obj.metadata.namespace, obj.metadata.name);
      if (obj.kind !== 'Role' || !isForbidden(err) || !failure.message.includes(ESCALATION_DENIED)) return { kind: 'failed', failure };
      log.warn('Role refused by the API server: outside the operator\'s grantable ceiling', { name: obj.metadata.name, error: failure.message });
      const component = obj.metadata.labels[LABEL_COMPONENT] ?? obj.metadata.name;
      return { kind: 'ceiling', denied: `${component}: ${ceilingDenials(err, obj.rules).join('; ')}` };
    }
  }

  private async pruneAll(t: Target, prunes: readonly LiveObject[]): Promise<{ changes: string[]; failures: WriteFailure[] }> {
    const changes: string[] = [];
    const failures: WriteFailure[] = [];
    for (const p of prunes) {
      t.log.info(`Pruning ${p.kind}`, { name: p.obj.metadata.name });
      try {
        // The UID precondition keeps an object re-created under this name meanwhile from deletion.
        await this.deps.writer.remove(p.kind, t.namespace, p.obj.metadata.name, p.obj.metadata.uid ?? '');
        changes.push(describePrune(p));
      } catch (err) {
        failures.push(writeFailure(err, 'prune', p.kind, t.namespace, p.obj.metadata.name));
      }
    }
    return { changes, failures };
  }

  /** appliedOutcome reads the result back from the caches (pods, policies) after the writes. */
  private appliedOutcome(t: Target, spec: AIWorkloadSpec, result: CompileResult, audit: boolean, ceiling: string[], peers: ReadonlyMap<string, PeerWorkload>): AppliedOutcome {
    const pods = this.deps.view.listPods(t.namespace);
    const reports = result.components.map((c) => componentStatus(c, spec, pods));
    const analysis = this.deps.analysis?.(t.workload, { spec, objects: result.objects, audit }) ?? { exposed: [], wouldBlock: [] };
    return {
      kind: 'applied',
      audit,
      components: reports.map((r) => r.status),
      consentPending: result.components.flatMap((c) => c.consentPending.map((p) => `${c.name}: ${p.message}`)),
      // A peer that resolves to nothing gets no rule (never a fallback to everything): the flow is closed.
      unresolved: result.components.flatMap((c) => c.unresolvedPeers.map((p) => `${c.name}: ${p.peer}: ${p.message}`)),
      identityDrift: reports.flatMap((r) => (r.identityDrift !== undefined ? [r.identityDrift] : [])),
      exposed: analysis.exposed,
      overlapping: this.overlaps(t, spec, pods, peers),
      identityWidened: widenedMessages(t.namespace, result.components.map((c) => ({ component: c.name, serviceAccount: c.serviceAccount })), this.deps.view.bindingsCovering?.(t.namespace) ?? []),
      wouldBlock: audit ? analysis.wouldBlock : [],
      ceiling,
    };
  }

  /** overlaps: pods of the namespace in two segments, at least one of them this workload's. */
  private overlaps(t: Target, spec: AIWorkloadSpec, pods: readonly Stored<Pod>[], peers: ReadonlyMap<string, PeerWorkload>): string[] {
    const segments = (name: string, s: AIWorkloadSpec): SegmentRef[] => s.components.map((c) => ({ workload: name, component: c.name, selector: c.selector }));
    const ours = segments(t.workload.metadata.name, spec);
    const mine = pods.filter((p) => ours.some((s) => selectorMatches(s.selector, p.metadata.labels ?? {})));
    // The other valid, not deleting, AIWorkloads with a segment that selects one of these pods:
    // found through the index by the pods' labels, not by reading every workload of the namespace.
    const self = `${t.namespace}/${t.name}`;
    const otherKeys = new Set(mine.flatMap((p) => this.deps.view.workloadsSelecting(t.namespace, p.metadata.labels ?? {})).filter((k) => k !== self));
    const others = [...otherKeys].sort().flatMap((k) => {
      const w = peers.get(k);
      return w === undefined ? [] : segments(w.name, w.spec);
    });
    return overlapMessages(ours, others, mine.map((p) => ({ name: p.metadata.name, labels: p.metadata.labels ?? {} })));
  }

  /**
   * announce records Events for the changes made, and for findings not already in the status:
   * a finding that persists is announced once, not on every resync.
   */
  private async announce(t: Target, outcome: AppliedOutcome, changes: string[]): Promise<void> {
    const blocking = outcome.wouldBlock ?? [];
    if (outcome.audit && blocking.length > 0 && !(conditionMessage(t.workload, 'Ready') ?? '').includes(blocking.join('; '))) {
      await this.event(t.workload, 'Warning', 'AuditWouldBlock', `Enforcing would block: ${blocking.join('; ')}`);
    }
    if (changes.length > 0) await this.announceChanges(t, outcome.audit, changes);
    await this.announceFindings(t.workload, outcome);
  }

  /** announceChanges records the changes made (or, in audit mode, planned) as one Normal Event. */
  private async announceChanges(t: Target, audit: boolean, changes: string[]): Promise<void> {
    const { reason, verb } = CHANGE_EVENTS[audit ? 'audit' : t.converged ? 'drift' : 'spec'];
    await this.event(t.workload, 'Normal', reason, `${verb}: ${changes.join(', ')}`);
  }

  private async announceFindings(workload: AIWorkloadObject, outcome: AppliedOutcome): Promise<void> {
    // Each finding's condition has the Event's reason as its type.
    for (const [reason, messages] of [['ConsentPending', outcome.consentPending], ['Exposed', outcome.exposed], ['Overlapping', outcome.overlapping ?? []], ['PeerUnresolved', outcome.unresolved ?? []], ['IdentityWidened', outcome.identityWidened ?? []]] as const) {
      if (messages.length > 0 && conditionMessage(workload, reason) !== messages.join('; ')) await this.event(workload, 'Warning', reason, messages.join('; '));
    }
  }

  private async report(workload: AIWorkloadObject, status: AIWorkloadStatus, type?: 'Normal' | 'Warning', reason?: string, message?: string): Promise<void> {
    if (jsonEqual(stripNulls(workload.status), stripNulls(status))) return;
    if (type !== undefined && reason !== undefined && message !== undefined) await this.event(workload, type, reason, message);
    await this.deps.writer.writeStatus(workload.metadata.namespace ?? 'default', workload.metadata.name, status);
  }

  private async event(workload: AIWorkloadObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.deps.writer.event(workload, type, reason, message);
    } catch (err) {
      // Events are best effort: never fail a reconcile for one.
      this.deps.logger.warn('could not record Event', { reason, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

type RoleRule = { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] };

const formatRule = (r: RoleRule): string =>
  `${r.verbs.join(',')} ${r.apiGroups[0] === undefined || r.apiGroups[0] === '' ? '' : `${r.apiGroups[0]}/`}${r.resources.join(',')}/${r.resourceNames.join(',')}`;

/**
 * The permissions the RBAC escalation check refused. The API server lists the rules the requester
 * does not hold, one per line, as `{APIGroups:[""], Resources:["secrets"], ResourceNames:["x"],
 * Verbs:["delete"]}`; naming only those tells the author which permission is outside the ceiling.
 * Falls back to every rule of the Role when the message has no such list.
 */
export function ceilingDenials(err: unknown, rules: RoleRule[]): string[] {
  const message = err instanceof Error ? err.message : String(err);
  const list = (text: string, field: string): string[] => {
    const m = new RegExp(`${field}:\\[([^\\]]*)\\]`).exec(text);
    return m?.[1] === undefined || m[1].trim() === '' ? [] : [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1] ?? '');
  };
  const denied = [...message.matchAll(/\{APIGroups:[^}]*\}/g)].map((m) => ({
    apiGroups: list(m[0], 'APIGroups'),
    resources: list(m[0], 'Resources'),
    resourceNames: list(m[0], 'ResourceNames'),
    verbs: list(m[0], 'Verbs'),
  }));
  return (denied.length > 0 ? denied : rules).map(formatRule);
}

function stripNulls(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
