// The reconciler without an API server: a fake cluster (its caches and its writes in one store)
// that refuses chosen writes the way the API server does. Each case states the starting objects,
// the refusal, and the outcome, status and Events that must follow; e2e/controller proves the
// wiring against the real control plane.
import { LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY_VALUE } from '../api/constants.js';
import type { AIWorkloadStatus } from '../api/types.js';
import { defaultPlatform } from '../compile/facts.js';
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import { ApiError } from '../runtime/rest.js';
import { NotLeaderError } from '../kube/writer.js';
import { createLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { FakeClock } from '../runtime/clock.js';
import { MAX_CONFLICT_RETRIES } from './outcome.js';
import type { StoredObject } from '../api/kubernetes.js';
import { validateSpec } from '../api/validate.js';
import { peerWorkloads } from '../compile/live-facts.js';
import { type AIWorkloadObject, type ClusterView, type ClusterWriter, type ReconcileOutcome, Reconciler } from './reconciler.js';

const NS = 'ml';
const UID = 'uid-w';

type Verb = 'apply' | 'prune' | 'strip';
/** A refusal: which write, and what the API server answers. */
type Refusal = { verb: Verb; kind: GeneratedKind; name?: string; err: () => Error };

interface Recorded {
  events: { type: string; reason: string; message: string }[];
  writes: string[];
}

/** FakeCluster is the caches and the API server in one: what is written is what is read next. */
class FakeCluster {
  readonly objects = new Map<string, StoredObject>();
  readonly pods: StoredObject[] = [];
  readonly recorded: Recorded = { events: [], writes: [] };
  refusals: Refusal[] = [];
  workload: AIWorkloadObject;

  constructor(spec: unknown, status?: AIWorkloadStatus) {
    this.workload = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'w', namespace: NS, uid: UID, generation: 1 }, spec, ...(status !== undefined ? { status } : {}) };
  }

  private refusal(verb: Verb, kind: GeneratedKind, name: string): Refusal | undefined {
    return this.refusals.find((r) => r.verb === verb && r.kind === kind && (r.name === undefined || r.name === name));
  }

  readonly view: ClusterView = {
    getWorkload: (ns, name) => (ns === NS && name === 'w' ? this.workload : undefined),
    listWorkloads: () => [this.workload],
    validation: (w) => validateSpec(w.spec),
    peerWorkloads: () => peerWorkloads([this.workload]),
    workloadsSelecting: () => [`${NS}/w`],
    // The manager answers from an index; scanning is the same answer for the few objects here.
    listOwned: (kind, ns) => [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}/${ns}/`)).map(([, o]) => o),
    listPods: (ns) => this.pods.filter((p) => p.metadata.namespace === ns),
    kubeAPIServer: () => undefined,
    namespaceTerminating: () => false,
  };

  readonly writer: ClusterWriter = {
    apply: (obj: GeneratedObject) => {
      const refused = this.refusal('apply', obj.kind, obj.metadata.name);
      if (refused !== undefined) return Promise.reject(refused.err());
      this.recorded.writes.push(`apply ${obj.kind} ${obj.metadata.name}`);
      this.objects.set(`${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, structuredClone(obj) as unknown as StoredObject);
      return Promise.resolve();
    },
    remove: (kind, namespace, name) => {
      const refused = this.refusal('prune', kind, name);
      if (refused !== undefined) return Promise.reject(refused.err());
      this.recorded.writes.push(`prune ${kind} ${name}`);
      this.objects.delete(`${kind}/${namespace}/${name}`);
      return Promise.resolve();
    },
    stripMetadata: (kind, namespace, name, keys) => {
      const refused = this.refusal('strip', kind, name);
      if (refused !== undefined) return Promise.reject(refused.err());
      this.recorded.writes.push(`strip ${kind} ${name} ${[...keys.labels, ...keys.annotations].join(',')}`);
      const obj = this.objects.get(`${kind}/${namespace}/${name}`);
      const meta = obj?.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
      for (const k of keys.labels) delete meta?.labels?.[k];
      for (const k of keys.annotations) delete meta?.annotations?.[k];
      return Promise.resolve();
    },
    writeStatus: (_ns, _name, status) => {
      this.workload = { ...this.workload, status: structuredClone(status) };
      return Promise.resolve();
    },
    event: (_target, type, reason, message) => {
      this.recorded.events.push({ type, reason, message });
      return Promise.resolve();
    },
  };

  /** A managed object of this workload from an earlier spec: the reconciler prunes it. */
  addStale(kind: GeneratedKind, name: string): void {
    this.objects.set(`${kind}/${NS}/${name}`, {
      kind,
      metadata: { name, namespace: NS, uid: `uid-${name}`, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_WORKLOAD]: 'w', [LABEL_COMPONENT]: 'old' }, ownerReferences: [{ uid: UID, controller: true }] },
    });
  }

  condition(type: string): { status: string; reason: string; message?: string } | undefined {
    return this.workload.status?.conditions?.find((c) => c.type === type);
  }
}

