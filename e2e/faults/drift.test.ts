// Drift: someone else deletes or edits a generated object of each kind (NetworkPolicy,
// ServiceAccount, Role, RoleBinding); the operator restores it. The latency of every repair is
// measured on the API server's clock, from the audit event of the intruding write to the audit
// event of the operator's repairing write for the same object, so neither client's scheduling
// nor the test's polling interval enters the figure. The figures are printed, not asserted: on a
// shared 2-core machine a timing assertion would only measure the neighbours.
import type { AuditEvent } from '../harness/cluster.js';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import {
  type Kind,
  type Obj,
  GENERATED_KINDS,
  PLURAL,
  applyWorkload,
  auditMark,
  auditSince,
  auditTime,
  desiredObjects,
  getJson,
  getOrUndefined,
  isSubset,
  jsonCopy,
  median,
  metric,
  operatorUser,
  report,
  smallSpec,
  waitConverged,
} from './support.js';

const ROUNDS = 7; // 4 kinds x (delete + edit) x 7 = 56 repairs

let operator: RunningOperator;
let user: string;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-drift');
  const u = await operatorUser('fault-drift-operator');
  user = u.username;
  operator = await startOperator({ kubeconfig: u.kubeconfig });
  await applyWorkload(ns, 'app', smallSpec());
  await waitConverged(ns, ['app']);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

/** One edit per kind that changes a field the operator owns (merge patches, as kubectl edit would). */
const EDITS: Record<Kind, { name: string; patch: unknown }> = {
  NetworkPolicy: { name: 'app-api', patch: { spec: { podSelector: { matchLabels: { app: 'someone-else' } } } } },
  ServiceAccount: { name: 'app-api', patch: { automountServiceAccountToken: true, metadata: { annotations: { 'example.com/role': 'tampered' } } } },
  Role: { name: 'app-api', patch: { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }] } },
  RoleBinding: { name: 'app-api', patch: { subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' }] } },
};

const sameObject = (e: AuditEvent, kind: Kind, name: string): boolean =>
  e.objectRef?.resource === PLURAL[kind] && e.objectRef.namespace === ns && e.objectRef.name === name && e.objectRef.subresource === undefined;

/**
 * The repair latency of one intrusion: from the admin's successful write to the operator's first
 * successful write of the same object after it, both as the API server recorded them.
 */
function repairLatency(events: readonly AuditEvent[], kind: Kind, name: string): number {
  const intrusion = events.find((e) => e.user.username === 'admin' && sameObject(e, kind, name) && (e.verb === 'delete' || e.verb === 'patch'));
  if (intrusion === undefined) throw new Error(`no audit event for the intruding write of ${kind} ${name}`);
  const t0 = auditTime(intrusion);
  const repair = events.find((e) => e.user.username === user && sameObject(e, kind, name) && e.verb === 'patch' && auditTime(e) >= t0 && (e.responseStatus?.code ?? 0) < 300);
  if (repair === undefined) throw new Error(`no audit event for the operator's repair of ${kind} ${name}`);
  return auditTime(repair) - t0;
}

async function restored(kind: Kind, name: string): Promise<Obj | undefined> {
  const want = (await desiredObjects(ns, 'app')).find((o) => o.kind === kind && o.metadata.name === name);
  const got = await getOrUndefined<Obj>(['-n', ns, 'get', PLURAL[kind], name]);
  return got !== undefined && isSubset(jsonCopy(want), got) ? got : undefined;
}

type Intrusion = 'delete' | 'edit';

/** Every intrusion of the test in order: each round deletes and then edits each kind. */
const INTRUSIONS: readonly { kind: Kind; op: Intrusion }[] = Array.from({ length: ROUNDS }).flatMap(() =>
  GENERATED_KINDS.flatMap((kind) => (['delete', 'edit'] as const).map((op) => ({ kind, op }))),
);

/**
 * intrudeAndWait makes one intruding write as the admin, waits until the operator has restored the
 * object and the audit log holds the repair, and returns the object's uid before the intrusion,
 * the object as restored, and the repair latency.
 */
async function intrudeAndWait(kind: Kind, op: Intrusion): Promise<{ uidBefore: string | undefined; back: Obj; latencyMs: number }> {
  const { name, patch } = EDITS[kind];
  const uidBefore = (await getJson<Obj>(['-n', ns, 'get', PLURAL[kind], name])).metadata.uid;
  const mark = auditMark();
  if (op === 'delete') await kubectlOk(['-n', ns, 'delete', PLURAL[kind], name, '--wait=false']);
  else await kubectlOk(['-n', ns, 'patch', PLURAL[kind], name, '--type=merge', '-p', JSON.stringify(patch)]);
  const back = await waitFor(() => restored(kind, name), { timeoutMs: 30_000, intervalMs: 100, description: `${kind} ${name} restored after ${op}` });
  const latencyMs = await waitFor(() => repairLatency(auditSince(mark), kind, name), { timeoutMs: 10_000, description: 'audit events of the repair' });
  return { uidBefore, back, latencyMs };
}

async function repairCounts(): Promise<Record<Kind, number>> {
  const counts = await Promise.all(
    GENERATED_KINDS.map(async (kind): Promise<[Kind, number]> => [kind, await metric(operator, 'bulkhead_drift_repairs_total', { kind })]),
  );
  return Object.fromEntries(counts) as Record<Kind, number>;
}

test(`every deleted or edited generated object is restored (${GENERATED_KINDS.length * 2 * ROUNDS} repairs, timed)`, async () => {
  const latencies: Record<Kind, number[]> = { NetworkPolicy: [], ServiceAccount: [], Role: [], RoleBinding: [] };
  const repairsBefore = await repairCounts();
  let saEdits = 0;
  for (const { kind, op } of INTRUSIONS) {
    const { uidBefore, back, latencyMs } = await intrudeAndWait(kind, op);
    if (kind === 'ServiceAccount' && op === 'edit') {
      // Updated in place, never recreated: an edit must not change the ServiceAccount's uid
      // (pods hold tokens bound to it).
      expect(back.metadata.uid).toBe(uidBefore);
      saEdits++;
    }
    latencies[kind].push(latencyMs);
  }
  expect(saEdits).toBe(ROUNDS);

  const all = GENERATED_KINDS.flatMap((k) => latencies[k]);
  expect(all.length).toBeGreaterThanOrEqual(50);
  for (const kind of GENERATED_KINDS) {
    const xs = latencies[kind];
    report(`drift repair ${kind}: n=${xs.length} median=${median(xs).toFixed(0)} ms worst=${Math.max(...xs).toFixed(0)} ms`);
    // Every repair is counted by kind (a repair may be counted twice when a second reconcile runs
    // before the cache has seen the first repair, hence at least).
    expect((await metric(operator, 'bulkhead_drift_repairs_total', { kind })) - repairsBefore[kind]).toBeGreaterThanOrEqual(xs.length);
  }
  report(`drift repair all kinds: n=${all.length} median=${median(all).toFixed(0)} ms worst=${Math.max(...all).toFixed(0)} ms`);
  // Each repair is also recorded as an Event on the AIWorkload.
  const events = await getJson<{ items: { reason: string; message: string; count?: number }[] }>(['-n', ns, 'get', 'events', '--field-selector', 'reason=DriftCorrected,involvedObject.name=app']);
  expect(events.items.length).toBeGreaterThan(0);
}, 600_000);
