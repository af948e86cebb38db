// The CLI and the operator gather the same facts (src/compile/live-facts.ts): finished pods do not
// count, a workload being deleted is no peer, an AIWorkload in `default` is where it says. So
// `bulkhead exposure` names exactly the peers the Exposed condition names, and `bulkhead diff`
// sees nothing to change in what the operator wrote, on a cluster that has all three.
import { dump } from 'js-yaml';
import { bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

let operator: RunningOperator;
let other: string;
const NAME = `agree-${Math.random().toString(36).slice(2, 7)}`;

const workload = (peerNs: string): string => dump({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: NAME, namespace: 'default' },
  spec: {
    components: [{ name: 'model', selector: { matchLabels: { app: NAME } }, ports: [{ name: 'grpc', port: 9000 }] }],
    egress: [{ from: 'model', to: { workload: { namespace: peerNs, name: 'peer', component: 'api' } }, ports: ['http'] }],
  },
});

async function pod(ns: string, name: string, labels: Record<string, string>, phase: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { input: dump({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'registry.invalid/x:1' }] } }) });
  await kubectlOk(['-n', ns, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase } })]);
}

beforeAll(async () => {
  await ensureCrd();
  other = await freshNamespace('agree-peers');
  operator = await startOperator();
  // A peer that consents, then is deleted but held by a finalizer: being deleted, it is no peer.
  await kubectlOk(['apply', '-f', '-'], {
    input: dump({
      apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'peer', namespace: other, finalizers: ['example.com/hold'] },
      spec: { components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] }], ingress: [{ to: 'api', from: { workload: { namespace: 'default', name: NAME, component: 'model' } }, ports: ['http'] }] },
    }),
  });
  await kubectlOk(['apply', '-f', '-'], { input: workload(other) });
  await kubectlOk(['-n', 'default', 'wait', '--for=condition=Ready', `aiworkload/${NAME}`, '--timeout=60s']);
  await kubectlOk(['-n', other, 'delete', 'aiworkload', 'peer', '--wait=false']);
  // Batch pods that another NetworkPolicy lets in: one running, two finished.
  await pod('default', `${NAME}-0`, { app: NAME }, 'Running');
  await pod(other, 'batch-running', { job: 'batch' }, 'Running');
  await pod(other, 'batch-done', { job: 'batch' }, 'Succeeded');
  await pod(other, 'batch-failed', { job: 'batch' }, 'Failed');
  await kubectlOk(['apply', '-f', '-'], {
    input: dump({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${NAME}-from-batch`, namespace: 'default' },
      spec: { podSelector: { matchLabels: { app: NAME } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': other } }, podSelector: { matchLabels: { job: 'batch' } } }] }] } }),
  });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await kubectl(['-n', other, 'patch', 'aiworkload', 'peer', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await kubectl(['-n', 'default', 'delete', 'aiworkload', NAME, '--ignore-not-found']);
  await kubectl(['-n', 'default', 'delete', 'networkpolicy', `${NAME}-from-batch`, '--ignore-not-found']);
  await kubectl(['-n', 'default', 'delete', 'pod', `${NAME}-0`, '--ignore-not-found', '--grace-period=0', '--force']);
  if (other !== undefined) await deleteNamespace(other);
}, 60_000);

const batchPods = (text: string): string[] => [...new Set([...text.matchAll(new RegExp(`${other}/(batch-[a-z]+)\\[Pod\\]`, 'g'))].map((m) => m[1] ?? ''))].sort();

test('exposure: the CLI and the Exposed condition name the running pod, neither the finished ones', async () => {
  const message = await waitFor(async () => {
    const m = await kubectlOk(['-n', 'default', 'get', 'aiworkload', NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Exposed")].message}']);
    return m.includes('batch-running') ? m : undefined;
  }, { description: 'Exposed to name batch-running' });
  const cli = await bulkhead(['exposure', '-n', 'default']);
  expect(cli.code).toBe(1);
  const ours = cli.stdout.split('\n').filter((l) => l.startsWith(`default/${NAME} `)).join('\n');
  expect(batchPods(message)).toEqual(['batch-running']);
  expect(batchPods(ours)).toEqual(['batch-running']);
}, 60_000);

test('diff: a peer being deleted is no peer for the CLI either, so what the operator wrote is what diff computes', async () => {
  await waitFor(async () => (await kubectlOk(['-n', 'default', 'get', 'aiworkload', NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="PeerUnresolved")].message}'])).includes(`AIWorkload ${other}/peer not found`), { description: 'PeerUnresolved once the peer is being deleted' });
  const r = await bulkhead(['diff', '-f', '-'], { input: workload(other) });
  expect([r.code, r.stdout]).toEqual([0, '']);
  // And it says why, as the condition does.
  expect(r.stderr).toContain(`no rule for ${other}/peer/api: AIWorkload ${other}/peer not found`);
}, 60_000);
