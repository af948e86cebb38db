// The cloud identity annotations, refused by name with the form each provider expects; other keys
// allowed. The same rules are CEL in the CRD (e2e/security/identity.test.ts sends these to the
// API server).
import { validateSpec } from './validate.js';
import { PROVIDER_ANNOTATIONS } from './workload-identity.js';
import { INVALID, VALID } from './workload-identity-cases.js';

const component = (annotations: Record<string, string>, selector: Record<string, unknown> = { matchLabels: { app: 'm' } }): unknown => ({
  components: [{ name: 'm', selector, identity: { annotations } }],
});

const problems = (raw: unknown): string[] => {
  const r = validateSpec(raw);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
};

const AZURE = { matchLabels: { app: 'm', 'azure.workload.identity/use': 'true' } };

test.each(VALID)('%s: %s is accepted', (key, value) => {
  expect(problems(component({ [key]: value }, AZURE))).toEqual([]);
});

test.each(INVALID)('%s: %s is refused, naming the field and the expected form', (key, value) => {
  const form = PROVIDER_ANNOTATIONS.find((a) => a.key === key);
  expect(problems(component({ [key]: value }, AZURE))).toEqual([`spec.components[0].identity.annotations: identity.annotations["${key}"] (${form?.provider}) must be ${form?.expected}`]);
});

test('annotation keys no provider rule names stay allowed, whatever their value', () => {
  expect(problems(component({ 'example.com/anything': 'at all', 'eks.amazonaws.com/sts-regional-endpoints': 'true' }))).toEqual([]);
});

test('an Azure client-id needs the pod label its webhook acts on, in the selector', () => {
  const clientId = { 'azure.workload.identity/client-id': '12345678-1234-1234-1234-123456789abc' };
  expect(problems(component(clientId))).toEqual([
    'spec.components[0].selector: identity.annotations["azure.workload.identity/client-id"] needs the pod label azure.workload.identity/use: "true" ' +
      '(Azure Workload Identity\'s webhook projects the token only into pods with it): add it to selector.matchLabels, so that every pod of the segment carries it',
  ]);
  expect(problems(component(clientId, AZURE))).toEqual([]);
  expect(problems(component(clientId, { matchLabels: { app: 'm' }, matchExpressions: [{ key: 'azure.workload.identity/use', operator: 'In', values: ['true'] }] }))).toEqual([]);
  expect(problems(component(clientId, { matchLabels: { app: 'm', 'azure.workload.identity/use': 'false' } }))).toHaveLength(1);
});

test('Bulkhead\'s own annotation keys are refused', () => {
  expect(problems(component({ 'bulkhead.dev/segment-labels': 'app=other' }))).toEqual([
    'spec.components[0].identity.annotations: identity.annotations["bulkhead.dev/..."]: keys with the prefix bulkhead.dev/ are Bulkhead\'s own (it writes the segment\'s selector there, which the admission policies read)',
  ]);
});
