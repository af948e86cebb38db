// Cross-namespace consent on packets: team A's declaration alone opens nothing into team B; once B
// declares its side the flow connects; when B withdraws, new connections are refused again.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

let dp: Dataplane;
let operator: RunningOperator;
let a: string;
let b: string;
let client: HostRecord;
let api: HostRecord;

const server = (withIngress: boolean): string => dump({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'server', namespace: b },
  spec: {
    components: [{ name: 'api', role: 'Model', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] }],
    ...(withIngress ? { ingress: [{ to: 'api', from: { workload: { namespace: a, name: 'client', component: 'app' } }, ports: ['http'] }] } : {}),
  },
});

/** Every family: does the client get through to the API? */
const connects = async (): Promise<boolean[]> =>
  Promise.all([...api.ipv4, ...api.ipv6].map(async (address) => (await dp.probe(client.key, address, 'TCP', 8080)).open));

beforeAll(async () => {
  await ensureCrd();
  a = await freshNamespace('team-a');
  b = await freshNamespace('team-b');
  dp = await startDataplane();
  operator = await startOperator();
  await kubectlOk(['apply', '-f', '-'], {
    input: dump({
      apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'client', namespace: a },
      spec: {
        components: [{ name: 'app', role: 'Generic', selector: { matchLabels: { app: 'client' } } }],
        egress: [{ from: 'app', to: { workload: { namespace: b, name: 'server', component: 'api' } }, ports: ['http'] }],
      },
    }),
  });
  await kubectlOk(['apply', '-f', '-'], { input: server(false) });
  await kubectlOk(['-n', b, 'wait', '--for=condition=Ready', 'aiworkload/server', '--timeout=60s']);
  client = await dp.addPod({ namespace: a, name: 'client', labels: { app: 'client' } });
  api = await dp.addPod({ namespace: b, name: 'api', labels: { app: 'api' }, ports: [{ name: 'http', port: 8080 }] });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
  for (const ns of [a, b]) if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

test('A alone opens nothing into B; B consents and it connects; B withdraws and new connections are refused', async () => {
  await kubectlOk(['-n', a, 'wait', '--for=condition=ConsentPending', 'aiworkload/client', '--timeout=60s']);
  expect(await connects()).toEqual([false, false]);
  await kubectlOk(['apply', '-f', '-'], { input: server(true) });
  await waitFor(async () => (await connects()).every(Boolean), { timeoutMs: 30_000, description: 'the flow to connect once both sides declare it' });
  await waitFor(async () => ['', 'False'].includes(await kubectlOk(['-n', a, 'get', 'aiworkload', 'client', '-o', 'jsonpath={.status.conditions[?(@.type=="ConsentPending")].status}'])), { timeoutMs: 30_000, description: 'ConsentPending to clear' });
  await kubectlOk(['apply', '-f', '-'], { input: server(false) });
  await waitFor(async () => (await connects()).every((x) => !x), { timeoutMs: 30_000, description: 'new connections to be refused once B withdraws' });
}, 120_000);
