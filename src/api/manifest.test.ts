import { buildCrd } from './crd.js';
import { unknownFields, validateManifest } from './manifest.js';

const doc = (over: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'AIWorkload',
  metadata: { name: 'w', namespace: 'ns' },
  spec: { components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 80 }] }], ...spec },
  ...over,
});

/** The problems of a document as `field: message` lines. */
function problems(d: unknown): string[] {
  const r = validateManifest(d);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
}

describe('validateManifest', () => {
  it('accepts a valid document and reads its name and namespace', () => {
    expect(validateManifest(doc())).toMatchObject({ ok: true, name: 'w', namespace: 'ns' });
  });

  it.each([
    ['a misspelt spec field', doc({}, { flow: [] }), 'spec.flow: unknown field "flow" (did you mean "flows"?); the fields here are enforcement, allowDNS, namespaceDefaultDeny, components, flows, ingress, egress'],
    ['a misspelt component field', doc({}, { components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, prots: [] }] }), 'spec.components[0].prots: unknown field "prots" (did you mean "ports"?)'],
    ['a field deep in a peer', doc({}, { egress: [{ from: 'api', to: { cidr: '10.0.0.0/8', exept: ['10.1.0.0/16'] } }] }), 'spec.egress[0].to.exept: unknown field "exept" (did you mean "except"?)'],
    ['a field of a selector requirement', doc({}, { components: [{ name: 'api', selector: { matchExpressions: [{ key: 'k', operator: 'Exists', valus: [] }] } }] }), 'spec.components[0].selector.matchExpressions[0].valus: unknown field "valus" (did you mean "values"?)'],
    ['a misspelt top-level field', doc({ sepc: {} }), 'sepc: unknown field "sepc" (did you mean "spec"?)'],
    ['a misspelt metadata field', doc({ metadata: { name: 'w', namspace: 'ns' } }), 'metadata.namspace: unknown field "namspace" (did you mean "namespace"?)'],
    ['a field with nothing near it', doc({}, { zebra: 1 }), 'spec.zebra: unknown field "zebra"; the fields here are'],
    ['a name that is not a DNS-1123 subdomain', doc({ metadata: { name: 'Fraud_Detect' } }), 'metadata.name: "Fraud_Detect" is not a DNS-1123 subdomain'],
    ['a name of 254 characters', doc({ metadata: { name: 'a'.repeat(254) } }), 'metadata.name: "aaaa'],
    ['no name', doc({ metadata: { namespace: 'ns' } }), 'metadata.name: required'],
    ['a namespace that is not a DNS-1123 label', doc({ metadata: { name: 'w', namespace: 'ml.prod' } }), 'metadata.namespace: "ml.prod" is not a DNS-1123 label'],
    ['a bad label key', doc({ metadata: { name: 'w', labels: { 'team name': 'x' } } }), 'metadata.labels["team name"]: "team name" is not a label key'],
    ['a bad label value', doc({ metadata: { name: 'w', labels: { team: 'a b' } } }), 'metadata.labels["team"]: "a b" is not a label value'],
    ['a bad annotation key', doc({ metadata: { name: 'w', annotations: { '-x': 'y' } } }), 'metadata.annotations["-x"]: "-x" is not an annotation key'],
    ['another kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, 'apiVersion/kind: must be bulkhead.dev/v1alpha1 AIWorkload (got v1 ConfigMap)'],
    ['a flow to an unknown component', doc({}, { flows: [{ from: 'api', to: 'ghost' }] }), 'spec.flows[0].to: "ghost" is not a component of this AIWorkload (components: api)'],
  ])('refuses %s, naming the field and the value', (_what, d, line) => {
    expect(problems(d)).toEqual(expect.arrayContaining([expect.stringContaining(line)]));
  });

  it('takes dotted names, maps of any keys and ports by name or number', () => {
    const d = doc({ metadata: { name: 'fraud.detect-v2', namespace: 'ml-prod', labels: { 'example.com/team': 'ml' }, annotations: { note: 'anything at all' } } }, {
      components: [{ name: 'api', selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, identity: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/x' } } }],
      egress: [{ from: 'api', to: { cidr: '10.0.0.0/8' }, ports: [443, 8443] }],
    });
    expect(problems(d)).toEqual([]);
  });

  it('reports every unknown field, not only the first', () => {
    const d = doc({ sepc: 1 }, { flow: [], components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, prots: [] }] });
    expect(problems(d).filter((p) => p.includes('unknown field')).map((p) => p.split(':')[0]).sort()).toEqual(['sepc', 'spec.components[0].prots', 'spec.flow']);
  });
});

describe('unknownFields', () => {
  const schema = (buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: Parameters<typeof unknownFields>[1] } }[] } }).spec.versions[0]?.schema.openAPIV3Schema ?? {};

  it('walks the CRD schema: properties, items and the values of maps', () => {
    const spec = { components: [{ name: 'a', selector: { matchLabels: { anything: 'goes' } } }, { name: 'b', selector: {}, bogus: 1 }] };
    expect(unknownFields({ spec }, schema).map((p) => p.field)).toEqual(['spec.components[1].bogus']);
  });
});