const spec = (permissions = false): unknown => ({
  components: [
    { name: 'model', selector: { matchLabels: { app: 'model' } }, ...(permissions ? { permissions: [{ resource: 'secrets', names: ['weights'], verbs: ['get'] }] } : {}) },
  ],
});

/** The API server's answers, as src/kube/rest.ts reports them. */
const apiError = (status: number, reason: string, message: string) => (): Error => new ApiError(status, reason, `PATCH /some/path: ${status} ${message}`, { kind: 'Status', reason, message });
const RBAC_DENIED = apiError(403, 'Forbidden', 'networkpolicies.networking.k8s.io "w-model" is forbidden: User "reader" cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "ml"');
const ADMISSION_DENIED = apiError(403, 'Forbidden', 'serviceaccounts "w-model" is forbidden: ValidatingAdmissionPolicy \'bulkhead-tamper-protection\' with binding \'bulkhead-tamper-protection\' denied request: only the operator may change managed objects');
const ROLE_RBAC_DENIED = apiError(403, 'Forbidden', 'roles.rbac.authorization.k8s.io "w-model" is forbidden: User "reader" cannot patch resource "roles"');
const ESCALATION = apiError(403, 'Forbidden', 'roles.rbac.authorization.k8s.io "w-model" is forbidden: user "bulkhead" is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], ResourceNames:["weights"], Verbs:["get"]}');
const INVALID = apiError(422, 'Invalid', 'NetworkPolicy.networking.k8s.io "w-model" is invalid: spec.podSelector: Invalid value');
const CONFLICT = (): Error => new ApiError(409, 'Conflict', 'DELETE /x: 409 Precondition failed: UID in precondition: uid-old-model, UID in object meta: other', { reason: 'Conflict', message: 'Precondition failed: UID in precondition: uid-old-model, UID in object meta: other' });
const TIMEOUT = (): Error => new Error('PATCH /apis/networking.k8s.io/v1/namespaces/ml/networkpolicies/w-model: timed out');

function reconcilerFor(cluster: FakeCluster): Reconciler {
  return new Reconciler({ view: cluster.view, writer: cluster.writer, platform: defaultPlatform(), clock: new FakeClock(), logger: createLogger({ silent: true }), metrics: createMetrics() });
}

/** Converges the workload with every write accepted: Ready=True, observedGeneration 1. */
async function converged(cluster: FakeCluster): Promise<void> {
  const outcome = await reconcilerFor(cluster).reconcile(`${NS}/w`);
  expect(outcome).toEqual({ kind: 'applied' });
  expect(cluster.condition('Ready')?.status).toBe('True');
  cluster.recorded.events.length = 0;
  cluster.recorded.writes.length = 0;
}

interface Case {
  name: string;
  permissions?: boolean;
  /** Converge first, then make the change (drift) before the reconcile under test. */
  convergeFirst?: (c: FakeCluster) => void;
  setup?: (c: FakeCluster) => void;
  refusals: Refusal[];
  attempt?: number;
  outcome: ReconcileOutcome;
  /** [type, status, reason] of Ready, Reconciling, Stalled after the reconcile. */
  conditions: [string, string, string][];
  readyMessage?: string;
  observedGeneration?: number;
  /** Events recorded, as `Type Reason: message` (a prefix of the message is enough). */
  events: string[];
  writes: string[];
}

