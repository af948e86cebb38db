// Where DNS runs is operator configuration: with --dns-namespace and --dns-pod-labels every
// segment's DNS rule selects those pods, and `bulkhead diff` given the same flags agrees with what
// the operator wrote (without them it would put kube-dns back).
import { dump } from 'js-yaml';
import { type CliResult, bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

const PLATFORM = ['--dns-namespace', 'dns-system', '--dns-pod-labels', 'app.kubernetes.io/name=coredns,tier=node'];

let operator: RunningOperator | undefined;
let ns: string;

const diff = (input: string, flags: string[]): Promise<CliResult> => bulkhead(['diff', '-f', '-', ...flags], { input });

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('platform');
  operator = await startOperator({ args: PLATFORM });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

test('the DNS rule follows --dns-namespace and --dns-pod-labels, and diff with the same flags sees no change', async () => {
  const workload = dump({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'AIWorkload',
    metadata: { name: 'w', namespace: ns },
    spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } } }] },
  });
  await kubectlOk(['apply', '-f', '-'], { input: workload });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/w', '--timeout=60s']);
  const np = JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'w-model', '-o', 'json'])) as { spec: { egress: { to: unknown[] }[] } };
  expect(np.spec.egress[0]?.to).toEqual([
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coredns', tier: 'node' } } },
  ]);
  const same = await diff(workload, PLATFORM);
  expect([same.code, same.stdout]).toEqual([0, '']);
  const stock = await diff(workload, []);
  expect(stock.code).toBe(1);
  expect(stock.stdout).toContain(`--- NetworkPolicy ${ns}/w-model`);
  expect(stock.stdout).toMatch(/^\+ +k8s-app: kube-dns$/m);
  expect(stock.stdout).toMatch(/^- +tier: node$/m);
}, 90_000);

test('a KubeAPIServer peer with no EndpointSlice is a PeerUnresolved condition naming the component and the peer, and clears when the endpoint appears', async () => {
  const slice = await kubectl(['-n', 'default', 'get', 'endpointslice', 'kubernetes', '-o', 'json']);
  await kubectl(['-n', 'default', 'delete', 'endpointslice', 'kubernetes', '--ignore-not-found']);
  try {
    await kubectlOk(['apply', '-f', '-'], {
      input: dump({
        apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'ctl', namespace: ns },
        spec: { components: [{ name: 'server', selector: { matchLabels: { app: 'server' } } }], egress: [{ from: 'server', to: { platform: 'KubeAPIServer' } }] },
      }),
    });
    const condition = async (): Promise<string> => kubectlOk(['-n', ns, 'get', 'aiworkload', 'ctl', '-o', 'jsonpath={.status.conditions[?(@.type=="PeerUnresolved")].status}|{.status.conditions[?(@.type=="PeerUnresolved")].message}']);
    await waitFor(async () => (await condition()) === 'True|server: platform/KubeAPIServer: the default/kubernetes EndpointSlice has no addresses', { description: 'PeerUnresolved naming server and the peer' });
    const events = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.name=ctl,reason=PeerUnresolved', '-o', 'jsonpath={.items[*].type}']);
    expect(events).toContain('Warning');
    await kubectlOk(['apply', '--server-side', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } }, addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.20'] }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }),
    });
    await waitFor(async () => (await condition()) === '|', { description: 'PeerUnresolved to clear' });
    const np = JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'ctl-server', '-o', 'json'])) as { spec: { egress: { to: { ipBlock?: { cidr: string } }[] }[] } };
    expect(np.spec.egress.flatMap((r) => r.to.map((t) => t.ipBlock?.cidr))).toContain('198.18.0.20/32');
  } finally {
    await kubectl(['-n', 'default', 'delete', 'endpointslice', 'kubernetes', '--ignore-not-found']);
    if (slice.code === 0) {
      const saved = JSON.parse(slice.stdout) as { metadata: Record<string, unknown> };
      saved.metadata = { name: 'kubernetes', namespace: 'default', labels: saved.metadata['labels'] };
      await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: JSON.stringify(saved) });
    }
  }
}, 90_000);
