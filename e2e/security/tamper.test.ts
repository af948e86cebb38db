// Tamper protection: only the operator (and the garbage collector and namespace controller) may
// create, change or delete objects labelled app.kubernetes.io/managed-by=bulkhead. A user with full
// RBAC rights in the namespace is refused by the shipped bulkhead-tamper-protection policy; deleting
// the AIWorkload, or its namespace, still cleans everything up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, userKubeconfig, waitFor } from '../harness/cluster.js';
import { SLOW, type RunningOperator, generated, installAdmissionPolicies, removeAdmissionPolicies, reportedCondition, startOperator, workload } from './support.js';

const KINDS = ['networkpolicy', 'serviceaccount', 'role', 'rolebinding'] as const;

describe('bulkhead-tamper-protection', () => {
  let ns = '';
  let mallory = '';
  let operator: RunningOperator | undefined;

  const spec = workload('', 'app', []);
  const sample = (namespace: string): unknown => ({
    ...spec,
    metadata: { name: 'app', namespace },
    spec: {
      components: [
        { name: 'model', role: 'Model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }], permissions: [{ resource: 'configmaps', names: ['settings'], verbs: ['get'] }] },
        { name: 'gateway', role: 'Gateway', selector: { matchLabels: { app: 'gw' } } },
      ],
      flows: [{ from: 'gateway', to: 'model', ports: ['grpc'] }],
    },
  });

  beforeAll(async () => {
    ns = await freshNamespace('tamper');
    operator = await startOperator();
    await installAdmissionPolicies(ns);
    // mallory is a namespace admin (the built-in admin ClusterRole): RBAC lets her edit all four kinds.
    mallory = await userKubeconfig('mallory');
    await kubectlOk(['-n', ns, 'create', 'rolebinding', 'mallory-admin', '--clusterrole=admin', '--user=mallory']);
    await kubectlOk(['apply', '-f', '-'], { input: dump(sample(ns)) });
    expect((await reportedCondition(ns, 'app', 'Ready'))?.status).toBe('True');
  }, SLOW);

  afterAll(async () => {
    await operator?.stop();
    if (ns !== '') {
      await removeAdmissionPolicies(ns);
      await deleteNamespace(ns);
    }
  }, SLOW);

  it('generated every kind (the operator writes through the policy)', async () => {
    expect(await generated('networkpolicy', ns, 'app')).toEqual(['app-gateway', 'app-model']);
    expect(await generated('serviceaccount', ns, 'app')).toEqual(['app-gateway', 'app-model']);
    expect(await generated('role', ns, 'app')).toEqual(['app-model']);
    expect(await generated('rolebinding', ns, 'app')).toEqual(['app-model']);
  });

  it.each(KINDS)('refuses a namespace admin deleting a managed %s', async (kind) => {
    const res = await kubectl(['-n', ns, 'delete', kind, 'app-model'], { kubeconfig: mallory });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('bulkhead-tamper-protection: mallory may not delete');
    expect(res.stderr).toContain(`${ns}/app-model`);
  });

  it.each(KINDS)('refuses a namespace admin editing a managed %s, and removing its label', async (kind) => {
    const label = await kubectl(['-n', ns, 'label', kind, 'app-model', 'tampered=true'], { kubeconfig: mallory });
    expect(label.code).not.toBe(0);
    expect(label.stderr).toContain('bulkhead-tamper-protection: mallory may not update');
    const unlabel = await kubectl(['-n', ns, 'label', kind, 'app-model', 'app.kubernetes.io/managed-by-'], { kubeconfig: mallory });
    expect(unlabel.code).not.toBe(0);
    expect(unlabel.stderr).toContain('bulkhead-tamper-protection');
  });

  it('refuses widening a managed NetworkPolicy', async () => {
    const res = await kubectl(['-n', ns, 'patch', 'networkpolicy', 'app-model', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/spec/ingress/-', value: {} }])], { kubeconfig: mallory });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('bulkhead-tamper-protection');
    const live = JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', 'app-model', '-o', 'json'])) as { spec: { ingress: unknown[] } };
    expect(live.spec.ingress).not.toContainEqual({});
  });

  it('refuses forging the label on a new object (an allow-all policy dressed as Bulkhead\'s)', async () => {
    const forged = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'app-extra', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'bulkhead', 'bulkhead.dev/workload': 'app' } },
      spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] },
    };
    const res = await kubectl(['create', '-f', '-'], { kubeconfig: mallory, input: dump(forged) });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('bulkhead-tamper-protection: mallory may not create');
  });

  it('leaves unmanaged objects alone', async () => {
    await kubectlOk(['-n', ns, 'create', 'serviceaccount', 'mallorys-own'], { kubeconfig: mallory });
    await kubectlOk(['-n', ns, 'label', 'serviceaccount', 'mallorys-own', 'x=y'], { kubeconfig: mallory });
    await kubectlOk(['-n', ns, 'delete', 'serviceaccount', 'mallorys-own'], { kubeconfig: mallory });
  });

  it('still lets the garbage collector remove everything when the AIWorkload is deleted', async () => {
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'app', '--wait=false']);
    await waitFor(async () => {
      for (const kind of KINDS) if ((await generated(kind, ns, 'app')).length > 0) return false;
      return true;
    }, { timeoutMs: 60_000, description: 'the garbage collector to delete the generated objects' });
  }, SLOW);

  it('still lets the namespace controller delete a namespace with managed objects', async () => {
    const other = await freshNamespace('tamper-ns');
    await kubectlOk(['apply', '-f', '-'], { input: dump(sample(other)) });
    await waitFor(async () => (await generated('role', other, 'app')).length === 1, { description: 'the generated Role' });
    await kubectlOk(['delete', 'namespace', other, '--wait=false']);
    await waitFor(async () => (await kubectl(['get', 'namespace', other])).stderr.includes('NotFound'), {
      timeoutMs: 90_000,
      description: `namespace ${other} to be deleted`,
    });
  }, SLOW);
});
