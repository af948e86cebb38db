// Identity-bound segments against the real control plane (manifests/identity-policies.yaml, as
// shipped, with the operator under its least-privilege identity): a pod joins a segment only under
// the segment's ServiceAccount, the ServiceAccount runs only pods of its segment, pods are refused
// both when created directly and when a Deployment's ReplicaSet creates them (its FailedCreate is
// what the user sees), nobody but a kubelet mints the segment's token, nobody binds it to more, and
// the bindings that cover it through a group are reported on the AIWorkload. The opt-in adoption
// policy sets the ServiceAccount itself. Each invalid cloud identity annotation is refused by the
// CRD, by name.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { dump } from 'js-yaml';
import { INVALID, VALID } from '../../src/api/workload-identity-cases.js';
import { PROVIDER_ANNOTATIONS } from '../../src/api/workload-identity.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, userKubeconfig, waitFor } from '../harness/cluster.js';
import { REPO_ROOT } from '../harness/operator-identity.js';
import { SLOW, type RunningOperator, getWorkload, grant, reportedCondition, startOperator, workload } from './support.js';

const IDENTITY_MANIFEST = path.join(REPO_ROOT, 'manifests', 'identity-policies.yaml');
const ADOPTION_MANIFEST = path.join(REPO_ROOT, 'manifests', 'opt-in', 'segment-adoption.yaml');
const REGISTRY_NAMESPACE = 'bulkhead-system';

interface PodSpec {
  name: string;
  labels: Record<string, string>;
  serviceAccountName?: string;
}

const podObject = (ns: string, p: PodSpec): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: p.name, namespace: ns, labels: p.labels },
  spec: { ...(p.serviceAccountName === undefined ? {} : { serviceAccountName: p.serviceAccountName }), containers: [{ name: 'c', image: 'registry.invalid/model:1' }] },
});

