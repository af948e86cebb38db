import { BindingIndex, type Binding, bindingKeys, coveredNamespaces, MAX_NAMED_BINDINGS, widenedMessages } from './identity-bindings.js';

const rb = (namespace: string, name: string, subjects: Binding['subjects'], role = 'edit', labels: Record<string, string> = {}): Binding => ({
  kind: 'RoleBinding', metadata: { name, namespace, labels }, roleRef: { kind: 'ClusterRole', name: role }, subjects,
});
const crb = (name: string, subjects: Binding['subjects'], role = 'edit'): Binding => ({ metadata: { name }, roleRef: { kind: 'ClusterRole', name: role }, subjects });

const MODEL = [{ component: 'model', serviceAccount: 'app-model' }];

describe('widenedMessages', () => {
  test.each<[string, Binding, string]>([
    ['a RoleBinding naming the ServiceAccount', rb('ml', 'extra', [{ kind: 'ServiceAccount', name: 'app-model', namespace: 'ml' }]), 'RoleBinding ml/extra binds ClusterRole edit directly'],
    ['a RoleBinding whose subject takes the binding\'s namespace', rb('ml', 'extra', [{ kind: 'ServiceAccount', name: 'app-model' }]), 'RoleBinding ml/extra binds ClusterRole edit directly'],
    ['a RoleBinding in another namespace', rb('other', 'x', [{ kind: 'ServiceAccount', name: 'app-model', namespace: 'ml' }]), 'RoleBinding other/x binds ClusterRole edit directly'],
    ['the ServiceAccount as a user', crb('u', [{ kind: 'User', name: 'system:serviceaccount:ml:app-model' }]), 'ClusterRoleBinding u binds ClusterRole edit as user system:serviceaccount:ml:app-model'],
    ['the group of the namespace\'s ServiceAccounts', rb('ml', 'ns-sa', [{ kind: 'Group', name: 'system:serviceaccounts:ml' }], 'view'), 'RoleBinding ml/ns-sa binds ClusterRole view through group system:serviceaccounts:ml'],
    ['the group of every ServiceAccount', crb('all-sa', [{ kind: 'Group', name: 'system:serviceaccounts' }], 'view'), 'ClusterRoleBinding all-sa binds ClusterRole view through group system:serviceaccounts'],
    ['every authenticated user', crb('authn', [{ kind: 'Group', name: 'system:authenticated' }], 'view'), 'ClusterRoleBinding authn binds ClusterRole view through group system:authenticated'],
  ])('%s is reported', (_name, binding, line) => {
    expect(widenedMessages('ml', MODEL, [binding])).toEqual([`model (ServiceAccount app-model): ${line}`]);
  });

  test.each<[string, Binding]>([
    ['a binding Bulkhead wrote', rb('ml', 'app-model', [{ kind: 'ServiceAccount', name: 'app-model', namespace: 'ml' }], 'app-model', { 'app.kubernetes.io/managed-by': 'bulkhead' })],
    ['the default discovery binding every ServiceAccount has', crb('system:service-account-issuer-discovery', [{ kind: 'Group', name: 'system:serviceaccounts' }], 'system:service-account-issuer-discovery')],
    ['the default basic-user binding', crb('system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }], 'system:basic-user')],
    ['another namespace\'s group', rb('ml', 'x', [{ kind: 'Group', name: 'system:serviceaccounts:other' }])],
    ['another ServiceAccount of the namespace', rb('ml', 'x', [{ kind: 'ServiceAccount', name: 'default', namespace: 'ml' }])],
    ['the same name in another namespace', crb('x', [{ kind: 'ServiceAccount', name: 'app-model', namespace: 'other' }])],
  ])('%s is not', (_name, binding) => {
    expect(widenedMessages('ml', MODEL, [binding])).toEqual([]);
  });

  test('bindings are named in order, at most a few per segment', () => {
    const many = Array.from({ length: MAX_NAMED_BINDINGS + 2 }, (_v, i) => rb('ml', `b${i}`, [{ kind: 'ServiceAccount', name: 'app-model' }]));
    const [line] = widenedMessages('ml', MODEL, many.reverse());
    expect(line).toMatch(/^model \(ServiceAccount app-model\): RoleBinding ml\/b0 binds ClusterRole edit directly, RoleBinding ml\/b1 /);
    expect(line).toMatch(/ and 2 more$/);
  });
});

describe('BindingIndex', () => {
  test('files a binding under the namespaces it may cover, and forgets it', () => {
    const index = new BindingIndex();
    const ns = rb('ml', 'ns-sa', [{ kind: 'Group', name: 'system:serviceaccounts:ml' }]);
    const all = crb('all-sa', [{ kind: 'Group', name: 'system:serviceaccounts' }]);
    const other = rb('web', 'web-sa', [{ kind: 'ServiceAccount', name: 'x' }]);
    for (const b of [ns, all, other]) index.upsert(b);
    expect(index.covering('ml').map((b) => b.metadata.name).sort()).toEqual(['all-sa', 'ns-sa']);
    expect(index.covering('web').map((b) => b.metadata.name).sort()).toEqual(['all-sa', 'web-sa']);
    index.upsert(rb('ml', 'ns-sa', [{ kind: 'ServiceAccount', name: 'x', namespace: 'web' }]));
    expect(index.covering('ml').map((b) => b.metadata.name)).toEqual(['all-sa']);
    index.remove(all);
    expect(index.covering('ml')).toEqual([]);
    expect(index.covering('web').map((b) => b.metadata.name).sort()).toEqual(['ns-sa', 'web-sa']);
  });

  test('bindings Bulkhead wrote are not filed', () => {
    expect(coveredNamespaces(rb('ml', 'x', [{ kind: 'ServiceAccount', name: 'a' }], 'r', { 'app.kubernetes.io/managed-by': 'bulkhead' }))).toEqual([]);
  });
});

test('bindingKeys wakes the AIWorkloads of every namespace a binding may cover', () => {
  const index = { keysIn: (ns: string): string[] => [`${ns}/w`], allKeys: (): string[] => ['a/w', 'b/w'] };
  expect(bindingKeys(rb('other', 'x', [{ kind: 'ServiceAccount', name: 'm', namespace: 'ml' }, { kind: 'User', name: 'system:serviceaccount:web:x' }]), index)).toEqual(['ml/w', 'web/w']);
  expect(bindingKeys(crb('x', [{ kind: 'Group', name: 'system:authenticated' }]), index)).toEqual(['a/w', 'b/w']);
  expect(bindingKeys(crb('x', [{ kind: 'User', name: 'alice' }]), index)).toEqual([]);
});
