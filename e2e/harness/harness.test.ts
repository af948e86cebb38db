// Proves the integration harness: a real kube-apiserver (version, RBAC, admission, audit), a real
// kube-controller-manager (garbage collection), and the fault hooks the resilience suites use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from '../../src/devcluster/http.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, testCluster, userKubeconfig, waitFor } from './cluster.js';

const SLOW = 120_000;

describe('integration harness', () => {
  let ns = '';

  beforeAll(async () => {
    ns = await freshNamespace('harness');
  }, SLOW);

  afterAll(async () => {
    if (ns !== '') await deleteNamespace(ns);
  }, SLOW);

  it('talks to a v1.37.2 API server through the real kubectl', async () => {
    const version = JSON.parse(await kubectlOk(['version', '-o', 'json'])) as { serverVersion?: { gitVersion?: string } };
    expect(version.serverVersion?.gitVersion).toBe('v1.37.2');
  });

  it('creates namespaces', async () => {
    expect(await kubectlOk(['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}'])).toBe('Active');
  });

  it('runs the garbage collector (kube-controller-manager)', async () => {
    await kubectlOk(['-n', ns, 'create', 'configmap', 'owner']);
    const uid = await kubectlOk(['-n', ns, 'get', 'configmap', 'owner', '-o', 'jsonpath={.metadata.uid}']);
    const dependent = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dependent', namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
    };
    await kubectlOk(['create', '-f', '-'], { input: JSON.stringify(dependent) });
    await kubectlOk(['-n', ns, 'delete', 'configmap', 'owner']);
    await waitFor(async () => {
      const res = await kubectl(['-n', ns, 'get', 'configmap', 'dependent']);
      return res.code !== 0 && res.stderr.includes('NotFound');
    }, { timeoutMs: 60_000, description: 'the dependent ConfigMap to be garbage collected' });
  }, SLOW);

  it('authenticates client certificates and enforces RBAC on them', async () => {
    const alice = await userKubeconfig('alice');
    const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: alice })) as {
      status?: { userInfo?: { username?: string; groups?: string[] } };
    };
    expect(whoami.status?.userInfo?.username).toBe('alice');
    const denied = await kubectl(['-n', ns, 'get', 'pods'], { kubeconfig: alice });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('Forbidden');
    expect(denied.stderr).toContain('User "alice" cannot list resource "pods"');

    const bob = await userKubeconfig('bob', ['team-a']);
    const bobInfo = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: bob })) as {
      status?: { userInfo?: { groups?: string[] } };
    };
    expect(bobInfo.status?.userInfo?.groups).toEqual(expect.arrayContaining(['team-a', 'system:authenticated']));
  });

  it('records writes in the audit log', async () => {
    await kubectlOk(['-n', ns, 'create', 'configmap', 'audited', '--from-literal=k=v']);
    const event = await waitFor(() => testCluster().auditEvents().find((e) =>
      e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.objectRef.namespace === ns && e.objectRef.name === 'audited'),
    { description: 'the audit event of the create' });
    expect(event.user.username).toBe('admin');
    expect(event.responseStatus?.code).toBe(201);
    // Reads are not logged: the policy keeps the log to writes.
    expect(testCluster().auditEvents().some((e) => e.verb === 'get' || e.verb === 'list')).toBe(false);
  });

  it('enforces ValidatingAdmissionPolicy', async () => {
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: `${ns}-no-forbidden` },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        validations: [{ expression: "object.metadata.name != 'forbidden'", message: 'name forbidden is not allowed' }],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: `${ns}-no-forbidden` },
      spec: {
        policyName: `${ns}-no-forbidden`,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
      },
    };
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }) });
    try {
      // The policy takes effect once the API server's admission informers have seen it.
      const denied = await waitFor(async () => {
        const res = await kubectl(['-n', ns, 'create', 'configmap', 'forbidden']);
        if (res.code === 0) await kubectlOk(['-n', ns, 'delete', 'configmap', 'forbidden']);
        return res.code !== 0 && res.stderr;
      }, { description: 'the policy to deny' });
      expect(denied).toContain('name forbidden is not allowed');
    } finally {
      await kubectlOk(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', `${ns}-no-forbidden`, '--ignore-not-found']);
    }
  }, SLOW);

  it('accepts pods, which stay Pending without a kubelet', async () => {
    await kubectlOk(['-n', ns, 'run', 'idle', '--image=registry.k8s.io/pause:3.10', '--restart=Never']);
    const pod = JSON.parse(await kubectlOk(['-n', ns, 'get', 'pod', 'idle', '-o', 'json'])) as {
      spec?: { serviceAccountName?: string };
      status?: { phase?: string };
    };
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.serviceAccountName).toBe('default');
  });

  it('compacts etcd to its current revision', async () => {
    const cluster = testCluster();
    const revision = await cluster.etcdCompact();
    expect(revision).toBeGreaterThan(1);
    // Reading at a revision before the compaction now fails in etcd itself.
    const old = await request(`http://127.0.0.1:${cluster.state().ports.etcdClient}/v3/kv/range`, {
      body: { key: Buffer.from('/').toString('base64'), revision: String(revision - 1) },
    });
    expect(old.body).toContain('required revision has been compacted');
    // The API server carries on.
    expect(await kubectlOk(['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}'])).toBe('Active');
  });

  it('restarts the API server on the same port, keeping the data', async () => {
    const cluster = testCluster();
    const before = cluster.state().pids.apiServer;
    await cluster.stopApiServer();
    const down = await kubectl(['get', 'namespace', ns], { timeoutMs: 20_000 });
    expect(down.code).not.toBe(0);
    await cluster.startApiServer();
    expect(cluster.state().pids.apiServer).not.toBe(before);
    expect(await kubectlOk(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.name}'])).toBe(ns);
  }, SLOW);
});
