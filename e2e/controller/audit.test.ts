// Audit mode writes nothing but status and Events: what would be created, and which current
// connections enforcing would cut (from the reachability analysis of the cached cluster).
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';

type Condition = { type: string; status: string; reason: string; message?: string };
let operator: RunningOperator;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('audit');
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

const workload = (enforcement: string): string =>
  dump({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'AIWorkload',
    metadata: { name: 'notebooks', namespace: ns },
    spec: {
      enforcement,
      components: [
        { name: 'jupyter', role: 'Notebook', selector: { matchLabels: { app: 'jupyter' } } },
        { name: 'model', role: 'Model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'http', port: 8080 }] },
      ],
      flows: [{ from: 'jupyter', to: 'model', ports: ['http'] }],
    },
  });

const pod = (name: string, app: string): string =>
  dump({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app } }, spec: { containers: [{ name: 'main', image: 'registry.invalid/x:1' }] } });

test('Audit reports what it would create and which connections it would cut, and writes no policy', async () => {
  await kubectlOk(['apply', '-f', '-'], { input: [pod('jupyter-0', 'jupyter'), pod('model-0', 'model'), pod('other', 'other')].join('---\n') });
  await kubectlOk(['apply', '-f', '-'], { input: workload('Audit') });
  const ready = await waitFor(async () => {
    const obj = JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', 'notebooks', '-o', 'json'])) as { status?: { conditions?: Condition[] } };
    const c = obj.status?.conditions?.find((x) => x.type === 'Ready');
    return c?.reason === 'Audited' && c.message?.includes('would block:') ? c : undefined;
  }, { description: 'Ready=True reason Audited with a would-block report' });
  expect(ready.status).toBe('True');
  // Today everything reaches everything; enforcing would cut, e.g., the unrelated pod's access to
  // the model, and the model's undeclared access to the notebook.
  expect(ready.message).toContain(`${ns}/other[Pod] => ${ns}/model-0[Pod] : All Connections`);
  expect(ready.message).toContain(`${ns}/model-0[Pod] => ${ns}/jupyter-0[Pod] : All Connections`);
  // The declared flow stays open on its port: only the rest of the jupyter => model traffic is cut.
  expect(ready.message).toMatch(new RegExp(`${ns}/jupyter-0\\[Pod\\] => ${ns}/model-0\\[Pod\\] : SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535`));
  const events = await kubectlOk(['-n', ns, 'get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  expect(events).toMatch(/AuditDiff: Would: .*create NetworkPolicy notebooks-model/);
  expect(events).toMatch(/AuditWouldBlock: /);
  expect((await kubectlOk(['-n', ns, 'get', 'networkpolicies,serviceaccounts,roles', '-l', 'app.kubernetes.io/managed-by=bulkhead', '-o', 'name'])).trim()).toBe('');

  // Switching to Enforce writes them.
  await kubectlOk(['apply', '-f', '-'], { input: workload('Enforce') });
  await waitFor(async () => (await kubectlOk(['-n', ns, 'get', 'networkpolicies', '-l', 'app.kubernetes.io/managed-by=bulkhead', '-o', 'name'])).trim().split('\n').length === 2, {
    description: 'policies written after switching to Enforce',
  });
}, 90_000);
