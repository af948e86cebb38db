// API server restart: kube-apiserver stops in the middle of a run and comes back; the operator
// (never restarted) reports not-ready while it is gone, ready once it is back, and converges every
// change made meanwhile.
//
// "Change AIWorkloads while it is down": with the one API server down nobody can change anything
// through the API. In a real HA control plane the other API server replicas keep taking writes
// while the one our operator talks to is away; we reproduce exactly that view by writing to etcd
// directly while kube-apiserver is stopped (custom resources are stored as plain JSON; a spec
// change bumps metadata.generation, as the API server would). We also delete a generated
// NetworkPolicy from etcd meanwhile: a deletion the operator can only learn about by relisting.
// And right after the server returns, before the operator's watches have reconnected (they are
// in backoff), we create a new AIWorkload through the API.
import { deleteNamespace, freshNamespace, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import {
  applyWorkload,
  etcdDelete,
  etcdGetJson,
  etcdPutJson,
  getJson,
  metric,
  operatorUser,
  report,
  smallSpec,
  waitConverged,
} from './support.js';

let operator: RunningOperator;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-apiserver');
  const u = await operatorUser('fault-apiserver-operator');
  operator = await startOperator({ kubeconfig: u.kubeconfig });
  await applyWorkload(ns, 'edited', smallSpec());
  await applyWorkload(ns, 'repaired', smallSpec());
  await waitConverged(ns, ['edited', 'repaired']);
}, 120_000);

afterAll(async () => {
  // Whatever happened above, leave the shared cluster with a serving API server.
  const cluster = testCluster();
  if (!(await cluster.healthy())) await cluster.startApiServer();
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
  // kube-controller-manager's watches reconnect with client-go's backoff after the restart; hand
  // the next suite a cluster whose controllers work again (a new namespace gets its default
  // ServiceAccount), so its own 30 s waits measure only its own work.
  const probe = await freshNamespace('fault-apiserver-probe', { timeoutMs: 120_000 });
  await deleteNamespace(probe);
}, 240_000);

type Stored = { metadata: { generation: number }; spec: { components: { name: string; ports?: { port: number }[] }[] } };

test('the operator survives a kube-apiserver restart: /readyz drops and returns, changes made meanwhile converge', async () => {
  const cluster = testCluster();
  const restartsBefore = await metric(operator, 'bulkhead_watch_restarts_total');
  const workloadKey = `/registry/bulkhead.dev/aiworkloads/${ns}/edited`;
  expect(await etcdGetJson<Stored>(workloadKey)).toBeDefined();

  const stoppedAt = Date.now();
  await cluster.stopApiServer();
  try {
    const notReady = await waitFor(async () => {
      const r = await operator.get('/readyz');
      return r.status === 503 ? r.body : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, description: '/readyz to report 503 while the API server is down' });
    expect(notReady).toMatch(/lost the API server/);
    report(`apiserver restart: /readyz 503 after ${Date.now() - stoppedAt} ms`);
    expect((await operator.get('/healthz')).status).toBe(200); // alive: no reason to be restarted

    // Changes while the API server is down (see the file comment).
    const stored = (await etcdGetJson<Stored>(workloadKey)) as Stored;
    const db = stored.spec.components.find((c) => c.name === 'db');
    if (db?.ports?.[0] === undefined) throw new Error('unexpected stored spec');
    db.ports[0].port = 6380;
    stored.metadata.generation += 1;
    await etcdPutJson(workloadKey, stored);
    expect(await etcdDelete(`/registry/networkpolicies/${ns}/repaired-api`)).toBe(1);
  } finally {
    await cluster.startApiServer();
  }
  const startedAt = Date.now();
  // As the server comes back, before the operator's watches have reconnected.
  await applyWorkload(ns, 'created', smallSpec({ port: 7000 }));

  await waitFor(async () => (await operator.get('/readyz')).status === 200, { timeoutMs: 60_000, intervalMs: 100, description: '/readyz back to 200' });
  report(`apiserver restart: /readyz 200 again ${Date.now() - startedAt} ms after the API server was ready`);
  await waitConverged(ns, ['edited', 'repaired', 'created']);
  const np = await getJson<{ spec: { ingress?: { ports?: { port: number }[] }[] } }>(['-n', ns, 'get', 'networkpolicy', 'edited-db']);
  expect(np.spec.ingress?.some((r) => r.ports?.some((p) => p.port === 6380))).toBe(true);
  await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'repaired-api']);

  // Never restarted: the same process did all of it, and it counted the broken watches.
  expect(operator.process.exitCode).toBeNull();
  expect(operator.process.signalCode).toBeNull();
  expect(await metric(operator, 'bulkhead_watch_restarts_total')).toBeGreaterThan(restartsBefore);
}, 180_000);
