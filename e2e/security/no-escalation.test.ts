// No escalation through Bulkhead, at admission: the shipped bulkhead-no-escalation policy refuses
// an AIWorkload whose permissions the requesting user does not hold, naming the permission, with
// real users (client certificates) and real RBAC.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, userKubeconfig } from '../harness/cluster.js';
import { SLOW, grant, installAdmissionPolicies, removeAdmissionPolicies, workload } from './support.js';

const MANAGE_AIWORKLOADS = { apiGroups: ['bulkhead.dev'], resources: ['aiworkloads'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] };

describe('bulkhead-no-escalation', () => {
  let ns = '';
  let alice = '';
  let bob = '';

  const model = (permissions?: unknown[]): unknown => ({
    name: 'model',
    role: 'Model',
    selector: { matchLabels: { app: 'model' } },
    ports: [{ name: 'grpc', port: 9000 }],
    ...(permissions !== undefined ? { permissions } : {}),
  });
  const readWeights = { resource: 'secrets', names: ['weights'], verbs: ['get'] };
  const apply = (kubeconfig: string, obj: unknown): ReturnType<typeof kubectl> => kubectl(['apply', '-f', '-'], { kubeconfig, input: dump(obj) });

  beforeAll(async () => {
    ns = await freshNamespace('team-a');
    await kubectlOk(['-n', ns, 'create', 'secret', 'generic', 'weights', '--from-literal=k=v']);
    alice = await userKubeconfig('alice');
    bob = await userKubeconfig('bob');
    // alice manages AIWorkloads in the namespace and reads nothing else; bob can also read the Secret.
    await grant(ns, 'alice', 'alice', [MANAGE_AIWORKLOADS]);
    await grant(ns, 'bob', 'bob', [MANAGE_AIWORKLOADS, { apiGroups: [''], resources: ['secrets'], resourceNames: ['weights'], verbs: ['get'] }]);
    await installAdmissionPolicies(ns);
  }, SLOW);

  afterAll(async () => {
    if (ns !== '') {
      await removeAdmissionPolicies(ns);
      await deleteNamespace(ns);
    }
  }, SLOW);

  it('refuses alice creating an AIWorkload that grants get on a Secret she cannot read, naming it', async () => {
    const res = await apply(alice, workload(ns, 'by-alice', [model([readWeights])]));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('bulkhead-no-escalation');
    expect(res.stderr).toContain('alice may not grant what it does not hold itself');
    expect(res.stderr).toContain('component model: get secrets/weights');
    expect((await kubectl(['-n', ns, 'get', 'aiworkload', 'by-alice'])).code).not.toBe(0);
  });

  it('lets alice create one without that permission, and refuses her update that adds it', async () => {
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: alice, input: dump(workload(ns, 'by-alice', [model()])) });
    const res = await apply(alice, workload(ns, 'by-alice', [model([readWeights])]));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('component model: get secrets/weights');
    const live = JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', 'by-alice', '-o', 'json'])) as { spec: { components: { permissions?: unknown }[] } };
    expect(live.spec.components[0]?.permissions).toBeUndefined();
  });

  it('names the first verb and object she lacks', async () => {
    await grant(ns, 'alice', 'alice-config', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] }]);
    const res = await apply(alice, workload(ns, 'by-alice', [
      model([{ resource: 'configmaps', names: ['settings', 'other'], verbs: ['get', 'watch'] }]),
    ]));
    expect(res.code).not.toBe(0);
    // Pairs are checked in order: get settings (held), then watch settings (not held).
    expect(res.stderr).toContain('component model: watch configmaps/settings');
    // Exactly what she holds is accepted.
    await kubectlOk(['apply', '-f', '-'], {
      kubeconfig: alice,
      input: dump(workload(ns, 'by-alice', [model([{ resource: 'configmaps', names: ['settings'], verbs: ['get'] }])])),
    });
  });

  it('lets bob, who can read the Secret, grant it', async () => {
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: bob, input: dump(workload(ns, 'by-bob', [model([readWeights])])) });
    expect(await kubectlOk(['-n', ns, 'get', 'aiworkload', 'by-bob', '-o', 'jsonpath={.spec.components[0].permissions[0].names[0]}'])).toBe('weights');
  });

  it('refuses alice changing the spec of bob\'s AIWorkload, but not its labels', async () => {
    const res = await kubectl(['-n', ns, 'patch', 'aiworkload', 'by-bob', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/components/0/ports/0/port', value: 9001 }])], { kubeconfig: alice });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('component model: get secrets/weights');
    // Metadata grants nothing, so it is not re-checked (the garbage collector updates it too).
    await kubectlOk(['-n', ns, 'label', 'aiworkload', 'by-bob', 'reviewed-by=alice'], { kubeconfig: alice });
  });

  it('checks subresources and API groups as the authorizer sees them', async () => {
    const logs = await apply(bob, workload(ns, 'by-bob-2', [model([{ resource: 'pods/log', names: ['trainer-0'], verbs: ['get'] }])]));
    expect(logs.code).not.toBe(0);
    expect(logs.stderr).toContain('component model: get pods/log/trainer-0');
    const apps = await apply(bob, workload(ns, 'by-bob-2', [model([{ apiGroup: 'apps', resource: 'deployments', names: ['trainer'], verbs: ['patch'] }])]));
    expect(apps.code).not.toBe(0);
    expect(apps.stderr).toContain('component model: patch deployments.apps/trainer');
    await grant(ns, 'bob', 'bob-logs', [{ apiGroups: [''], resources: ['pods/log'], resourceNames: ['trainer-0'], verbs: ['get'] }]);
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: bob, input: dump(workload(ns, 'by-bob-2', [model([{ resource: 'pods/log', names: ['trainer-0'], verbs: ['get'] }])])) });
  });
});

