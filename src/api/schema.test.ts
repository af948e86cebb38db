import { buildCrd } from './crd.js';
import { validateSpec } from './validate.js';
import { parseCidr, cidrStrictlyContains, formatCidr } from './cidr.js';

const sel = { matchLabels: { app: 'x' } };
const base = { components: [{ name: 'a', selector: sel, ports: [{ name: 'http', port: 80 }] }, { name: 'b', selector: { matchLabels: { app: 'y' } } }] };

describe('validateSpec', () => {
  test('applies defaults', () => {
    const r = validateSpec(base);
    expect(r.ok && r.spec.enforcement).toBe('Enforce');
    expect(r.ok && r.spec.allowDNS).toBe(true);
  });

  test.each([
    ['empty selector', { components: [{ name: 'a', selector: {} }] }, 'spec.components[0].selector', /must not be empty/],
    ['duplicate names', { components: [base.components[0], base.components[0]] }, 'spec.components[1].name', /^"a" is also the name of components\[0\]; component names must be unique$/],
    ['flow to unknown component', { ...base, flows: [{ from: 'a', to: 'b' }, { from: 'a', to: 'zz' }] }, 'spec.flows[1].to', /^"zz" is not a component of this AIWorkload \(components: a, b\)$/],
    ['flow from unknown component', { ...base, flows: [{ from: 'ghost', to: 'a' }] }, 'spec.flows[0].from', /^"ghost" is not a component/],
    ['ingress to unknown component', { ...base, ingress: [{ to: 'ghost', from: { namespace: 'x' } }] }, 'spec.ingress[0].to', /^"ghost" is not a component of this AIWorkload \(components: a, b\)$/],
    ['egress from unknown component', { ...base, egress: [{ from: 'ghost', to: { platform: 'DNS' } }] }, 'spec.egress[0].from', /^"ghost" is not a component/],
    ['unknown role', { components: [{ name: 'a', role: 'Database', selector: sel }] }, 'spec.components[0].role', /Model/],
    ['non-canonical cidr', { ...base, egress: [{ from: 'a', to: { cidr: '10.0.0.1/8' } }] }, 'spec.egress[0].to.cidr', /canonical/],
    ['not a cidr', { ...base, egress: [{ from: 'a', to: { cidr: 'banana' } }] }, 'spec.egress[0].to.cidr', /CIDR/],
    ['except outside cidr', { ...base, egress: [{ from: 'a', to: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }] }, 'spec.egress[0].to.except', /strictly within/],
    ['two peer kinds', { ...base, egress: [{ from: 'a', to: { cidr: '10.0.0.0/8', platform: 'DNS' } }] }, 'spec.egress[0].to', /exactly one/],
    ['undeclared port name', { ...base, flows: [{ from: 'b', to: 'a', ports: ['http', 'grpc'] }] }, 'spec.flows[0].ports[1]', /^"grpc" is not a declared port of component a \(its ports: http\)$/],
    ['port of a component with none', { ...base, flows: [{ from: 'a', to: 'b', ports: ['http'] }] }, 'spec.flows[0].ports[0]', /^"http" is not a declared port of component b \(it declares none\)$/],
    ['undeclared ingress port', { ...base, ingress: [{ to: 'a', from: { namespace: 'x' }, ports: ['grpc'] }] }, 'spec.ingress[0].ports[0]', /^"grpc" is not a declared port of component a/],
    ['a bad value is quoted', { components: [{ name: 'a', selector: sel, ports: [{ name: 'http', port: 80800 }] }] }, 'spec.components[0].ports[0].port', /\(got 80800\)$/],
    ['an empty selector is quoted', { components: [{ name: 'a', selector: {} }] }, 'spec.components[0].selector', /\(got \{\}\)$/],
    ['17 components', { components: Array.from({ length: 17 }, (_v, i) => ({ name: `c${i}`, selector: sel })) }, 'spec.components', /16/],
    ['dataset egress', { components: [{ name: 'd', role: 'Dataset', selector: sel }, base.components[1]], flows: [{ from: 'd', to: 'b' }] }, 'spec.flows[0].from', /no egress/],
    ['cluster-scoped permission', { components: [{ name: 'a', selector: sel, permissions: [{ resource: 'nodes', names: ['n'], verbs: ['get'] }] }] }, 'spec.components[0].permissions[0].resource', /cluster-scoped/],
    ['rbac permission', { components: [{ name: 'a', selector: sel, permissions: [{ apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', names: ['r'], verbs: ['update'] }] }] }, 'spec.components[0].permissions[0].apiGroup', /never grants/],
    ['wildcard verb', { components: [{ name: 'a', selector: sel, permissions: [{ resource: 'secrets', names: ['s'], verbs: ['*'] }] }] }, 'spec.components[0].permissions[0].verbs[0]', /get/],
    ['metadata address only', { ...base, egress: [{ from: 'a', to: { cidr: '169.254.169.254/32' } }] }, 'spec.egress[0].to.cidr', /metadata/],
    ['named port to a cidr', { ...base, egress: [{ from: 'a', to: { cidr: '10.0.0.0/8' }, ports: ['https'] }] }, 'spec.egress[0].ports', /numbers/],
    ['In without values', { components: [{ name: 'a', selector: { matchExpressions: [{ key: 'k', operator: 'In' }] } }] }, 'spec.components[0].selector.matchExpressions[0]', /values/],
  ])('%s is refused at %s', (_name, spec, field, message) => {
    const r = validateSpec(spec);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const problem = r.problems.find((p) => p.field === field);
    expect(problem).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  test('the metadata address is allowed when the component asks for it', () => {
    const spec = { components: [{ ...base.components[0], allowMetadataAccess: true }], egress: [{ from: 'a', to: { cidr: '169.254.169.254/32' } }] };
    expect(validateSpec(spec).ok).toBe(true);
  });
});

describe('cidr', () => {
  test.each([
    ['10.0.0.0/8', true],
    ['10.0.0.1/8', false],
    ['fd00::/8', true],
    ['fd00:0::/8', false],
    ['fd00:ec2::254/128', true],
    ['256.0.0.0/8', false],
    ['10.0.0.0/33', false],
    ['010.0.0.0/8', false],
  ])('%s canonical=%s', (text, canonical) => {
    expect(parseCidr(text)?.canonical ?? false).toBe(canonical);
  });

  test('containment is strict and per family', () => {
    const any4 = parseCidr('0.0.0.0/0');
    const md = parseCidr('169.254.169.254/32');
    const v6 = parseCidr('::/0');
    if (any4 === undefined || md === undefined || v6 === undefined) throw new Error('parse');
    expect(cidrStrictlyContains(any4, md)).toBe(true);
    expect(cidrStrictlyContains(md, md)).toBe(false);
    expect(cidrStrictlyContains(v6, md)).toBe(false);
    expect(formatCidr(md)).toBe('169.254.169.254/32');
  });
});

describe('generated CRD', () => {
  const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  type Node = { type?: string; description?: string; properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; maxItems?: number; maxLength?: number; enum?: unknown[]; maxProperties?: number; anyOf?: unknown; 'x-kubernetes-int-or-string'?: boolean };
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema as Node;
  const walk = (node: Node, path: string, visit: (n: Node, p: string) => void): void => {
    visit(node, path);
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${path}.${k}`, visit);
    if (node.items !== undefined) walk(node.items, `${path}[]`, visit);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`, visit);
  };
  // Each check names the problem it finds; map values and list items take their parent's description.
  const checks: [problem: string, fails: (n: Node, p: string) => boolean][] = [
    ['no description', (n, p) => n.description === undefined && !p.endsWith('{}') && !p.endsWith('[]')],
    ['no maxItems', (n) => n.type === 'array' && n.maxItems === undefined],
    ['no maxLength', (n) => n.type === 'string' && n.maxLength === undefined && n.enum === undefined],
    ['no maxProperties', (n) => n.type === 'object' && n.properties === undefined && n.maxProperties === undefined],
    ['anyOf is not structural', (n) => n.anyOf !== undefined],
  ];
  const problems: string[] = [];
  walk(root.properties?.['spec'] as Node, 'spec', (n, p) => {
    for (const [problem, fails] of checks) if (fails(n, p)) problems.push(`${p}: ${problem}`);
  });
  test('every spec field has a description and every string, list and map a bound', () => {
    expect(problems).toEqual([]);
  });
  test('ports are int-or-string', () => {
    const egress = root.properties?.['spec']?.properties?.['egress']?.items?.properties?.['ports']?.items;
    expect(egress?.['x-kubernetes-int-or-string']).toBe(true);
    // Both branches keep their bounds: numbers 1-65535, names as IANA service names.
    expect(egress).toMatchObject({ minimum: 1, maximum: 65535, minLength: 1, maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });
  });
});
