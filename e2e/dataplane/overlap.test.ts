// Overlapping segments, on packets. NetworkPolicies add up: a Dataset pod that also carries a
// Pipeline's labels gets the Pipeline's egress to the internet. Selectors that provably share pods
// are refused (Stalled, naming both components, last good policies kept); a live overlap is named
// in the Overlapping condition (the pod and both segments, also across AIWorkloads) and shows as
// exposure of the data store, and the packets agree that its egress is open.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { INTERNET } from './world.js';

let dp: Dataplane;
let operator: RunningOperator;
let ns: string;
let minio: HostRecord;
let shared: HostRecord;

const aiw = (name: string, components: unknown[], egress: unknown[] = []): string =>
  dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace: ns }, spec: { components, egress } });

const DATA = { name: 'data', role: 'Dataset', selector: { matchLabels: { app: 'minio' } }, ports: [{ name: 's3', port: 9000 }] };
const INGEST = { name: 'ingest', role: 'Pipeline', selector: { matchLabels: { job: 'ingest' } } };
const INGEST_EGRESS = [{ from: 'ingest', to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, ports: [443] }];

async function condition(name: string, type: string): Promise<{ status?: string; reason?: string; message?: string }> {
  const w = JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', name, '-o', 'json'])) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return w.status?.conditions?.find((c) => c.type === type) ?? {};
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('overlap');
  dp = await startDataplane();
  operator = await startOperator();
  await kubectlOk(['apply', '-f', '-'], { input: aiw('w', [DATA, INGEST], INGEST_EGRESS) });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/w', '--timeout=60s']);
  minio = await dp.addPod({ namespace: ns, name: 'minio-0', labels: { app: 'minio' }, ports: [{ name: 's3', port: 9000 }], serviceAccountName: 'w-data' });
  shared = await dp.addPod({ namespace: ns, name: 'minio-ingest', labels: { app: 'minio', job: 'ingest' }, ports: [{ name: 's3', port: 9000 }], serviceAccountName: 'w-data' });
  await dp.addOutside({ name: 'internet', ipv4: [INTERNET.ipv4], ports: [443] });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

test('a data store pod that also carries a pipeline\'s labels gets its egress, on packets, and the status says so', async () => {
  expect((await dp.probe(minio.key, INTERNET.ipv4, 'TCP', 443)).open).toBe(false);
  expect((await dp.probe(shared.key, INTERNET.ipv4, 'TCP', 443)).open).toBe(true);
  const overlapping = await waitFor(async () => {
    const c = await condition('w', 'Overlapping');
    return c.status === 'True' ? c : undefined;
  }, { description: 'the Overlapping condition' });
  expect(overlapping.reason).toBe('PodsInSeveralSegments');
  expect(overlapping.message).toBe('pod minio-ingest is in segments w/data and w/ingest');
  const exposed = await condition('w', 'Exposed');
  expect(exposed.status).toBe('True');
  expect(exposed.message).toMatch(new RegExp(`^data: ${ns}/minio-ingest\\[Pod\\] can reach .*TCP 443.*via ${ns}/w-ingest`));
}, 60_000);

test('an overlap with another AIWorkload of the namespace is named on both', async () => {
  await kubectlOk(['apply', '-f', '-'], { input: aiw('cache', [{ name: 'store', role: 'Generic', selector: { matchLabels: { app: 'minio' } } }]) });
  await waitFor(async () => (await condition('cache', 'Overlapping')).message?.includes('pod minio-0 is in segments cache/store and w/data') === true, { description: 'cache to name its overlap with w' });
  await waitFor(async () => (await condition('w', 'Overlapping')).message?.includes('pod minio-0 is in segments w/data and cache/store') === true, { description: 'w to name its overlap with cache' });
  await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'cache']);
}, 60_000);

test('selectors that provably share pods are refused, naming both components, and the last good policies stay', async () => {
  const before = await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'w-data', '-o', 'jsonpath={.metadata.resourceVersion}']);
  const narrower = { ...INGEST, selector: { matchLabels: { app: 'minio', job: 'ingest' } } };
  await kubectlOk(['apply', '-f', '-'], { input: aiw('w', [DATA, narrower], INGEST_EGRESS) });
  const stalled = await waitFor(async () => {
    const c = await condition('w', 'Stalled');
    return c.status === 'True' ? c : undefined;
  }, { description: 'w to be Stalled' });
  expect(stalled.reason).toBe('InvalidSpec');
  expect(stalled.message).toContain('spec.components[1].selector: every pod it selects is also selected by component data (components[0]), so component ingest would get both');
  expect(await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'w-data', '-o', 'jsonpath={.metadata.resourceVersion}'])).toBe(before);
  expect((await dp.probe(minio.key, INTERNET.ipv4, 'TCP', 443)).open).toBe(false);
}, 60_000);