describe('bulkhead-no-escalation within the API server\'s CEL cost budget', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await freshNamespace('budget');
    await installAdmissionPolicies(ns);
  }, SLOW);
  afterAll(async () => {
    if (ns !== '') {
      await removeAdmissionPolicies(ns);
      await deleteNamespace(ns);
    }
  }, SLOW);

  const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `cm-${i}`);
  const wide = (n: number): unknown =>
    workload(ns, 'wide', [{ name: 'reader', selector: { matchLabels: { app: 'reader' } }, permissions: [{ resource: 'configmaps', names: names(n), verbs: ['get'] }] }]);

  it('verifies 24 (verb, object) pairs, every one by the authorizer, within the cost budget', async () => {
    const carol = await userKubeconfig('carol');
    // carol may read cm-0 .. cm-22, not cm-23: only the 24th and last check fails.
    await grant(ns, 'carol', 'carol', [MANAGE_AIWORKLOADS, { apiGroups: [''], resources: ['configmaps'], resourceNames: names(23), verbs: ['get'] }]);
    const all = names(24);
    const spec = (last: number): unknown => workload(ns, 'wide', [{
      name: 'reader',
      selector: { matchLabels: { app: 'reader' } },
      permissions: [
        { resource: 'configmaps', names: all.slice(0, 16), verbs: ['get'] },
        { resource: 'configmaps', names: all.slice(16, last), verbs: ['get'] },
      ],
    }]);
    const res = await kubectl(['apply', '-f', '-'], { kubeconfig: carol, input: dump(spec(24)) });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('component reader: get configmaps/cm-23');
    await kubectlOk(['apply', '-f', '-'], { kubeconfig: carol, input: dump(spec(23)) });
  });

  it('refuses more pairs than it can verify, as an admin too, saying how to fix it', async () => {
    const ok = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: dump(wide(16)) });
    expect(ok.code).toBe(0);
    const tooMany = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
      input: dump(workload(ns, 'wide', [
        { name: 'a', selector: { matchLabels: { app: 'a' } }, permissions: [{ resource: 'configmaps', names: names(16), verbs: ['get'] }] },
        { name: 'b', selector: { matchLabels: { app: 'b' } }, permissions: [{ resource: 'configmaps', names: names(9), verbs: ['get'] }] },
      ])),
    });
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain('grants 25 (verb, object) pairs; at most 24 can be verified at admission');
  });
});
