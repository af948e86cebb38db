// The startup race, on packets. A pod that starts before its AIWorkload's policy exists is reachable
// until the policy is applied and enforced: measured here. With namespaceDefaultDeny on another
// AIWorkload of the namespace (applied before the pod), no connection gets through at any time,
// and the declared caller connects once the pod's own segment exists.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, openWindow, probeLoop, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

let dp: Dataplane;
let operator: RunningOperator;
let outside: string;
let intruder: HostRecord;
let friend: HostRecord;
const namespaces: string[] = [];

const aiw = (namespace: string, name: string, spec: Record<string, unknown>): string =>
  dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace }, spec });

/** The model's segment: only pods labelled app=friend in the outside namespace may call it. */
const serving = (namespace: string): string => aiw(namespace, 'serving', {
  components: [{ name: 'model', role: 'Model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] }],
  ingress: [{ to: 'model', from: { namespace: outside, pods: { matchLabels: { app: 'friend' } } }, ports: ['grpc'] }],
});

async function apply(namespace: string, name: string, text: string): Promise<number> {
  await kubectlOk(['apply', '-f', '-'], { input: text });
  const applied = Date.now();
  await kubectlOk(['-n', namespace, 'wait', '--for=condition=Ready', `aiworkload/${name}`, '--timeout=60s']);
  return applied;
}

beforeAll(async () => {
  await ensureCrd();
  outside = await freshNamespace('startup-outside');
  namespaces.push(outside);
  dp = await startDataplane();
  operator = await startOperator();
  intruder = await dp.addPod({ namespace: outside, name: 'intruder', labels: { app: 'intruder' } });
  friend = await dp.addPod({ namespace: outside, name: 'friend', labels: { app: 'friend' } });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
  for (const ns of namespaces) await deleteNamespace(ns);
}, 60_000);

test('a pod that starts before its segment is reachable until the policy is enforced (measured)', async () => {
  const ns = await freshNamespace('startup-race');
  namespaces.push(ns);
  const model = await dp.addPod({ namespace: ns, name: 'model', labels: { app: 'model' }, ports: [{ name: 'grpc', port: 9000 }] });
  const loop = probeLoop(dp, { from: intruder.key, address: model.ipv4[0] ?? '', port: 9000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const applied = (await apply(ns, 'serving', serving(ns))) - loop.startedAt;
  const attempts = await loop.stop();
  const before = openWindow(attempts, 0);
  const firstRefused = attempts.find((a) => a.at >= applied && !a.open)?.at;
  process.stderr.write(`[dataplane] startup race: reachable for ${before.windowMs} ms (${before.connected} connections); policy enforced ${firstRefused === undefined ? '?' : firstRefused - applied} ms after the AIWorkload was applied\n`);
  expect(before.connected).toBeGreaterThan(0);
  expect(firstRefused).toBeDefined();
  expect((await dp.probe(intruder.key, model.ipv4[0] ?? '', 'TCP', 9000)).open).toBe(false);
  expect((await dp.probe(friend.key, model.ipv4[0] ?? '', 'TCP', 9000)).open).toBe(true);
}, 120_000);

test('with namespaceDefaultDeny in the namespace, no connection reaches a pod whose segment does not exist yet', async () => {
  const ns = await freshNamespace('startup-deny');
  namespaces.push(ns);
  await apply(ns, 'base', aiw(ns, 'base', { namespaceDefaultDeny: true, components: [{ name: 'gateway', role: 'Gateway', selector: { matchLabels: { app: 'gateway' } } }] }));
  const model = await dp.addPod({ namespace: ns, name: 'model', labels: { app: 'model' }, ports: [{ name: 'grpc', port: 9000 }] });
  const loop = (from: HostRecord, address: string): { from: HostRecord; loop: ReturnType<typeof probeLoop> } => ({ from, loop: probeLoop(dp, { from: from.key, address, port: 9000 }) });
  const loops = [intruder, friend].flatMap((h) => [loop(h, model.ipv4[0] ?? ''), loop(h, model.ipv6[0] ?? '')]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const applied = Date.now();
  await apply(ns, 'serving', serving(ns));
  const results = await Promise.all(loops.map(async (l) => ({ from: l.from, startedAt: l.loop.startedAt, attempts: await l.loop.stop() })));
  // The intruder never got through, in either family; the friend not before its segment existed.
  for (const r of results) {
    const until = r.from === intruder ? Infinity : applied - r.startedAt;
    expect(r.attempts.filter((a) => a.open && a.at < until)).toEqual([]);
    expect(r.attempts.length).toBeGreaterThan(10);
  }
  expect((await dp.probe(friend.key, model.ipv4[0] ?? '', 'TCP', 9000)).open).toBe(true);
  expect((await dp.probe(friend.key, model.ipv6[0] ?? '', 'TCP', 9000)).open).toBe(true);
  expect((await dp.probe(intruder.key, model.ipv4[0] ?? '', 'TCP', 9000)).open).toBe(false);
  // The default deny closes pods in no segment both ways, except for DNS.
  const stray = await dp.addPod({ namespace: ns, name: 'stray', labels: { app: 'stray' }, ports: [{ name: 'http', port: 8080 }] });
  expect((await dp.probe(intruder.key, stray.ipv4[0] ?? '', 'TCP', 8080)).open).toBe(false);
  expect((await dp.probe(stray.key, friend.ipv4[0] ?? '', 'TCP', 9000, { retry: true })).open).toBe(false);
}, 120_000);
