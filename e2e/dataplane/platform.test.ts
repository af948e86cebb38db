// Platform peers on packets: the cluster DNS answers segments on 53 (UDP and TCP) and nothing else;
// every cloud metadata endpoint of the default list (each family in a test of its own) is cut out
// of every CIDR egress unless the component asks for it; {platform: KubeAPIServer} reaches the API server's endpoint and nothing else, and
// follows the endpoint when it moves.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { ensureNamespace, publishApiServerEndpoint } from './support.js';
import { API_SERVER, INTERNET, METADATA } from './world.js';

let dp: Dataplane;
let operator: RunningOperator;
let ns: string;
const hosts: Record<string, HostRecord> = {};
const MOVED = '198.18.0.11';

const open = async (from: string, address: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<boolean> =>
  (await dp.probe(hosts[from]?.key ?? from, address, protocol, port)).open;

beforeAll(async () => {
  await ensureCrd();
  await publishApiServerEndpoint();
  ns = await freshNamespace('platform-packets');
  await ensureNamespace('kube-system');
  dp = await startDataplane();
  operator = await startOperator();
  await kubectlOk(['apply', '-f', '-'], {
    input: dump({
      apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'p', namespace: ns },
      spec: {
        components: [
          { name: 'job', role: 'Training', selector: { matchLabels: { app: 'job' } } },
          { name: 'cloud', role: 'Training', selector: { matchLabels: { app: 'cloud' } }, allowMetadataAccess: true },
          { name: 'ctl', role: 'Generic', selector: { matchLabels: { app: 'ctl' } } },
        ],
        egress: [
          { from: 'job', to: { cidr: '0.0.0.0/0' }, ports: [80] },
          { from: 'job', to: { cidr: '::/0' }, ports: [80] },
          { from: 'cloud', to: { cidr: '0.0.0.0/0' }, ports: [80] },
          { from: 'cloud', to: { cidr: '::/0' }, ports: [80] },
          { from: 'ctl', to: { platform: 'KubeAPIServer' } },
        ],
      },
    }),
  });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/p', '--timeout=60s']);
  for (const name of ['job', 'cloud', 'ctl']) hosts[name] = await dp.addPod({ namespace: ns, name, labels: { app: name }, serviceAccountName: `p-${name}` });
  hosts['dns'] = await dp.addPod({ namespace: 'kube-system', name: 'kube-dns-platform', labels: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }], listen: [8080] });
  hosts['metadata'] = await dp.addOutside({ name: 'metadata', ipv4: METADATA.ipv4, ipv6: METADATA.ipv6, ports: [80] });
  hosts['internet'] = await dp.addOutside({ name: 'internet', ipv4: [INTERNET.ipv4], ipv6: [INTERNET.ipv6], ports: [80, 6443] });
  hosts['apiserver'] = await dp.addOutside({ name: 'apiserver', ipv4: [API_SERVER.address], ports: [API_SERVER.port, 8080] });
  hosts['moved'] = await dp.addOutside({ name: 'apiserver-moved', ipv4: [MOVED], ports: [API_SERVER.port] });
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
  await publishApiServerEndpoint();
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

test('the cluster DNS answers every segment on 53, UDP and TCP, and nothing else', async () => {
  const dns = hosts['dns'] as HostRecord;
  for (const from of ['job', 'cloud', 'ctl']) {
    for (const address of [...dns.ipv4, ...dns.ipv6]) {
      expect([from, address, await open(from, address, 53, 'UDP'), await open(from, address, 53, 'TCP'), await open(from, address, 8080)]).toEqual([from, address, true, true, false]);
    }
  }
}, 60_000);

test.each([
  ['IPv4', INTERNET.ipv4, METADATA.ipv4],
  ['IPv6', INTERNET.ipv6, METADATA.ipv6],
])('%s: every metadata endpoint is unreachable through a CIDR egress to everything unless the component asks for it', async (_family, internet, endpoints) => {
  expect(endpoints.length).toBeGreaterThanOrEqual(3);
  expect(await open('job', internet, 80)).toBe(true);
  for (const address of endpoints) {
    expect([address, await open('job', address, 80), await open('cloud', address, 80)]).toEqual([address, false, true]);
  }
}, 60_000);

test('{platform: KubeAPIServer} reaches the API server endpoint and nothing else, and follows it when it moves', async () => {
  expect(await open('ctl', API_SERVER.address, API_SERVER.port)).toBe(true);
  expect(await open('ctl', API_SERVER.address, 8080)).toBe(false);
  expect(await open('ctl', INTERNET.ipv4, API_SERVER.port)).toBe(false);
  expect(await open('ctl', MOVED, API_SERVER.port)).toBe(false);
  expect(await open('job', API_SERVER.address, API_SERVER.port)).toBe(false);
  await kubectlOk(['-n', 'default', 'patch', 'endpointslice', 'kubernetes', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/endpoints/0/addresses', value: [MOVED] }])]);
  await waitFor(async () => (await open('ctl', MOVED, API_SERVER.port)) && !(await open('ctl', API_SERVER.address, API_SERVER.port)), { timeoutMs: 30_000, description: 'the rule to follow the API server to its new address' });
}, 90_000);
