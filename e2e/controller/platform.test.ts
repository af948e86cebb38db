// Where DNS runs is operator configuration: with --dns-namespace and --dns-pod-labels every
// segment's DNS rule selects those pods, and `bulkhead diff` given the same flags agrees with what
// the operator wrote (without them it would put kube-dns back).
import { dump } from 'js-yaml';
import { type CliResult, bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectlOk } from '../harness/cluster.js';
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
