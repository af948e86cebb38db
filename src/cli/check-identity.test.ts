// `bulkhead check` on the identity-bound segments: each of the four validating policies installed,
// Fail, bound with its parameters (the bindings policy to the registry where the operator keeps
// it); the opt-in adoption policy; the registry's Role, which must grant nothing.
import { ADMISSION_POLICIES, checkAdmission, checkAdoption, checkRegistryRole } from './check-rules.js';

const IDENTITY = ['bulkhead-segment-membership', 'bulkhead-segment-identity', 'bulkhead-identity-tokens', 'bulkhead-identity-bindings'];
const policy = { spec: { failurePolicy: 'Fail', paramKind: { apiVersion: 'v1', kind: 'ServiceAccount' } } };
const binding = (name: string, paramRef: unknown = { selector: {}, parameterNotFoundAction: 'Allow' }): unknown => ({ spec: { policyName: name, validationActions: ['Deny'], ...(paramRef === undefined ? {} : { paramRef }) } });

test('the identity policies are checked, each saying what is lost without it', () => {
  expect(Object.keys(ADMISSION_POLICIES)).toEqual(expect.arrayContaining(IDENTITY));
  expect(checkAdmission('bulkhead-segment-membership', undefined, undefined)).toEqual({
    check: 'admission/bulkhead-segment-membership',
    status: 'fail',
    detail: 'ValidatingAdmissionPolicy bulkhead-segment-membership is not installed: a pod that copies a segment\'s labels gets its network access under any ServiceAccount (manifests/identity-policies.yaml)',
  });
});

test.each(IDENTITY)('%s: installed, bound and given its parameters is ok; bound without parameters fails', (name) => {
  const ref = name === 'bulkhead-identity-bindings' ? { namespace: 'bulkhead-system', selector: {}, parameterNotFoundAction: 'Allow' } : undefined;
  expect(checkAdmission(name, policy, binding(name, ref), 'bulkhead-system').status).toBe('ok');
  const bare = checkAdmission(name, policy, { spec: { policyName: name, validationActions: ['Deny'] } }, 'bulkhead-system');
  expect(bare.status).toBe('fail');
  expect(bare.detail).toContain(`binding ${name} gives ${name} no parameters (paramRef): it checks nothing`);
});

test('the bindings policy must read the registry where the operator keeps it', () => {
  const finding = checkAdmission('bulkhead-identity-bindings', policy, binding('bulkhead-identity-bindings', { namespace: 'elsewhere', selector: {} }), 'bulkhead-system');
  expect(finding).toMatchObject({ status: 'fail' });
  expect(finding.detail).toMatch(/^binding bulkhead-identity-bindings reads the identity registry in namespace elsewhere, but the operator keeps it in bulkhead-system, so /);
});

test('the adoption policy is opt-in: absent is fine, present without a binding warns', () => {
  expect(checkAdoption(undefined, undefined).status).toBe('ok');
  const unbound = checkAdoption({}, undefined);
  expect(unbound.status).toBe('warn');
  expect(unbound.detail).toContain('has no binding');
  expect(checkAdoption({}, { spec: { paramRef: { selector: {} } } }).status).toBe('ok');
});

test('the registry Role must exist and grant nothing', () => {
  expect(checkRegistryRole({ rules: [] }, 'bulkhead-system/bulkhead-segment-identity').status).toBe('ok');
  expect(checkRegistryRole(undefined, 'bulkhead-system/bulkhead-segment-identity').status).toBe('fail');
  expect(checkRegistryRole({ rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] }, 'bulkhead-system/bulkhead-segment-identity')).toMatchObject({
    status: 'fail',
    detail: "Role bulkhead-system/bulkhead-segment-identity has 1 rule(s): every segment's ServiceAccount holds them in that namespace; it must grant nothing",
  });
});
