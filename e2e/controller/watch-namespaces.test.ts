// One operator per tenant: `bulkhead run --watch-namespaces` under the RBAC the chart renders for
// controller.watchNamespaces (a RoleBinding in each watched namespace, cluster-wide reads only).
// The operator converges the AIWorkloads of its namespaces and never touches another's, and the
// API server proves the RBAC is namespaced: the same user may not even list pods elsewhere.
import path from 'node:path';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, userKubeconfig, waitFor } from '../harness/cluster.js';
import { OPERATOR_NAMESPACE, operatorIdentity } from '../harness/operator-identity.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';
import { findHelm, type KubeObject, parseObjects, run } from '../packaging/install-files.js';

const helm = findHelm();
const USER = `tenant-operator-${Math.random().toString(36).slice(2, 8)}`;
let watched: string;
let other: string;
let operator: RunningOperator | undefined;
let kubeconfig: string;
const created: string[] = [];
const FEED = `${USER}-missing-source`;

interface Rbac extends KubeObject {
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: unknown[];
}

/**
 * The chart's RBAC for controller.watchNamespaces, made this suite's own: every Role and binding
 * renamed (the shared cluster has the cluster-wide install's objects under the same names) and
 * bound to a client-certificate user instead of the chart's ServiceAccount. The ceiling's
 * aggregated ClusterRoles are the installed ones, referred to by name.
 */
async function tenantRbac(namespaces: string[]): Promise<Rbac[]> {
  const res = await run(helm as string, ['template', 'bulkhead', path.join(repoRoot(), 'charts', 'bulkhead'), '--namespace', OPERATOR_NAMESPACE, '--kube-version', '1.37.0',
    '--show-only', 'templates/rbac.yaml', '--set-json', `controller.watchNamespaces=${JSON.stringify(namespaces)}`]);
  if (res.code !== 0) throw new Error(`helm template: ${res.stderr}`);
  const objects = parseObjects(res.stdout, 'helm template') as Rbac[];
  const shared = (name: string): boolean => name.startsWith('bulkhead-grantable');
  const rename = (name: string): string => (shared(name) ? name : `${USER}-${name}`);
  return objects
    .filter((o) => !(o.kind === 'ClusterRole' && shared(o.metadata.name)))
    .map((o) => ({
      ...o,
      metadata: { ...o.metadata, name: rename(o.metadata.name) },
      ...(o.roleRef !== undefined ? { roleRef: { ...o.roleRef, name: rename(o.roleRef.name) }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }] } : {}),
    }));
}

const workload = (namespace: string): unknown => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'AIWorkload',
  metadata: { name: 'w', namespace },
  spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } } }] },
});

(helm === undefined ? describe.skip : describe)('--watch-namespaces under the chart\'s namespaced RBAC', () => {
  beforeAll(async () => {
    await ensureCrd();
    await operatorIdentity();
    watched = await freshNamespace('tenant-a');
    other = await freshNamespace('tenant-b');
    const rbac = await tenantRbac([watched]);
    created.push(...rbac.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    await kubectlOk(['apply', '--server-side', '-f', '-'], { input: rbac.map((o) => dump(o)).join('---\n') });
    kubeconfig = await userKubeconfig(USER);
    operator = await startOperator({ kubeconfig, args: ['--watch-namespaces', watched, '--leader-elect', 'false'] });
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    await kubectl(['delete', 'threatfeed', FEED, '--ignore-not-found']);
    for (const ref of created) {
      const [kind = '', ns = '', name = ''] = ref.split('/');
      await kubectl(['delete', kind.toLowerCase(), name, ...(ns !== '' ? ['-n', ns] : []), '--ignore-not-found']);
    }
    for (const ns of [watched, other]) if (ns !== undefined) await deleteNamespace(ns);
  }, 120_000);

  test('the RBAC is namespaced: the operator user may not list pods or write NetworkPolicies outside its namespaces', async () => {
    const can = async (args: string[]): Promise<string> => (await kubectl(['auth', 'can-i', ...args], { kubeconfig })).stdout.trim();
    expect(await can(['list', 'pods', '-n', watched])).toBe('yes');
    expect(await can(['list', 'pods', '-n', other])).toBe('no');
    expect(await can(['list', 'pods', '--all-namespaces'])).toBe('no');
    expect(await can(['create', 'networkpolicies', '-n', other])).toBe('no');
    expect(await can(['list', 'namespaces'])).toBe('yes');
    // In `default` it may record Events (a ThreatFeed's go there) and nothing else.
    expect(await can(['create', 'events', '-n', 'default'])).toBe('yes');
    expect(await can(['create', 'networkpolicies', '-n', 'default'])).toBe('no');
    expect(await can(['list', 'pods', '-n', 'default'])).toBe('no');
  });

  test('an AIWorkload in a watched namespace becomes Ready; one elsewhere is never touched', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: dump(workload(watched)) });
    await kubectlOk(['apply', '-f', '-'], { input: dump(workload(other)) });
    await kubectlOk(['-n', watched, 'wait', '--for=condition=Ready', 'aiworkload/w', '--timeout=60s']);
    expect(await kubectlOk(['-n', watched, 'get', 'networkpolicy', 'w-model', '-o', 'name'])).toContain('w-model');
    // Give the operator time to (wrongly) act on the other one, then look: no status, no objects.
    await waitFor(async () => (await operator?.get('/metrics'))?.body.includes('bulkhead_reconcile_total{result="success"}'), { description: 'a successful reconcile counted' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await kubectlOk(['-n', other, 'get', 'aiworkload', 'w', '-o', 'jsonpath={.status}'])).toBe('');
    expect(await kubectlOk(['-n', other, 'get', 'networkpolicies', '-o', 'name'])).toBe('');
    // Nothing in its logs says it was refused anything (it only asks for what it may do).
    expect(operator?.logs() ?? '').not.toMatch(/forbidden/i);
  }, 90_000);

  test('a ThreatFeed\'s Warning Event reaches `default`, where cluster-scoped objects\' Events go', async () => {
    // A feed whose ConfigMap does not exist, covering no namespace: its read fails at once.
    await kubectlOk(['apply', '-f', '-'], {
      input: dump({
        apiVersion: 'bulkhead.dev/v1alpha1',
        kind: 'ThreatFeed',
        metadata: { name: FEED },
        spec: { source: { configMap: { namespace: OPERATOR_NAMESPACE, name: FEED, key: 'feed' } }, format: 'PlainList', scope: { namespaceSelector: { matchLabels: { 'bulkhead.dev/no-such-label': 'x' } } } },
      }),
    });
    const reasons = await waitFor(async () => {
      const out = await kubectlOk(['-n', 'default', 'get', 'events', '--field-selector', `involvedObject.kind=ThreatFeed,involvedObject.name=${FEED}`, '-o', 'jsonpath={range .items[*]}{.type}/{.reason} {end}']);
      return out.includes('Warning/ReadFailed') ? out : undefined;
    }, { timeoutMs: 30_000, description: `a ReadFailed Event on ThreatFeed ${FEED} in default` });
    expect(reasons).toContain('Warning/ReadFailed');
    expect(operator?.logs() ?? '').not.toMatch(/forbidden/i);
  }, 60_000);
});
