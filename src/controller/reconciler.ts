// The reconciler: gather -> compute -> apply -> report, level-based and idempotent. It never asks
// what event woke it; it reads the world for one AIWorkload key and converges it.
import { randomUUID } from 'node:crypto';
import { LABEL_COMPONENT, LABEL_WORKLOAD } from '../api/constants.js';
import { isForbidden } from '../kube/rest.js';
import { selectorMatches } from '../analysis/selectors.js';
import type { AIWorkloadSpec, AIWorkloadStatus, ComponentStatus } from '../api/types.js';
import { formatProblems, validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import type { CompileFacts, PeerWorkload, PlatformConfig } from '../compile/facts.js';
import { labelValue } from '../compile/names.js';
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Clock } from './clock.js';
import { type Outcome, computeStatus, isSubset, jsonEqual } from './status.js';

export interface ObjectMetaLike {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: { uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetaLike;
  [field: string]: unknown;
}

export interface AIWorkloadObject extends KubeObject {
  spec?: unknown;
  status?: AIWorkloadStatus;
}

/** What the reconciler reads: the informer caches. */
export interface ClusterView {
  getWorkload(namespace: string, name: string): AIWorkloadObject | undefined;
  listWorkloads(): AIWorkloadObject[];
  /** Managed objects (labelled managed-by=bulkhead) of a kind in a namespace. */
  listManaged(kind: GeneratedKind, namespace: string): KubeObject[];
  listPods(namespace: string): KubeObject[];
  kubeAPIServer(): { addresses: string[]; ports: number[] } | undefined;
  /** True while the namespace is being deleted, or is gone: nothing can be created there any more. */
  namespaceTerminating(namespace: string): boolean;
}

/** What the reconciler writes. Every method is a real API request. */
export interface ClusterWriter {
  apply(obj: GeneratedObject): Promise<void>;
  remove(kind: GeneratedKind, namespace: string, name: string, uid: string): Promise<void>;
  writeStatus(namespace: string, name: string, status: AIWorkloadStatus): Promise<void>;
  event(target: AIWorkloadObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcilerDeps {
  view: ClusterView;
  writer: ClusterWriter;
  platform: PlatformConfig;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Extra pure analysis of the result, such as exposure detection; returns messages per segment. */
  exposure?: (workload: AIWorkloadObject, spec: AIWorkloadSpec, objects: GeneratedObject[]) => string[];
  /** Audit mode: connections possible now that the desired policies would cut. */
  wouldBlock?: (workload: AIWorkloadObject, objects: GeneratedObject[]) => string[];
}

export interface ReconcileOutcome {
  requeueAfter?: number;
}

const GENERATED_KINDS: readonly GeneratedKind[] = ['ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy'];

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Workloads that name `namespace/name` as a peer: they must be reconciled when it changes. */
export function dependentsOf(view: ClusterView, namespace: string, name: string): string[] {
  const out: string[] = [];
  for (const w of view.listWorkloads()) {
    const spec = w.spec as Partial<AIWorkloadSpec> | undefined;
    const peers = [...(spec?.ingress ?? []).map((r) => r.from), ...(spec?.egress ?? []).map((r) => r.to)];
    if (peers.some((p) => p?.workload?.namespace === namespace && p.workload.name === name)) {
      out.push(`${w.metadata.namespace ?? ''}/${w.metadata.name}`);
    }
  }
  return out;
}

function peerFacts(view: ClusterView): Map<string, PeerWorkload> {
  const map = new Map<string, PeerWorkload>();
  for (const w of view.listWorkloads()) {
    const result = validateSpec(w.spec);
    if (!result.ok || w.metadata.deletionTimestamp !== undefined) continue;
    const namespace = w.metadata.namespace ?? 'default';
    map.set(`${namespace}/${w.metadata.name}`, { namespace, name: w.metadata.name, spec: result.spec });
  }
  return map;
}

const ownedBy = (obj: KubeObject, uid: string): boolean => (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { namespace, name } = splitKey(key);
    const { view, writer, clock, metrics } = this.deps;
    const log = this.deps.logger.child({ workload: key, reconcileId: randomUUID().slice(0, 8) });
    const workload = view.getWorkload(namespace, name);
    if (workload === undefined || workload.metadata.deletionTimestamp !== undefined) {
      // Gone or going: the garbage collector removes what it owned.
      log.debug('AIWorkload not found or deleting; nothing to do');
      return {};
    }
    if (view.namespaceTerminating(namespace)) {
      // The namespace controller is deleting everything in it, this AIWorkload included; writing
      // would only fight it (and fail).
      log.debug('namespace is terminating; nothing to do');
      return {};
    }
    const uid = workload.metadata.uid ?? '';
    const generation = workload.metadata.generation ?? 0;
    const now = new Date(clock.now()).toISOString();

    const validation = validateSpec(workload.spec);
    if (!validation.ok) {
      // Terminal until the spec changes: report, keep what exists (fail closed), do not retry.
      const message = formatProblems(validation.problems);
      log.warn('AIWorkload is invalid; keeping the objects of its last valid spec', { problems: message });
      await this.report(workload, computeStatus(workload.status, { kind: 'invalid', message }, generation, now), 'Warning', 'InvalidSpec', message);
      return {};
    }
    const spec = validation.spec;
    const facts: CompileFacts = { platform: this.deps.platform, workloads: peerFacts(view), kubeAPIServer: view.kubeAPIServer() };
    const result = compile({ name, namespace, uid, spec }, facts);
    const audit = spec.enforcement === 'Audit';

    // Apply what differs from the cache, then prune what is no longer desired.
    const desiredKeys = new Set(result.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const workloadLabel = labelValue(name);
    const live = new Map<string, KubeObject>();
    for (const kind of GENERATED_KINDS) {
      for (const obj of view.listManaged(kind, namespace)) {
        if (obj.metadata.labels?.[LABEL_WORKLOAD] === workloadLabel || ownedBy(obj, uid)) live.set(`${kind}/${obj.metadata.name}`, obj);
      }
    }
    const converged = workload.status?.observedGeneration === generation;
    const changes: string[] = [];
    // Roles the API server refused because they exceed what the operator may grant (its ceiling):
    // reported, their bindings skipped, and everything else still applied.
    const ceiling: string[] = [];
    const refusedRoles = new Set<string>();
    for (const obj of result.objects) {
      if (obj.kind === 'RoleBinding' && refusedRoles.has(obj.roleRef.name)) continue;
      const current = live.get(`${obj.kind}/${obj.metadata.name}`);
      if (current !== undefined && isSubset(obj, current)) continue;
      changes.push(`${current === undefined ? 'create' : 'update'} ${obj.kind} ${obj.metadata.name}`);
      if (audit) continue;
      log.info(`Applying ${obj.kind}`, { name: obj.metadata.name });
      try {
        await writer.apply(obj);
      } catch (err) {
        if (obj.kind !== 'Role' || !isForbidden(err)) throw err;
        refusedRoles.add(obj.metadata.name);
        changes.pop();
        const component = obj.metadata.labels[LABEL_COMPONENT] ?? obj.metadata.name;
        ceiling.push(`${component}: ${ceilingDenials(err, obj.rules).join('; ')}`);
        log.warn('Role refused by the API server: outside the operator\'s grantable ceiling', { name: obj.metadata.name, error: (err as Error).message });
        continue;
      }
      if (converged) metrics?.driftRepairs.inc({ kind: obj.kind });
    }
    for (const [k, obj] of live) {
      if (desiredKeys.has(k) || !ownedBy(obj, uid)) continue;
      const kind = k.slice(0, k.indexOf('/')) as GeneratedKind;
      changes.push(`delete ${kind} ${obj.metadata.name}`);
      if (audit) continue;
      log.info(`Pruning ${kind}`, { name: obj.metadata.name });
      await writer.remove(kind, namespace, obj.metadata.name, obj.metadata.uid ?? '');
    }

    // Report.
    const pods = view.listPods(namespace);
    const components: ComponentStatus[] = result.components.map((c) => {
      const selector = spec.components.find((s) => s.name === c.name)?.selector ?? {};
      const matched = pods.filter((p) => selectorMatches(selector, p.metadata.labels ?? {}));
      const other = matched.filter((p) => ((p.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? 'default') !== c.serviceAccount);
      const status: ComponentStatus = { name: c.name, networkPolicy: c.networkPolicy, serviceAccount: c.serviceAccount, matchedPods: matched.length, podsWithOtherServiceAccount: other.length };
      if (c.role !== undefined) status.role = c.role;
      if (c.unresolvedPeers.length > 0) status.unresolvedPeers = c.unresolvedPeers.map((p) => `${p.peer}: ${p.message}`);
      if (c.consentPending.length > 0) status.consentPending = c.consentPending.map((p) => p.peer);
      return status;
    });
    const outcome: Outcome = {
      kind: 'applied',
      audit,
      components,
      consentPending: result.components.flatMap((c) => c.consentPending.map((p) => `${c.name}: ${p.message}`)),
      identityDrift: components
        .filter((c) => (c.podsWithOtherServiceAccount ?? 0) > 0)
        .map((c) => `${c.name}: ${c.podsWithOtherServiceAccount} pod(s) not running as ${c.serviceAccount}`),
      exposed: this.deps.exposure?.(workload, spec, result.objects) ?? [],
      wouldBlock: audit ? (this.deps.wouldBlock?.(workload, result.objects) ?? []) : [],
      ceiling,
    };
    const status = computeStatus(workload.status, outcome, generation, now);
    const blockedBefore = workload.status?.conditions?.find((c) => c.type === 'Ready')?.message;
    const blocking = outcome.wouldBlock ?? [];
    if (audit && blocking.length > 0 && !(blockedBefore ?? '').includes(blocking.join('; '))) {
      await this.event(workload, 'Warning', 'AuditWouldBlock', `Enforcing would block: ${blocking.join('; ')}`);
    }
    if (changes.length > 0) {
      const verb = audit ? 'Would' : converged ? 'Corrected drift' : 'Applied';
      await this.event(workload, 'Normal', audit ? 'AuditDiff' : converged ? 'DriftCorrected' : 'Applied', `${verb}: ${changes.join(', ')}`);
    }
    const pendingBefore = workload.status?.conditions?.find((c) => c.type === 'ConsentPending')?.message;
    if (outcome.consentPending.length > 0 && pendingBefore !== outcome.consentPending.join('; ')) {
      await this.event(workload, 'Warning', 'ConsentPending', outcome.consentPending.join('; '));
    }
    const exposedBefore = workload.status?.conditions?.find((c) => c.type === 'Exposed')?.message;
    if (outcome.exposed.length > 0 && exposedBefore !== outcome.exposed.join('; ')) {
      await this.event(workload, 'Warning', 'Exposed', outcome.exposed.join('; '));
    }
    await this.report(workload, status);
    // A Role refused for the ceiling is retried now and then: an admin may widen the ceiling.
    return ceiling.length > 0 ? { requeueAfter: 60_000 } : {};
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
