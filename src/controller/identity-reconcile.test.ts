// The reconciler's identity duties without an API server: the registry entry of an AIWorkload is
// written before its ServiceAccounts and removed once the AIWorkload is gone; a refused entry does
// not hold back the segments; bindings Bulkhead did not write are reported (IdentityWidened).
import type { StoredObject } from '../api/kubernetes.js';
import { validateSpec } from '../api/validate.js';
import { defaultPlatform } from '../compile/facts.js';
import { peerWorkloads } from '../compile/live-facts.js';
import type { GeneratedObject } from '../compile/objects.js';
import { createLogger } from '../observe/logger.js';
import { FakeClock } from '../runtime/clock.js';
import { ApiError } from '../runtime/rest.js';
import type { Binding } from './identity-bindings.js';
import { type AIWorkloadObject, type ClusterView, type ClusterWriter, Reconciler } from './reconciler.js';

const REGISTRY = 'bulkhead-system';

class Fake {
  readonly objects = new Map<string, StoredObject>();
  readonly writes: string[] = [];
  readonly events: string[] = [];
  bindings: Binding[] = [];
  refuse: string | undefined;
  workload: AIWorkloadObject | undefined = {
    apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'app', namespace: 'ml', uid: 'u1', generation: 1 },
    spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } } }, { name: 'gateway', selector: { matchLabels: { app: 'gw' } } }] },
  };

  readonly view: ClusterView = {
    getWorkload: (ns, name) => (this.workload !== undefined && ns === 'ml' && name === 'app' ? this.workload : undefined),
    listWorkloads: () => (this.workload === undefined ? [] : [this.workload]),
    validation: (w) => validateSpec(w.spec),
    peerWorkloads: () => peerWorkloads(this.workload === undefined ? [] : [this.workload]),
    workloadsSelecting: () => ['ml/app'],
    listOwned: (kind, ns) => [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}/${ns}/`)).map(([, o]) => o),
    registryEntry: (ns, name) => this.objects.get(`RoleBinding/${ns}/${name}`),
    listPods: () => [],
    kubeAPIServer: () => undefined,
    namespaceTerminating: () => false,
    bindingsCovering: () => this.bindings,
  };

  readonly writer: ClusterWriter = {
    apply: (obj: GeneratedObject) => {
      const key = `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
      if (key === this.refuse) return Promise.reject(new ApiError(403, 'Forbidden', `PATCH: 403 rolebindings "${obj.metadata.name}" is forbidden`, { reason: 'Forbidden', message: `rolebindings "${obj.metadata.name}" is forbidden` }));
      this.writes.push(`apply ${key}`);
      this.objects.set(key, { ...(structuredClone(obj) as unknown as StoredObject), metadata: { ...structuredClone(obj.metadata), uid: `uid-${obj.metadata.name}` } });
      return Promise.resolve();
    },
    remove: (kind, namespace, name) => {
      this.writes.push(`delete ${kind}/${namespace}/${name}`);
      this.objects.delete(`${kind}/${namespace}/${name}`);
      return Promise.resolve();
    },
    stripMetadata: () => Promise.resolve(),
    writeStatus: (_ns, _name, status) => {
      if (this.workload !== undefined) this.workload = { ...this.workload, status: structuredClone(status) };
      return Promise.resolve();
    },
    event: (_t, type, reason, message) => {
      this.events.push(`${type} ${reason}: ${message}`);
      return Promise.resolve();
    },
  };

  reconciler(): Reconciler {
    return new Reconciler({ view: this.view, writer: this.writer, platform: defaultPlatform(), clock: new FakeClock(), logger: createLogger({ silent: true }), identityRegistryNamespace: REGISTRY });
  }

  condition(type: string): { status: string; reason: string; message?: string } | undefined {
    return this.workload?.status?.conditions?.find((c) => c.type === type);
  }
}

test('the registry entry is written first, naming every segment\'s ServiceAccount, and only once', async () => {
  const f = new Fake();
  expect(await f.reconciler().reconcile('ml/app')).toEqual({ kind: 'applied' });
  expect(f.writes[0]).toBe(`apply RoleBinding/${REGISTRY}/ml.app`);
  expect(f.writes.indexOf(`apply RoleBinding/${REGISTRY}/ml.app`)).toBeLessThan(f.writes.indexOf('apply ServiceAccount/ml/app-model'));
  expect((f.objects.get(`RoleBinding/${REGISTRY}/ml.app`) as unknown as Binding).subjects).toEqual([
    { kind: 'ServiceAccount', name: 'app-gateway', namespace: 'ml' },
    { kind: 'ServiceAccount', name: 'app-model', namespace: 'ml' },
  ]);
  // Bookkeeping: not among the changes the Applied Event names.
  expect(f.events.join('\n')).not.toContain('ml.app');
  f.writes.length = 0;
  await f.reconciler().reconcile('ml/app');
  expect(f.writes).toEqual([]);
});

test('the entry of an AIWorkload that is gone is removed; a missing entry is left alone', async () => {
  const f = new Fake();
  await f.reconciler().reconcile('ml/app');
  f.workload = undefined;
  f.writes.length = 0;
  expect(await f.reconciler().reconcile('ml/app')).toEqual({ kind: 'skipped' });
  expect(f.writes).toEqual([`delete RoleBinding/${REGISTRY}/ml.app`]);
  f.writes.length = 0;
  expect(await f.reconciler().reconcile('ml/app')).toEqual({ kind: 'skipped' });
  expect(f.writes).toEqual([]);
});

test('a refused entry is ApplyFailed, naming it, and the segments are still written', async () => {
  const f = new Fake();
  f.refuse = `RoleBinding/${REGISTRY}/ml.app`;
  const outcome = await f.reconciler().reconcile('ml/app');
  expect(outcome).toMatchObject({ kind: 'failed', refused: true });
  expect(f.writes).toEqual(expect.arrayContaining(['apply ServiceAccount/ml/app-model', 'apply NetworkPolicy/ml/app-model']));
  expect(f.condition('Ready')).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
  expect(f.condition('Ready')?.message).toContain(`apply RoleBinding ${REGISTRY}/ml.app refused`);
});

test('a binding Bulkhead did not write that covers a segment\'s ServiceAccount is IdentityWidened, with an Event once', async () => {
  const f = new Fake();
  f.bindings = [{ metadata: { name: 'all-sa' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }] }];
  await f.reconciler().reconcile('ml/app');
  // One line per segment, in the spec's order.
  const message = 'model (ServiceAccount app-model): ClusterRoleBinding all-sa binds ClusterRole view through group system:serviceaccounts; ' +
    'gateway (ServiceAccount app-gateway): ClusterRoleBinding all-sa binds ClusterRole view through group system:serviceaccounts';
  expect(f.condition('IdentityWidened')).toMatchObject({ status: 'True', reason: 'BoundOutsideBulkhead', message });
  expect(f.condition('Ready')?.status).toBe('True');
  expect(f.events).toContain(`Warning IdentityWidened: ${message}`);
  f.events.length = 0;
  await f.reconciler().reconcile('ml/app');
  expect(f.events).toEqual([]);
  f.bindings = [];
  await f.reconciler().reconcile('ml/app');
  expect(f.condition('IdentityWidened')).toBeUndefined();
});