const cases: Case[] = [
  {
    name: 'every write accepted: applied, Ready',
    refusals: [],
    outcome: { kind: 'applied' },
    conditions: [['Ready', 'True', 'Applied'], ['Reconciling', 'False', 'Converged'], ['Stalled', 'False', 'Converged']],
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create ServiceAccount w-model, create NetworkPolicy w-model'],
    writes: ['apply ServiceAccount w-model', 'apply NetworkPolicy w-model'],
  },
  {
    name: 'a NetworkPolicy refused by RBAC: Stalled, the object and the server named; the ServiceAccount still applied',
    refusals: [{ verb: 'apply', kind: 'NetworkPolicy', err: RBAC_DENIED }],
    outcome: { kind: 'failed', refused: true, message: 'apply NetworkPolicy ml/w-model refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-model" is forbidden: User "reader" cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "ml"' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    readyMessage: 'apply NetworkPolicy ml/w-model refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-model" is forbidden: User "reader"',
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create ServiceAccount w-model', 'Warning ApplyFailed: apply NetworkPolicy ml/w-model refused: 403 Forbidden'],
    writes: ['apply ServiceAccount w-model'],
  },
  {
    name: 'a ServiceAccount refused by an admission policy',
    refusals: [{ verb: 'apply', kind: 'ServiceAccount', err: ADMISSION_DENIED }],
    outcome: { kind: 'failed', refused: true, message: 'apply ServiceAccount ml/w-model refused: 403 Forbidden: serviceaccounts "w-model" is forbidden: ValidatingAdmissionPolicy \'bulkhead-tamper-protection\' with binding \'bulkhead-tamper-protection\' denied request: only the operator may change managed objects' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create NetworkPolicy w-model', 'Warning ApplyFailed: apply ServiceAccount ml/w-model refused: 403 Forbidden: serviceaccounts "w-model" is forbidden: ValidatingAdmissionPolicy'],
    writes: ['apply NetworkPolicy w-model'],
  },
  {
    name: 'an object the API server finds invalid (422)',
    refusals: [{ verb: 'apply', kind: 'NetworkPolicy', err: INVALID }],
    outcome: { kind: 'failed', refused: true, message: 'apply NetworkPolicy ml/w-model refused: 422 Invalid: NetworkPolicy.networking.k8s.io "w-model" is invalid: spec.podSelector: Invalid value' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create ServiceAccount w-model', 'Warning ApplyFailed: apply NetworkPolicy ml/w-model refused: 422 Invalid'],
    writes: ['apply ServiceAccount w-model'],
  },
  {
    name: 'a timeout: Reconciling (retried with backoff), observedGeneration not advanced',
    refusals: [{ verb: 'apply', kind: 'NetworkPolicy', err: TIMEOUT }],
    outcome: { kind: 'failed', refused: false, message: 'apply NetworkPolicy ml/w-model failed: PATCH /apis/networking.k8s.io/v1/namespaces/ml/networkpolicies/w-model: timed out' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'True', 'Retrying'], ['Stalled', 'False', 'Retrying']],
    events: ['Normal Applied: Applied: create ServiceAccount w-model', 'Warning ApplyFailed: apply NetworkPolicy ml/w-model failed: PATCH'],
    writes: ['apply ServiceAccount w-model'],
  },
  {
    name: 'an annotation someone added to a segment\'s ServiceAccount is removed as drift (a cloud identity it never declared)',
    convergeFirst: (c) => {
      const sa = c.objects.get(`ServiceAccount/${NS}/w-model`)?.metadata as { annotations?: Record<string, string>; labels?: Record<string, string> };
      sa.annotations = { ...sa.annotations, 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/admin', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
      sa.labels = { ...sa.labels, team: 'x' };
    },
    refusals: [],
    outcome: { kind: 'applied' },
    conditions: [['Ready', 'True', 'Applied'], ['Reconciling', 'False', 'Converged'], ['Stalled', 'False', 'Converged']],
    observedGeneration: 1,
    events: ['Normal DriftCorrected: Corrected drift: remove label team, annotation eks.amazonaws.com/role-arn from ServiceAccount w-model'],
    writes: ['strip ServiceAccount w-model team,eks.amazonaws.com/role-arn'],
  },
  {
    name: 'a metadata repair refused: ApplyFailed names it',
    convergeFirst: (c) => {
      const sa = c.objects.get(`ServiceAccount/${NS}/w-model`)?.metadata as { annotations?: Record<string, string> };
      sa.annotations = { ...sa.annotations, 'iam.gke.io/gcp-service-account': 'a@b.iam.gserviceaccount.com' };
    },
    refusals: [{ verb: 'strip', kind: 'ServiceAccount', err: ADMISSION_DENIED }],
    outcome: { kind: 'failed', refused: true, message: 'strip metadata of ServiceAccount ml/w-model refused: 403 Forbidden: serviceaccounts "w-model" is forbidden: ValidatingAdmissionPolicy \'bulkhead-tamper-protection\' with binding \'bulkhead-tamper-protection\' denied request: only the operator may change managed objects' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Warning ApplyFailed: strip metadata of ServiceAccount ml/w-model refused'],
    writes: [],
  },
  {
    name: 'a drift repair refused after Ready=True turns Ready false',
    convergeFirst: (c) => c.objects.delete(`NetworkPolicy/${NS}/w-model`),
    refusals: [{ verb: 'apply', kind: 'NetworkPolicy', err: RBAC_DENIED }],
    outcome: { kind: 'failed', refused: true, message: 'apply NetworkPolicy ml/w-model refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-model" is forbidden: User "reader" cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "ml"' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Warning ApplyFailed: apply NetworkPolicy ml/w-model refused'],
    writes: [],
  },
  {
    name: 'a Role refused by RBAC (not the ceiling): ApplyFailed, and its binding is not applied',
    permissions: true,
    refusals: [{ verb: 'apply', kind: 'Role', err: ROLE_RBAC_DENIED }],
    outcome: { kind: 'failed', refused: true, message: 'apply Role ml/w-model refused: 403 Forbidden: roles.rbac.authorization.k8s.io "w-model" is forbidden: User "reader" cannot patch resource "roles"' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create ServiceAccount w-model, create NetworkPolicy w-model', 'Warning ApplyFailed: apply Role ml/w-model refused'],
    writes: ['apply ServiceAccount w-model', 'apply NetworkPolicy w-model'],
  },
  {
    name: 'a Role refused by the escalation check: the ceiling, not a failure',
    permissions: true,
    refusals: [{ verb: 'apply', kind: 'Role', err: ESCALATION }],
    outcome: { kind: 'applied', requeueAfter: 60_000 },
    conditions: [['Ready', 'False', 'PermissionsOutsideCeiling'], ['Reconciling', 'False', 'PermissionsOutsideCeiling'], ['Stalled', 'True', 'PermissionsOutsideCeiling']],
    observedGeneration: 1,
    events: ['Normal Applied: Applied: create ServiceAccount w-model, create NetworkPolicy w-model'],
    writes: ['apply ServiceAccount w-model', 'apply NetworkPolicy w-model'],
  },
  {
    name: 'a failed prune is reported, naming the object',
    convergeFirst: (c) => c.addStale('NetworkPolicy', 'w-old'),
    refusals: [{ verb: 'prune', kind: 'NetworkPolicy', err: apiError(403, 'Forbidden', 'networkpolicies.networking.k8s.io "w-old" is forbidden: User "reader" cannot delete resource "networkpolicies"') }],
    outcome: { kind: 'failed', refused: true, message: 'prune NetworkPolicy ml/w-old refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-old" is forbidden: User "reader" cannot delete resource "networkpolicies"' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'False', 'ApplyFailed'], ['Stalled', 'True', 'ApplyFailed']],
    observedGeneration: 1,
    events: ['Warning ApplyFailed: prune NetworkPolicy ml/w-old refused'],
    writes: [],
  },
  {
    name: 'nothing is pruned while an apply failed (the successor of a pruned policy must be in place first)',
    setup: (c) => c.addStale('NetworkPolicy', 'w-old'),
    refusals: [{ verb: 'apply', kind: 'NetworkPolicy', err: TIMEOUT }],
    outcome: { kind: 'failed', refused: false, message: 'apply NetworkPolicy ml/w-model failed: PATCH /apis/networking.k8s.io/v1/namespaces/ml/networkpolicies/w-model: timed out' },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'True', 'Retrying'], ['Stalled', 'False', 'Retrying']],
    events: ['Normal Applied: Applied: create ServiceAccount w-model', 'Warning ApplyFailed: apply NetworkPolicy ml/w-model failed'],
    writes: ['apply ServiceAccount w-model'],
  },
  {
    name: 'a conflict is re-read first: requeue, status untouched, no Event',
    convergeFirst: (c) => c.addStale('NetworkPolicy', 'w-old'),
    refusals: [{ verb: 'prune', kind: 'NetworkPolicy', err: CONFLICT }],
    outcome: { kind: 'requeue', message: 'prune NetworkPolicy ml/w-old failed: 409 Conflict: Precondition failed: UID in precondition: uid-old-model, UID in object meta: other' },
    conditions: [['Ready', 'True', 'Applied'], ['Reconciling', 'False', 'Converged'], ['Stalled', 'False', 'Converged']],
    observedGeneration: 1,
    events: [],
    writes: [],
  },
  {
    name: `a conflict still there after ${MAX_CONFLICT_RETRIES} retries is a failure`,
    convergeFirst: (c) => c.addStale('NetworkPolicy', 'w-old'),
    refusals: [{ verb: 'prune', kind: 'NetworkPolicy', err: CONFLICT }],
    attempt: MAX_CONFLICT_RETRIES,
    outcome: { kind: 'failed', refused: false, message: `prune NetworkPolicy ml/w-old failed: 409 Conflict: Precondition failed: UID in precondition: uid-old-model, UID in object meta: other (still conflicting after ${MAX_CONFLICT_RETRIES} retries)` },
    conditions: [['Ready', 'False', 'ApplyFailed'], ['Reconciling', 'True', 'Retrying'], ['Stalled', 'False', 'Retrying']],
    observedGeneration: 1,
    events: ['Warning ApplyFailed: prune NetworkPolicy ml/w-old failed: 409 Conflict'],
    writes: [],
  },
];

describe('Reconciler.reconcile: outcome, status and Events', () => {
  test.each(cases)('$name', async (c) => {
    const cluster = new FakeCluster(spec(c.permissions));
    if (c.convergeFirst !== undefined) {
      await converged(cluster);
      c.convergeFirst(cluster);
    }
    c.setup?.(cluster);
    cluster.refusals = c.refusals;
    const outcome = await reconcilerFor(cluster).reconcile(`${NS}/w`, c.attempt ?? 0);
    expect(outcome).toEqual(c.outcome);
    expect(['Ready', 'Reconciling', 'Stalled'].map((t) => [t, cluster.condition(t)?.status, cluster.condition(t)?.reason])).toEqual(c.conditions);
    if (c.readyMessage !== undefined) expect(cluster.condition('Ready')?.message).toContain(c.readyMessage);
    expect(cluster.workload.status?.observedGeneration).toBe(c.observedGeneration);
    expect(cluster.recorded.events).toHaveLength(c.events.length);
    cluster.recorded.events.forEach((e, i) => expect(`${e.type} ${e.reason}: ${e.message}`.startsWith(c.events[i] ?? '')).toBe(true));
    expect(cluster.recorded.writes).toEqual(c.writes);
  });
});

describe('Reconciler.reconcile: other outcomes', () => {
  test('an AIWorkload that is gone is skipped', async () => {
    expect(await reconcilerFor(new FakeCluster(spec())).reconcile(`${NS}/other`)).toEqual({ kind: 'skipped' });
  });

  test('an invalid spec is invalid, Stalled, and writes nothing', async () => {
    const cluster = new FakeCluster({ components: [] });
    expect(await reconcilerFor(cluster).reconcile(`${NS}/w`)).toEqual({ kind: 'invalid' });
    expect(cluster.condition('Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(cluster.recorded.writes).toEqual([]);
  });

  test('a write refused because this replica stopped leading is no outcome of the AIWorkload: it propagates', async () => {
    const cluster = new FakeCluster(spec());
    cluster.refusals = [{ verb: 'apply', kind: 'ServiceAccount', err: () => new NotLeaderError() }];
    await expect(reconcilerFor(cluster).reconcile(`${NS}/w`)).rejects.toBeInstanceOf(NotLeaderError);
    expect(cluster.workload.status).toBeUndefined();
  });

  test('the failure clears once the write goes through', async () => {
    const cluster = new FakeCluster(spec());
    cluster.refusals = [{ verb: 'apply', kind: 'NetworkPolicy', err: RBAC_DENIED }];
    const reconciler = reconcilerFor(cluster);
    expect((await reconciler.reconcile(`${NS}/w`)).kind).toBe('failed');
    cluster.refusals = [];
    expect(await reconciler.reconcile(`${NS}/w`)).toEqual({ kind: 'applied' });
    expect(cluster.condition('Ready')).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(cluster.condition('Stalled')).toMatchObject({ status: 'False', reason: 'Converged' });
  });

  test('IdentityDrift names the pods and the ServiceAccounts they run as', async () => {
    const cluster = new FakeCluster(spec());
    const pod = (name: string, serviceAccountName?: string): StoredObject => ({
      metadata: { name, namespace: NS, labels: { app: 'model' } },
      spec: serviceAccountName !== undefined ? { serviceAccountName } : {},
    });
    cluster.pods.push(pod('model-1', 'legacy'), pod('model-0'), pod('model-2', 'w-model'));
    await reconcilerFor(cluster).reconcile(`${NS}/w`);
    expect(cluster.condition('IdentityDrift')).toMatchObject({
      status: 'True',
      reason: 'PodsUnderOtherServiceAccount',
      message: 'model: 2 pod(s) not running as w-model: model-0 (as default), model-1 (as legacy)',
    });
    expect(cluster.workload.status?.components?.[0]).toMatchObject({ matchedPods: 3, podsWithOtherServiceAccount: 2 });
  });
});
