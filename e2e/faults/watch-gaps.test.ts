// Watch gaps: the operator's connections to the API server are cut (a TCP proxy between them drops
// every stream and refuses new connections) while objects change; when the network heals, every
// change made during the gap is reconciled.
//
// Two gaps. In the first, the watches resume from their last resourceVersion (the API server's
// watch cache still holds the missed events). In the second we also compact etcd and restart
// kube-apiserver during the gap: compaction alone does not force a 410, because the watch cache
// serves recent history from memory; a restarted server's cache starts at the current revision,
// so the operator's resumed watches are answered 410 Gone and it must relist, and only the relist
// diff can tell it about objects deleted meanwhile.
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { type ApiProxy, startApiProxy } from '../harness/proxy.js';
import { applyWorkload, managedObjects, metric, operatorUser, smallSpec, waitConverged } from './support.js';

let operator: RunningOperator;
let proxy: ApiProxy;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-gaps');
  const u = await operatorUser('fault-gaps-operator');
  proxy = await startApiProxy({ host: '127.0.0.1', port: testCluster().state().ports.apiServer });
  operator = await startOperator({ kubeconfig: await proxy.kubeconfig(u.kubeconfig) });
  for (const name of ['edited', 'drifted', 'deleted']) await applyWorkload(ns, name, smallSpec());
  await waitConverged(ns, ['edited', 'drifted', 'deleted']);
}, 120_000);

afterAll(async () => {
  const cluster = testCluster();
  if (!(await cluster.healthy())) await cluster.startApiServer();
  proxy?.heal();
  await operator?.stop();
  await proxy?.close();
  if (ns !== undefined) await deleteNamespace(ns);
  // The API server was restarted: wait until kube-controller-manager works again (see
  // apiserver-restart.test.ts) before the next suite runs.
  const probe = await freshNamespace('fault-gaps-probe', { timeoutMs: 120_000 });
  await deleteNamespace(probe);
}, 240_000);

/** Changes made while the operator cannot see anything; `n` makes each gap's changes distinct. */
async function changeEverything(n: number): Promise<void> {
  await applyWorkload(ns, 'edited', smallSpec({ port: 9000 + n }));
  await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'drifted-api']);
  await kubectlOk(['-n', ns, 'patch', 'role', 'drifted-api', '--type=merge', '-p', JSON.stringify({ rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] })]);
  await kubectlOk(['-n', ns, 'patch', 'serviceaccount', 'drifted-db', '--type=merge', '-p', JSON.stringify({ automountServiceAccountToken: true })]);
  await applyWorkload(ns, `created-${n}`, smallSpec());
}

async function waitCut(): Promise<void> {
  await waitFor(async () => (await operator.get('/readyz')).status === 503, { timeoutMs: 30_000, intervalMs: 100, description: 'the operator to notice the partition' });
}

async function assertAllReconciled(n: number): Promise<void> {
  const live = ['edited', 'drifted', ...Array.from({ length: n }, (_, i) => `created-${i + 1}`)];
  await waitConverged(ns, live, 90_000);
  // The deleted workload's objects were collected and not recreated.
  await waitFor(async () => (await managedObjects(ns, 'deleted')).length === 0, { timeoutMs: 60_000, description: 'objects of the deleted workload collected' });
  expect((await kubectl(['-n', ns, 'get', 'aiworkload', 'deleted'])).code).not.toBe(0);
}

test('a cut with the watch history still available: every change made during the gap is reconciled', async () => {
  const restarts = await metric(operator, 'bulkhead_watch_restarts_total');
  proxy.partition();
  try {
    await waitCut();
    await changeEverything(1);
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'deleted', '--wait=false']);
  } finally {
    proxy.heal();
  }
  await assertAllReconciled(1);
  expect(await metric(operator, 'bulkhead_watch_restarts_total')).toBeGreaterThan(restarts);
}, 180_000);

test('a cut across etcd compaction and an API server restart: watches get 410, relist, and every change (deletions included) is reconciled', async () => {
  const cluster = testCluster();
  const logBefore = operator.logs().length;
  proxy.partition();
  try {
    await waitCut();
    await changeEverything(2);
    await cluster.etcdCompact();
    await cluster.stopApiServer();
  } finally {
    if (!(await cluster.healthy())) await cluster.startApiServer();
    proxy.heal();
  }
  await assertAllReconciled(2);
  // The resumed watches were refused as too old and the informers relisted.
  const gone = operator.logs().slice(logBefore).split('\n').filter((l) => l.includes('"watch ended"') && l.includes('"reason":"gone"'));
  expect(gone.length).toBeGreaterThan(0);
}, 180_000);
