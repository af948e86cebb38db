// The grantable ceiling, enforced by the RBAC API itself: with no admission policy in the way, an
// AIWorkload asking for more than the operator may grant produces no Role (the API server's
// escalation check refuses the operator, which holds no escalate), its status names the permission,
// and its NetworkPolicies and ServiceAccounts are applied anyway. The operator runs as the
// ServiceAccount of manifests/rbac.yaml.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';
import { OPERATOR_USERNAME } from '../harness/operator-identity.js';
import { SLOW, type RunningOperator, generated, getWorkload, reportedCondition, startOperator, workload } from './support.js';

const WIDER = 'bulkhead-grantable-test-delete-secrets';

describe('the grantable ceiling with admission bypassed', () => {
  let ns = '';
  let operator: RunningOperator | undefined;
  const sample = (extraPort = false): unknown => workload('', 'app', [
    {
      name: 'model',
      role: 'Model',
      selector: { matchLabels: { app: 'model' } },
      ports: [{ name: 'grpc', port: 9000 }, ...(extraPort ? [{ name: 'http', port: 8080 }] : [])],
      permissions: [
        { resource: 'configmaps', names: ['settings'], verbs: ['get'] },
        { resource: 'secrets', names: ['weights'], verbs: ['get', 'delete'] },
      ],
    },
    { name: 'gateway', selector: { matchLabels: { app: 'gw' } } },
  ], { flows: [{ from: 'gateway', to: 'model', ports: ['grpc'] }] });
  const inNs = (obj: unknown): unknown => ({ ...(obj as object), metadata: { name: 'app', namespace: ns } });

  beforeAll(async () => {
    ns = await freshNamespace('ceiling');
    // Admission bypassed: the no-escalation policy is not installed (an admin creates the workload anyway).
    await kubectlOk(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', 'bulkhead-no-escalation', '--ignore-not-found']);
    operator = await startOperator();
    await kubectlOk(['apply', '-f', '-'], { input: dump(inNs(sample())) });
  }, SLOW);

  afterAll(async () => {
    await operator?.stop();
    await kubectlOk(['delete', 'clusterrole', WIDER, '--ignore-not-found']);
    if (ns !== '') await deleteNamespace(ns);
  }, SLOW);

  it('reports Stalled with reason PermissionsOutsideCeiling, naming only the permission outside it', async () => {
    const stalled = await reportedCondition(ns, 'app', 'Stalled');
    expect(stalled?.status).toBe('True');
    expect(stalled?.reason).toBe('PermissionsOutsideCeiling');
    expect(stalled?.message).toContain('model: delete secrets/weights');
    expect(stalled?.message).not.toContain('get secrets');
    const ready = (await getWorkload(ns, 'app')).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'PermissionsOutsideCeiling' });
  });

  it('creates no Role and no RoleBinding for it, and the API server never accepted one', async () => {
    expect(await generated('role', ns, 'app')).toEqual([]);
    expect(await generated('rolebinding', ns, 'app')).toEqual([]);
    const writes = testCluster().auditEvents().filter((e) =>
      e.objectRef?.namespace === ns && (e.objectRef.resource === 'roles' || e.objectRef.resource === 'rolebindings'));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.user.username).toBe(OPERATOR_USERNAME);
      expect(w.objectRef?.resource).toBe('roles');
      expect(w.responseStatus?.code).toBe(403);
    }
  });

  it('still applies the NetworkPolicies and ServiceAccounts', async () => {
    expect(await generated('networkpolicy', ns, 'app')).toEqual(['app-gateway', 'app-model']);
    expect(await generated('serviceaccount', ns, 'app')).toEqual(['app-gateway', 'app-model']);
  });

  it('grants it once an admin widens the ceiling with an aggregated ClusterRole', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: dump({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: WIDER, labels: { 'bulkhead.dev/aggregate-to-grantable': 'true' } },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['delete'] }],
      }),
    });
    // The aggregation controller folds it into bulkhead-grantable.
    await waitFor(async () => (await kubectlOk(['get', 'clusterrole', 'bulkhead-grantable', '-o', 'jsonpath={.rules}'])).includes('delete'), {
      description: 'bulkhead-grantable to aggregate the new rule',
    });
    // A new generation reconciles at once (a refused Role is otherwise retried within a minute).
    await kubectlOk(['apply', '-f', '-'], { input: dump(inNs(sample(true))) });
    const ready = await reportedCondition(ns, 'app', 'Ready');
    expect(ready).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(await generated('role', ns, 'app')).toEqual(['app-model']);
    expect(await generated('rolebinding', ns, 'app')).toEqual(['app-model']);
    const rules = await kubectlOk(['-n', ns, 'get', 'role', 'app-model', '-o', 'jsonpath={.rules}']);
    expect(rules).toContain('delete');
    // Back to the default ceiling for the suites that follow.
    await kubectlOk(['delete', 'clusterrole', WIDER]);
    expect((await kubectl(['get', 'clusterrole', WIDER])).code).not.toBe(0);
  }, SLOW);
});