describe('identity-bound segments', () => {
  let ns = '';
  let elsewhere = '';
  let mallory = '';
  let operator: RunningOperator | undefined;

  const create = (obj: unknown, kubeconfig = mallory): ReturnType<typeof kubectl> => kubectl(['create', '-f', '-'], { kubeconfig, input: dump(obj) });
  const createPod = (p: PodSpec, opts: { dryRun?: boolean } = {}): ReturnType<typeof kubectl> =>
    kubectl(['create', ...(opts.dryRun === true ? ['--dry-run=server'] : []), '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, p)) });

  /** Applies the shipped policies and waits until the API server refuses an impostor in `ns`. */
  async function installPolicies(file: string, probe: () => Promise<boolean>): Promise<void> {
    await kubectlOk(['apply', '-f', file]);
    await waitFor(probe, { timeoutMs: 60_000, description: `${path.basename(file)} to take effect` });
  }

  const impostorRefused = async (): Promise<boolean> => (await createPod({ name: 'probe', labels: { app: 'model' } }, { dryRun: true })).code !== 0;

  beforeAll(async () => {
    ns = await freshNamespace('identity');
    elsewhere = await freshNamespace('identity-other');
    operator = await startOperator();
    // mallory is a namespace admin (the built-in admin ClusterRole) in both namespaces: RBAC lets
    // her create pods under any ServiceAccount, create tokens and bind roles there.
    mallory = await userKubeconfig('identity-mallory');
    for (const n of [ns, elsewhere]) await kubectlOk(['-n', n, 'create', 'rolebinding', 'mallory-admin', '--clusterrole=admin', '--user=identity-mallory']);
    await kubectlOk(['-n', ns, 'create', 'serviceaccount', 'tools']);
    // A binding made before the AIWorkload exists, which no admission policy can know to refuse.
    await kubectlOk(['-n', ns, 'create', 'rolebinding', 'early', '--clusterrole=view', `--serviceaccount=${ns}:app-model`]);
    await kubectlOk(['apply', '-f', '-'], {
      input: dump(workload(ns, 'app', [
        { name: 'model', role: 'Model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] },
        { name: 'gateway', role: 'Gateway', selector: { matchLabels: { app: 'gw' } } },
      ], { flows: [{ from: 'gateway', to: 'model', ports: ['grpc'] }] })),
    });
    // A second AIWorkload whose segment overlaps the model's on pods that carry both labels.
    await kubectlOk(['apply', '-f', '-'], { input: dump(workload(ns, 'canary', [{ name: 'serving', selector: { matchLabels: { track: 'canary' } } }])) });
    expect((await reportedCondition(ns, 'app', 'Ready'))?.status).toBe('True');
    expect((await reportedCondition(ns, 'canary', 'Ready'))?.status).toBe('True');
    await installPolicies(IDENTITY_MANIFEST, impostorRefused);
  }, SLOW);

  afterAll(async () => {
    for (const f of [ADOPTION_MANIFEST, IDENTITY_MANIFEST]) await kubectlOk(['delete', '--ignore-not-found', '-f', f]);
    await operator?.stop();
    for (const n of [ns, elsewhere]) if (n !== '') await deleteNamespace(n);
  }, SLOW);

  describe('membership needs the identity', () => {
    it('refuses an impostor with the model\'s labels and the default ServiceAccount, naming the AIWorkload, the component and the ServiceAccount to use', async () => {
      const res = await createPod({ name: 'impostor', labels: { app: 'model' } });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(
        `bulkhead-segment-membership: pod ${ns}/impostor has the labels of component model of AIWorkload ${ns}/app but runs under ServiceAccount default: ` +
          'pods of that segment run under its ServiceAccount app-model (set serviceAccountName: app-model in the pod template). A pod may be in one segment only: ' +
          'if its labels also match another segment\'s selector, narrow them so that they match one segment only (under either segment\'s ServiceAccount it is refused).',
      );
      expect((await kubectl(['-n', ns, 'get', 'pod', 'impostor'])).code).not.toBe(0);
    });

    it('admits the pod under the segment\'s ServiceAccount, and a pod in no segment as it is', async () => {
      await kubectlOk(['create', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name: 'model-0', labels: { app: 'model' }, serviceAccountName: 'app-model' })) });
      await kubectlOk(['create', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name: 'tools', labels: { app: 'tools' } })) });
    });

    it('refuses relabelling an admitted pod into another segment, and keeps its labels', async () => {
      const res = await kubectl(['-n', ns, 'label', 'pod', 'model-0', 'app=gw', '--overwrite'], { kubeconfig: mallory });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/bulkhead-segment-(membership|identity): pod .*model-0/);
      const joining = await kubectl(['-n', ns, 'label', 'pod', 'tools', 'app=gw', '--overwrite'], { kubeconfig: mallory });
      expect(joining.stderr).toContain('of component gateway of AIWorkload');
      expect(joining.stderr).toContain('serviceAccountName: app-gateway');
      expect(await kubectlOk(['-n', ns, 'get', 'pod', 'model-0', '-o', 'jsonpath={.metadata.labels.app}'])).toBe('model');
      // Labels that keep the pod in its segment are fine.
      await kubectlOk(['-n', ns, 'label', 'pod', 'model-0', 'version=2'], { kubeconfig: mallory });
    });

    it('refuses a pod that two segments select, under either segment\'s ServiceAccount', async () => {
      for (const sa of ['app-model', 'canary-serving']) {
        const res = await createPod({ name: 'both', labels: { app: 'model', track: 'canary' }, serviceAccountName: sa });
        expect([sa, res.code === 0]).toEqual([sa, false]);
        expect(res.stderr).toContain('bulkhead-segment-membership');
        // Under either ServiceAccount the message names the other segment; it must not send the
        // user to that segment's ServiceAccount alone (refused too) but to narrow the labels.
        expect(res.stderr).toContain('narrow them so that they match one segment only (under either segment\'s ServiceAccount it is refused)');
      }
    });

    it('refuses the pods a Deployment\'s ReplicaSet creates: its FailedCreate Event carries the message; with serviceAccountName set they are created', async () => {
      const deployment = {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'model', namespace: ns },
        spec: {
          // Recreate: with no kubelet no pod ever becomes available, and a rolling update would wait for one.
          replicas: 2, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'model', deploy: 'model' } },
          template: { metadata: { labels: { app: 'model', deploy: 'model' } }, spec: { containers: [{ name: 'c', image: 'registry.invalid/model:1' }] } },
        },
      };
      await kubectlOk(['apply', '-f', '-'], { kubeconfig: mallory, input: dump(deployment) });
      const message = await waitFor(async () => {
        const list = JSON.parse(await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=FailedCreate,involvedObject.kind=ReplicaSet', '-o', 'json'])) as { items: { message: string }[] };
        return list.items.map((e) => e.message).find((m) => m.includes('bulkhead-segment-membership'));
      }, { timeoutMs: 60_000, description: 'the ReplicaSet\'s FailedCreate Event' });
      expect(message).toContain(`has the labels of component model of AIWorkload ${ns}/app but runs under ServiceAccount default`);
      expect(message).toContain('set serviceAccountName: app-model in the pod template');
      expect(await kubectlOk(['-n', ns, 'get', 'pods', '-l', 'deploy=model', '-o', 'name'])).toBe('');
      await kubectlOk(['-n', ns, 'patch', 'deployment', 'model', '--type=merge', '-p', JSON.stringify({ spec: { template: { spec: { serviceAccountName: 'app-model' } } } })], { kubeconfig: mallory });
      await waitFor(async () => (await kubectlOk(['-n', ns, 'get', 'pods', '-l', 'deploy=model', '-o', 'jsonpath={.items[*].spec.serviceAccountName}'])).split(' ').filter((s) => s === 'app-model').length === 2, {
        timeoutMs: 60_000,
        description: 'two model pods under app-model',
      });
    }, SLOW);
  });

  describe('the identity needs the membership', () => {
    it('refuses a pod under the model\'s ServiceAccount without the model\'s labels, naming both', async () => {
      const res = await createPod({ name: 'borrower', labels: { app: 'tools' }, serviceAccountName: 'app-model' });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(
        `bulkhead-segment-identity: pod ${ns}/borrower runs under ServiceAccount app-model, the identity of component model of AIWorkload ${ns}/app, ` +
          'but its labels do not match that segment\'s selector',
      );
    });

    it('refuses relabelling a segment\'s pod out of its segment', async () => {
      const res = await kubectl(['-n', ns, 'label', 'pod', 'model-0', 'app-'], { kubeconfig: mallory });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('bulkhead-segment-identity');
    });

    it('refuses the pods a Deployment under the model\'s ServiceAccount with other labels asks for: its ReplicaSet\'s FailedCreate Event names the policy and the ServiceAccount', async () => {
      const deployment = {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'borrowed', namespace: ns },
        spec: {
          replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { deploy: 'borrowed' } },
          template: { metadata: { labels: { app: 'tools', deploy: 'borrowed' } }, spec: { serviceAccountName: 'app-model', containers: [{ name: 'c', image: 'registry.invalid/model:1' }] } },
        },
      };
      await kubectlOk(['apply', '-f', '-'], { kubeconfig: mallory, input: dump(deployment) });
      try {
        const message = await waitFor(async () => {
          const list = JSON.parse(await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=FailedCreate,involvedObject.kind=ReplicaSet', '-o', 'json'])) as { items: { message: string }[] };
          return list.items.map((e) => e.message).find((m) => m.includes('bulkhead-segment-identity') && m.includes(`pod ${ns}/borrowed-`));
        }, { timeoutMs: 60_000, description: 'the borrowed ReplicaSet\'s FailedCreate Event' });
        expect(message).toContain(`runs under ServiceAccount app-model, the identity of component model of AIWorkload ${ns}/app, but its labels do not match that segment's selector`);
        expect(await kubectlOk(['-n', ns, 'get', 'pods', '-l', 'deploy=borrowed', '-o', 'name'])).toBe('');
      } finally {
        await kubectlOk(['-n', ns, 'delete', 'deployment', 'borrowed', '--ignore-not-found']);
      }
    }, SLOW);
  });

  describe('a segment selected by matchExpressions (In, NotIn, Exists, DoesNotExist)', () => {
    // One selector with all four operators; the pods below carry no app or track label, so no
    // other segment of the namespace selects them.
    const selector = {
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['batch', 'stream'] },
        { key: 'stage', operator: 'NotIn', values: ['dev', 'test'] },
        { key: 'queue', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    };
    const member = { tier: 'batch', queue: 'q1' };
    // Each fails exactly one operator (In twice: a value not listed, and the key absent).
    const notMembers: [string, Record<string, string>][] = [
      ['in-other-value', { ...member, tier: 'web' }],
      ['in-key-absent', { queue: 'q1' }],
      ['notin-value-present', { ...member, stage: 'dev' }],
      ['exists-key-absent', { tier: 'batch' }],
      ['doesnotexist-key-present', { ...member, legacy: 'true' }],
    ];

    beforeAll(async () => {
      await kubectlOk(['apply', '-f', '-'], { input: dump(workload(ns, 'jobs', [{ name: 'worker', selector }])) });
      expect((await reportedCondition(ns, 'jobs', 'Ready'))?.status).toBe('True');
      // The API server reads the segment from its ServiceAccount's annotations: wait until it does.
      await waitFor(async () => (await createPod({ name: 'probe', labels: member }, { dryRun: true })).code !== 0, {
        timeoutMs: 60_000,
        description: 'the jobs-worker segment to take effect',
      });
    }, SLOW);

    it('refuses an impostor that satisfies all four operators under the default ServiceAccount, naming the ServiceAccount to use', async () => {
      const res = await createPod({ name: 'jobs-impostor', labels: member });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(
        `bulkhead-segment-membership: pod ${ns}/jobs-impostor has the labels of component worker of AIWorkload ${ns}/jobs but runs under ServiceAccount default: ` +
          'pods of that segment run under its ServiceAccount jobs-worker (set serviceAccountName: jobs-worker in the pod template).',
      );
    });

    it('admits the segment\'s pods under its ServiceAccount: In with either value, NotIn with the key absent or another value, Exists with an empty value', async () => {
      const members: [string, Record<string, string>][] = [
        ['jobs-0', member],
        ['jobs-1', { tier: 'stream', stage: 'prod', queue: '' }],
      ];
      for (const [name, labels] of members) {
        const res = await createPod({ name, labels, serviceAccountName: 'jobs-worker' });
        expect([name, res.code, res.stderr]).toEqual([name, 0, '']);
      }
      // And the identity policy holds them in: dropping the Exists key takes a pod out of the segment.
      const out = await kubectl(['-n', ns, 'label', 'pod', 'jobs-0', 'queue-'], { kubeconfig: mallory });
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain(`bulkhead-segment-identity: pod ${ns}/jobs-0 runs under ServiceAccount jobs-worker`);
    });

    it.each(notMembers)('%s: not a member, so admitted under the default ServiceAccount and refused under the segment\'s', async (name, labels) => {
      await kubectlOk(['create', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name, labels })) });
      const borrowed = await createPod({ name: `${name}-sa`, labels, serviceAccountName: 'jobs-worker' });
      expect(borrowed.code).not.toBe(0);
      expect(borrowed.stderr).toContain(`bulkhead-segment-identity: pod ${ns}/${name}-sa runs under ServiceAccount jobs-worker, the identity of component worker of AIWorkload ${ns}/jobs`);
    });

    it('refuses relabelling a pod into the segment: removing the DoesNotExist key, or the NotIn value', async () => {
      for (const [name, key] of [['doesnotexist-key-present', 'legacy-'], ['notin-value-present', 'stage=prod']] as const) {
        const res = await kubectl(['-n', ns, 'label', 'pod', name, key, '--overwrite'], { kubeconfig: mallory });
        expect([name, res.code === 0]).toEqual([name, false]);
        expect(res.stderr).toContain(`bulkhead-segment-membership: pod ${ns}/${name} has the labels of component worker of AIWorkload ${ns}/jobs`);
      }
    });
  });

  describe('nobody borrows the identity', () => {
    it('refuses a user with create serviceaccounts/token minting the model\'s token; other tokens still work', async () => {
      const minter = await userKubeconfig('identity-minter');
      await grant(ns, 'identity-minter', 'identity-minter', [{ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }]);
      const res = await kubectl(['-n', ns, 'create', 'token', 'app-model'], { kubeconfig: minter });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`bulkhead-identity-tokens: identity-minter may not request a token for ServiceAccount ${ns}/app-model: it is the identity of a Bulkhead segment (component model)`);
      // Namespace admins and cluster admins alike.
      expect((await kubectl(['-n', ns, 'create', 'token', 'app-model'], { kubeconfig: mallory })).code).not.toBe(0);
      expect((await kubectl(['-n', ns, 'create', 'token', 'app-model'])).stderr).toContain('bulkhead-identity-tokens: admin may not');
      expect((await kubectlOk(['-n', ns, 'create', 'token', 'default'], { kubeconfig: minter })).trim()).not.toBe('');
    });

    it('lets a kubelet\'s node identity (group system:nodes) request it', async () => {
      const node = await userKubeconfig('system:node:identity-node', ['system:nodes']);
      await grant(ns, 'system:node:identity-node', 'identity-node', [{ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }]);
      expect((await kubectlOk(['-n', ns, 'create', 'token', 'app-model', '--duration=10m'], { kubeconfig: node })).trim()).toMatch(/^ey/);
    });

    it('refuses a legacy token Secret for the model\'s ServiceAccount, which the token controller would fill in', async () => {
      const secret = (name: string, sa: string): unknown => ({
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name, namespace: ns, annotations: { 'kubernetes.io/service-account.name': sa } },
      });
      const res = await create(secret('model-token', 'app-model'));
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`bulkhead-identity-tokens: identity-mallory may not create a token Secret for ServiceAccount ${ns}/app-model`);
      await kubectlOk(['create', '-f', '-'], { kubeconfig: mallory, input: dump(secret('default-token', 'default')) });
    });
  });

  describe('nobody widens the identity', () => {
    const refusedBinding = (stderr: string, role: string): void => {
      expect(stderr).toContain(`bulkhead-identity-bindings: identity-mallory may not bind ServiceAccount ${ns}/app-model to ClusterRole ${role}: it is the identity of a segment of AIWorkload ${ns}/app`);
    };

    it('refuses a user with RoleBinding rights binding the model\'s ServiceAccount, as a ServiceAccount or as its user name', async () => {
      const direct = await kubectl(['-n', ns, 'create', 'rolebinding', 'more', '--clusterrole=edit', `--serviceaccount=${ns}:app-model`], { kubeconfig: mallory });
      expect(direct.code).not.toBe(0);
      refusedBinding(direct.stderr, 'edit');
      const asUser = await kubectl(['-n', ns, 'create', 'rolebinding', 'more', '--clusterrole=edit', `--user=system:serviceaccount:${ns}:app-model`], { kubeconfig: mallory });
      expect(asUser.code).not.toBe(0);
      refusedBinding(asUser.stderr, 'edit');
      // Nor by adding it to an existing binding.
      await kubectlOk(['-n', ns, 'create', 'rolebinding', 'tools', '--clusterrole=view', `--serviceaccount=${ns}:default`], { kubeconfig: mallory });
      const added = await kubectl(['-n', ns, 'patch', 'rolebinding', 'tools', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/subjects/-', value: { kind: 'ServiceAccount', name: 'app-model', namespace: ns } }])], { kubeconfig: mallory });
      expect(added.code).not.toBe(0);
      refusedBinding(added.stderr, 'view');
    });

    it('refuses binding it in another namespace, and a ClusterRoleBinding even by a cluster admin', async () => {
      const other = await kubectl(['-n', elsewhere, 'create', 'rolebinding', 'borrow', '--clusterrole=edit', `--serviceaccount=${ns}:app-model`], { kubeconfig: mallory });
      expect(other.code).not.toBe(0);
      refusedBinding(other.stderr, 'edit');
      const cluster = await kubectl(['create', 'clusterrolebinding', `borrow-${ns}`, '--clusterrole=view', `--serviceaccount=${ns}:app-model`]);
      expect(cluster.code).not.toBe(0);
      expect(cluster.stderr).toContain(`bulkhead-identity-bindings: admin may not bind ServiceAccount ${ns}/app-model to ClusterRole view`);
    });

    it('keeps the registry entry the policy reads in the operator\'s namespace', async () => {
      const entry = JSON.parse(await kubectlOk(['-n', REGISTRY_NAMESPACE, 'get', 'rolebinding', `${ns}.app`, '-o', 'json'])) as { subjects: unknown[]; roleRef: { name: string } };
      expect(entry.roleRef.name).toBe('bulkhead-segment-identity');
      expect(entry.subjects).toEqual([{ kind: 'ServiceAccount', name: 'app-gateway', namespace: ns }, { kind: 'ServiceAccount', name: 'app-model', namespace: ns }]);
    });

    it('reports bindings that cover it through a group, and the one made before the AIWorkload, on the AIWorkload', async () => {
      await kubectlOk(['create', 'clusterrolebinding', `sa-view-${ns}`, '--clusterrole=view', `--group=system:serviceaccounts:${ns}`]);
      try {
        const condition = await waitFor(async () => {
          const c = (await getWorkload(ns, 'app')).status?.conditions?.find((x) => x.type === 'IdentityWidened');
          return c?.message?.includes(`sa-view-${ns}`) === true ? c : undefined;
        }, { timeoutMs: 30_000, description: 'IdentityWidened to name the group binding' });
        expect(condition.reason).toBe('BoundOutsideBulkhead');
        expect(condition.message).toContain(`model (ServiceAccount app-model): ClusterRoleBinding sa-view-${ns} binds ClusterRole view through group system:serviceaccounts:${ns}, RoleBinding ${ns}/early binds ClusterRole view directly`);
        expect(condition.message).toContain(`gateway (ServiceAccount app-gateway): ClusterRoleBinding sa-view-${ns} binds ClusterRole view through group system:serviceaccounts:${ns}`);
        const events = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=IdentityWidened', '-o', 'jsonpath={.items[*].message}']);
        expect(events).toContain(`sa-view-${ns}`);
      } finally {
        await kubectlOk(['delete', 'clusterrolebinding', `sa-view-${ns}`]);
      }
      await waitFor(async () => !((await getWorkload(ns, 'app')).status?.conditions?.find((x) => x.type === 'IdentityWidened')?.message ?? '').includes('sa-view'), {
        description: 'the group binding to leave the report',
      });
    });
  });

  describe('bindings to the groups of every ServiceAccount and every user', () => {
    // The groups name every ServiceAccount of the shared cluster, so the bindings grant a ClusterRole
    // whose one rule is get on a ConfigMap name nobody creates: next to nothing, and the report does
    // not look at what a role grants.
    const role = (): string => `identity-nothing-${ns}`;
    const bindings = (): [string, string][] => [[`all-sa-${ns}`, 'system:serviceaccounts'], [`all-users-${ns}`, 'system:authenticated']];
    const widened = async (): Promise<string> => (await getWorkload(ns, 'app')).status?.conditions?.find((x) => x.type === 'IdentityWidened')?.message ?? '';

    it('reports a ClusterRoleBinding to system:serviceaccounts and one to system:authenticated on every segment, and forgets them once deleted', async () => {
      await kubectlOk(['create', 'clusterrole', role(), '--verb=get', '--resource=configmaps', `--resource-name=${role()}-none`]);
      try {
        for (const [name, group] of bindings()) await kubectlOk(['create', 'clusterrolebinding', name, `--clusterrole=${role()}`, `--group=${group}`]);
        const message = await waitFor(async () => {
          const m = await widened();
          return bindings().every(([name]) => m.includes(name)) ? m : undefined;
        }, { timeoutMs: 30_000, description: 'IdentityWidened to name both group bindings' });
        for (const sa of ['app-model', 'app-gateway']) {
          const line = message.split('; ').find((l) => l.includes(`(ServiceAccount ${sa})`));
          for (const [name, group] of bindings()) expect(line).toContain(`ClusterRoleBinding ${name} binds ClusterRole ${role()} through group ${group}`);
        }
        expect((await reportedCondition(ns, 'app', 'IdentityWidened'))?.reason).toBe('BoundOutsideBulkhead');
        const events = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=IdentityWidened', '-o', 'jsonpath={.items[*].message}']);
        expect(events).toContain(`all-users-${ns}`);
      } finally {
        for (const [name] of bindings()) await kubectlOk(['delete', 'clusterrolebinding', name, '--ignore-not-found']);
        await kubectlOk(['delete', 'clusterrole', role(), '--ignore-not-found']);
      }
      await waitFor(async () => !(await widened()).includes(role()), {
        description: 'the group bindings to leave the report',
      });
    }, SLOW);
  });

  describe('a namespace with no AIWorkloads, with the identity policies installed', () => {
    let plain = '';

    beforeAll(async () => {
      plain = await freshNamespace('identity-plain');
      await kubectlOk(['-n', plain, 'create', 'rolebinding', 'mallory-admin', '--clusterrole=admin', '--user=identity-mallory']);
      await kubectlOk(['-n', plain, 'create', 'serviceaccount', 'runner']);
      for (const name of ['bulkhead-segment-membership', 'bulkhead-segment-identity', 'bulkhead-identity-tokens', 'bulkhead-identity-bindings']) {
        await kubectlOk(['get', 'validatingadmissionpolicybinding', name]);
      }
    }, SLOW);

    afterAll(async () => {
      if (plain !== '') await deleteNamespace(plain);
    });

    it('admits pods under any ServiceAccount, even with the labels a segment selects elsewhere', async () => {
      const pods: PodSpec[] = [{ name: 'model', labels: { app: 'model' } }, { name: 'runner', labels: { app: 'tools' }, serviceAccountName: 'runner' }, { name: 'jobs', labels: { tier: 'batch', queue: 'q1' } }];
      for (const p of pods) {
        const res = await kubectl(['create', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(plain, p)) });
        expect([p.name, res.code, res.stderr]).toEqual([p.name, 0, '']);
      }
    });

    it('lets a Deployment\'s ReplicaSet create its pods', async () => {
      const deployment = {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'model', namespace: plain },
        spec: {
          replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'model', deploy: 'model' } },
          template: { metadata: { labels: { app: 'model', deploy: 'model' } }, spec: { serviceAccountName: 'runner', containers: [{ name: 'c', image: 'registry.invalid/model:1' }] } },
        },
      };
      await kubectlOk(['apply', '-f', '-'], { kubeconfig: mallory, input: dump(deployment) });
      await waitFor(async () => (await kubectlOk(['-n', plain, 'get', 'pods', '-l', 'deploy=model', '-o', 'jsonpath={.items[*].spec.serviceAccountName}'])) === 'runner', {
        timeoutMs: 60_000,
        description: 'the Deployment\'s pod',
      });
    }, SLOW);

    it('lets a namespace admin request a ServiceAccount\'s token and bind a role to it, as a ServiceAccount and as its user name', async () => {
      expect((await kubectlOk(['-n', plain, 'create', 'token', 'runner', '--duration=10m'], { kubeconfig: mallory })).trim()).toMatch(/^ey/);
      await kubectlOk(['-n', plain, 'create', 'rolebinding', 'runner-view', '--clusterrole=view', `--serviceaccount=${plain}:runner`], { kubeconfig: mallory });
      await kubectlOk(['-n', plain, 'create', 'rolebinding', 'runner-user', '--clusterrole=view', `--user=system:serviceaccount:${plain}:runner`], { kubeconfig: mallory });
    });
  });

  describe('adoption without hand edits (opt-in MutatingAdmissionPolicy)', () => {
    beforeAll(async () => {
      const adopted = async (): Promise<boolean> => {
        const res = await kubectl(['create', '--dry-run=server', '-o', 'jsonpath={.spec.serviceAccountName}', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name: 'probe', labels: { app: 'model' } })) });
        return res.code === 0 && res.stdout === 'app-model';
      };
      await installPolicies(ADOPTION_MANIFEST, adopted);
    }, SLOW);

    afterAll(async () => {
      await kubectlOk(['delete', '--ignore-not-found', '-f', ADOPTION_MANIFEST]);
      await waitFor(impostorRefused, { timeoutMs: 60_000, description: 'the adoption policy to stop taking effect' });
    }, SLOW);

    it('gives a pod that matches one segment and asked for no ServiceAccount that segment\'s', async () => {
      const out = await kubectlOk(['create', '-o', 'jsonpath={.spec.serviceAccountName}', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name: 'adopted', labels: { app: 'gw' } })) });
      expect(out).toBe('app-gateway');
    });

    it('leaves a pod in no segment as it is, and never rewrites a ServiceAccount a pod names', async () => {
      expect(await kubectlOk(['create', '-o', 'jsonpath={.spec.serviceAccountName}', '-f', '-'], { kubeconfig: mallory, input: dump(podObject(ns, { name: 'plain', labels: { app: 'plain' } })) })).toBe('default');
      const named = await createPod({ name: 'named', labels: { app: 'model' }, serviceAccountName: 'tools' });
      expect(named.code).not.toBe(0);
      expect(named.stderr).toContain('but runs under ServiceAccount tools');
    });

    it('still refuses a pod that two segments select', async () => {
      const res = await createPod({ name: 'both-adopted', labels: { app: 'model', track: 'canary' } });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('A pod may be in one segment only: if its labels also match another segment\'s selector, narrow them');
    });
  });

  describe('workload identity annotations, refused by the CRD by name', () => {
    const withAnnotation = (name: string, key: string, value: string): unknown =>
      workload(ns, name, [{ name: 'model', selector: { matchLabels: { app: 'model', 'azure.workload.identity/use': 'true' } }, identity: { annotations: { [key]: value } } }]);

    it.each(INVALID)('%s: %s', async (key, value) => {
      const res = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: dump(withAnnotation('annotated', key, value)) });
      const form = PROVIDER_ANNOTATIONS.find((a) => a.key === key);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('spec.components[0].identity.annotations');
      expect(res.stderr).toContain(`identity.annotations["${key}"] (${form?.provider}) must be ${form?.expected}`);
    });

    it('accepts every valid form, and keys no rule names', async () => {
      for (const [i, [key, value]] of VALID.entries()) {
        const res = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: dump(withAnnotation(`valid-${i}`, key, value)) });
        expect([key, value, res.code, res.stderr]).toEqual([key, value, 0, '']);
      }
      expect((await kubectl(['create', '--dry-run=server', '-f', '-'], { input: dump(withAnnotation('other', 'example.com/anything', 'x')) })).code).toBe(0);
    });

    it('refuses an Azure client-id without the pod label its webhook acts on, naming the selector', async () => {
      const spec = workload(ns, 'azure', [{ name: 'model', selector: { matchLabels: { app: 'model' } }, identity: { annotations: { 'azure.workload.identity/client-id': '12345678-1234-1234-1234-123456789abc' } } }]);
      const res = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: dump(spec) });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('spec.components[0].selector');
      expect(res.stderr).toContain('needs the pod label azure.workload.identity/use: "true"');
    });
  });

  it('removes the registry entry when the AIWorkload is deleted', async () => {
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'canary']);
    await waitFor(async () => (await kubectl(['-n', REGISTRY_NAMESPACE, 'get', 'rolebinding', `${ns}.canary`])).code !== 0, { description: 'the registry entry of canary to go' });
    expect((await kubectl(['-n', REGISTRY_NAMESPACE, 'get', 'rolebinding', `${ns}.app`])).code).toBe(0);
  });
});

