// Drift, measured on packets: while an intruder opens a new connection every 20 ms, a generated
// NetworkPolicy is deleted, then widened to let every pod of the namespace in. The operator repairs
// both; the window in which connections got through is measured and bounded by one second.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, openWindow, probeLoop, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

let dp: Dataplane;
let operator: RunningOperator;
let ns: string;
let model: HostRecord;
let gateway: HostRecord;
let intruder: HostRecord;

const workload = (namespace: string): string => dump({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'drift', namespace },
  spec: {
    components: [
      { name: 'gateway', role: 'Gateway', selector: { matchLabels: { app: 'gateway' } } },
      { name: 'model', role: 'Model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] },
    ],
    flows: [{ from: 'gateway', to: 'model', ports: ['grpc'] }],
  },
});

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('drift-packets');
  dp = await startDataplane();
  operator = await startOperator();
  await kubectlOk(['apply', '-f', '-'], { input: workload(ns) });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/drift', '--timeout=60s']);
  gateway = await dp.addPod({ namespace: ns, name: 'gateway', labels: { app: 'gateway' }, serviceAccountName: 'drift-gateway' });
  model = await dp.addPod({ namespace: ns, name: 'model', labels: { app: 'model' }, ports: [{ name: 'grpc', port: 9000 }], serviceAccountName: 'drift-model' });
  intruder = await dp.addPod({ namespace: ns, name: 'intruder', labels: { app: 'intruder' } });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

const address = (): string => model.ipv4[0] ?? '';

async function closedBeforeAndAfter(): Promise<void> {
  expect((await dp.probe(intruder.key, address(), 'TCP', 9000)).open).toBe(false);
  expect((await dp.probe(gateway.key, address(), 'TCP', 9000)).open).toBe(true);
}

test.each([
  ['deleted', ['-n', () => ns, 'delete', 'networkpolicy', 'drift-model', '--wait=false']],
  ['widened to every pod of the namespace', ['-n', () => ns, 'patch', 'networkpolicy', 'drift-model', '--type=json', '-p', '[{"op":"add","path":"/spec/ingress/-","value":{"from":[{"podSelector":{}}]}}]']],
] as const)('a segment policy %s is repaired within a second, measured on packets', async (what, args) => {
  await closedBeforeAndAfter();
  const loop = probeLoop(dp, { from: intruder.key, address: address(), port: 9000 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const since = Date.now() - loop.startedAt;
  await kubectlOk(args.map((a) => (typeof a === 'function' ? a() : a)));
  await waitFor(async () => {
    const np = JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'drift-model', '-o', 'json'])) as { spec: { ingress?: unknown[] } };
    return np.spec.ingress?.length === 1;
  }, { timeoutMs: 10_000, intervalMs: 20, description: 'the operator to repair drift-model' });
  // Observed for half a second more: the segment stays closed after the repair.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const attempts = await loop.stop();
  const { windowMs, connected } = openWindow(attempts, since);
  process.stderr.write(`[dataplane] drift (${what}): ${connected} of ${attempts.filter((a) => a.at >= since).length} connections got through, window ${windowMs} ms\n`);
  expect(attempts.filter((a) => a.at < since && a.open)).toEqual([]);
  expect(windowMs).toBeLessThan(1000);
  // The last 500 ms: closed again.
  const end = Math.max(...attempts.map((a) => a.at));
  expect(attempts.filter((a) => a.at > end - 500 && a.open)).toEqual([]);
  await closedBeforeAndAfter();
}, 60_000);

// The measurement's control: with no operator to repair it, the same deletion opens the segment to
// the intruder, and the same loop sees it.
test('without the operator a deleted segment policy stays open, and the loop sees it', async () => {
  await operator.stop();
  const loop = probeLoop(dp, { from: intruder.key, address: address(), port: 9000 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const since = Date.now() - loop.startedAt;
  await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'drift-model']);
  await waitFor(async () => (await dp.probe(intruder.key, address(), 'TCP', 9000)).open, { timeoutMs: 10_000, description: 'the intruder to connect' });
  // Observed for 300 ms more, as the repaired cases are.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const { windowMs, connected } = openWindow(await loop.stop(), since);
  expect(connected).toBeGreaterThan(0);
  expect(windowMs).toBeGreaterThan(0);
  operator = await startOperator();
  await waitFor(async () => !(await dp.probe(intruder.key, address(), 'TCP', 9000)).open, { timeoutMs: 30_000, description: 'the restarted operator to close the segment again' });
}, 90_000);
