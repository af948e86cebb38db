import { buildRegistryEntry, isRegistryEntry, registryEntryName, registryKeys } from './identity-registry.js';

test('one entry per AIWorkload binds its segments\' ServiceAccounts to the empty Role, in the operator\'s namespace', () => {
  expect(buildRegistryEntry('bulkhead-system', { namespace: 'ml', name: 'app' }, ['app-model', 'app-gateway', 'app-model'])).toEqual({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: 'ml.app',
      namespace: 'bulkhead-system',
      labels: { 'app.kubernetes.io/managed-by': 'bulkhead', 'bulkhead.dev/identity-registry': 'true' },
      annotations: { 'bulkhead.dev/workload': 'ml/app' },
    },
    subjects: [{ kind: 'ServiceAccount', name: 'app-gateway', namespace: 'ml' }, { kind: 'ServiceAccount', name: 'app-model', namespace: 'ml' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bulkhead-segment-identity' },
  });
});

test('entry names are unique per AIWorkload and fit an object name', () => {
  // A namespace is a DNS label (no dot), so the first dot splits namespace from name.
  expect(registryEntryName({ namespace: 'a', name: 'b-c.d' })).not.toBe(registryEntryName({ namespace: 'a-b', name: 'c.d' }));
  const long = registryEntryName({ namespace: 'n'.repeat(63), name: 'w'.repeat(253) });
  expect(long.length).toBeLessThanOrEqual(253);
  expect(long).toBe(registryEntryName({ namespace: 'n'.repeat(63), name: 'w'.repeat(253) }));
});

test('an entry maps to its AIWorkload; other RoleBindings map to none', () => {
  const entry = buildRegistryEntry('bulkhead-system', { namespace: 'ml', name: 'app' }, ['app-model']) as unknown as Parameters<typeof registryKeys>[0];
  expect(isRegistryEntry(entry)).toBe(true);
  expect(registryKeys(entry)).toEqual(['ml/app']);
  expect(registryKeys({ metadata: { name: 'x', namespace: 'bulkhead-system', annotations: { 'bulkhead.dev/workload': 'ml/app' } } })).toEqual([]);
});
