// Where DNS runs is operator configuration: with --dns-namespace and --dns-pod-labels every
// segment's DNS rule selects those pods, and `bulkhead diff` given the same flags agrees with what
// the operator wrote (without them it would put kube-dns back).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { dump } from 'js-yaml';
import { adminKubeconfig, deleteNamespace, freshNamespace, kubectlOk } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';

const PLATFORM = ['--dns-namespace', 'dns-system', '--dns-pod-labels', 'app.kubernetes.io/name=coredns,tier=node'];

let operator: RunningOperator | undefined;
let ns: string;

function diff(input: string, flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(repoRoot(), 'bin', 'bulkhead.js'), 'diff', '-f', '-', ...flags], { env: { ...process.env, KUBECONFIG: adminKubeconfig() } }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

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
