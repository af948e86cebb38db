// Malformed and hostile AIWorkload specs, each with the field its refusal must name. Shared by the
// unit test of the schema and validator (src/api/hostile.test.ts) and the suite against the real
// API server and operator (e2e/security/hostile.test.ts).
//
// `by` says who refuses it: 'api' — the API server (the CRD's OpenAPI schema and CEL rules, or
// strict field validation for unknown fields); 'controller' — accepted by the CRD, then the operator
// reports Stalled naming the field (checks the CRD cannot express, see src/api/validate.ts).

export type Spec = Record<string, unknown> & {
  components: Record<string, unknown>[];
  flows?: Record<string, unknown>[];
  ingress?: Record<string, unknown>[];
  egress?: Record<string, unknown>[];
};

export interface HostileCase {
  name: string;
  mutate: (spec: Spec) => void;
  /** The field the refusal names, as `spec.components[0].selector`. */
  field: string;
  by: 'api' | 'controller';
  /** Unknown fields: the API server refuses them (strict field validation); zod drops them. */
  unknownField?: boolean;
}

/** A valid spec every case starts from. */
export function baseSpec(): Spec {
  return {
    components: [
      {
        name: 'model',
        role: 'Model',
        selector: { matchLabels: { app: 'model' } },
        ports: [{ name: 'grpc', port: 9000 }],
        permissions: [{ resource: 'configmaps', names: ['settings'], verbs: ['get'] }],
      },
      { name: 'gateway', role: 'Gateway', selector: { matchLabels: { app: 'gw' } }, ports: [{ name: 'http', port: 8080 }] },
      { name: 'data', role: 'Dataset', selector: { matchLabels: { app: 'data' } }, ports: [{ name: 's3', port: 9000 }] },
    ],
    flows: [
      { from: 'gateway', to: 'model', ports: ['grpc'] },
      { from: 'model', to: 'data', ports: ['s3'] },
    ],
    ingress: [{ to: 'gateway', from: { namespace: 'ingress-nginx' }, ports: ['http'] }],
    egress: [{ from: 'model', to: { cidr: '10.20.0.0/16' }, ports: [443] }],
  };
}

type Obj = Record<string, unknown>;
const c = (s: Spec, i: number): Obj => s.components[i] as Obj;
const perm = (s: Spec): Obj => (c(s, 0)['permissions'] as Obj[])[0] as Obj;
const port = (s: Spec): Obj => (c(s, 0)['ports'] as Obj[])[0] as Obj;
const egress = (s: Spec): Obj => (s.egress as Obj[])[0] as Obj;
const ingress = (s: Spec): Obj => (s.ingress as Obj[])[0] as Obj;
const long = (n: number): string => 'a'.repeat(n);

export const HOSTILE_CASES: HostileCase[] = [
  // Selectors: an empty one would swallow the namespace.
  { name: 'empty selector', by: 'api', field: 'spec.components[0].selector', mutate: (s) => void (c(s, 0)['selector'] = {}) },
  { name: 'empty matchLabels and matchExpressions', by: 'api', field: 'spec.components[0].selector', mutate: (s) => void (c(s, 0)['selector'] = { matchLabels: {}, matchExpressions: [] }) },
  { name: 'missing selector', by: 'api', field: 'spec.components[0].selector', mutate: (s) => void delete c(s, 0)['selector'] },
  { name: 'Exists with values', by: 'api', field: 'spec.components[0].selector.matchExpressions[0]', mutate: (s) => void (c(s, 0)['selector'] = { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }) },
  { name: 'label key with a space', by: 'api', field: 'spec.components[0].selector.matchLabels', mutate: (s) => void (c(s, 0)['selector'] = { matchLabels: { 'a b': 'x' } }) },
  { name: 'label value of 64 characters', by: 'api', field: 'spec.components[0].selector.matchLabels', mutate: (s) => void (c(s, 0)['selector'] = { matchLabels: { app: long(64) } }) },
  { name: 'pods peer with an empty selector', by: 'api', field: 'spec.ingress[0].from.pods', mutate: (s) => void (ingress(s)['from'] = { pods: {} }) },
  // Names.
  { name: 'upper-case component name', by: 'api', field: 'spec.components[2].name', mutate: (s) => void (c(s, 2)['name'] = 'Data') },
  { name: 'component name of 64 characters (breaks the 63-character limit)', by: 'api', field: 'spec.components[2].name', mutate: (s) => void (c(s, 2)['name'] = long(64)) },
  { name: 'workload peer component of 64 characters', by: 'api', field: 'spec.egress[0].to.workload.component', mutate: (s) => void (egress(s)['to'] = { workload: { namespace: 'other', name: 'w', component: long(64) } }) },
  { name: 'upper-case namespace peer', by: 'api', field: 'spec.ingress[0].from.namespace', mutate: (s) => void (ingress(s)['from'] = { namespace: 'Ingress-Nginx' }) },
  { name: 'duplicate component names', by: 'api', field: 'spec.components', mutate: (s) => void s.components.push({ ...c(s, 1) }) },
  { name: 'duplicate port names', by: 'api', field: 'spec.components[0].ports', mutate: (s) => void (c(s, 0)['ports'] as Obj[]).push({ name: 'grpc', port: 9001 }) },
  // References.
  { name: 'flow to an unknown component', by: 'api', field: 'spec.flows', mutate: (s) => void (((s.flows as Obj[])[0] as Obj)['to'] = 'nope') },
  { name: 'ingress to an unknown component', by: 'api', field: 'spec.ingress', mutate: (s) => void (ingress(s)['to'] = 'nope') },
  { name: 'egress from an unknown component', by: 'api', field: 'spec.egress', mutate: (s) => void (egress(s)['from'] = 'nope') },
  { name: 'unknown port name in a flow', by: 'api', field: 'spec.flows', mutate: (s) => void (((s.flows as Obj[])[0] as Obj)['ports'] = ['http2']) },
  { name: 'named port to a cidr', by: 'api', field: 'spec.egress[0].ports', mutate: (s) => void (egress(s)['ports'] = ['https']) },
  // Ports.
  { name: 'port 0', by: 'api', field: 'spec.components[0].ports[0].port', mutate: (s) => void (port(s)['port'] = 0) },
  { name: 'port 70000', by: 'api', field: 'spec.components[0].ports[0].port', mutate: (s) => void (port(s)['port'] = 70000) },
  { name: 'egress port 0', by: 'api', field: 'spec.egress[0].ports[0]', mutate: (s) => void (egress(s)['ports'] = [0]) },
  { name: 'egress port 65536', by: 'api', field: 'spec.egress[0].ports[0]', mutate: (s) => void (egress(s)['ports'] = [65536]) },
  { name: 'egress port name of 16 characters', by: 'api', field: 'spec.egress[0].ports[0]', mutate: (s) => void Object.assign(egress(s), { to: { platform: 'DNS' }, ports: ['a'.repeat(16)] }) },
  { name: 'egress port name in capitals', by: 'api', field: 'spec.egress[0].ports[0]', mutate: (s) => void Object.assign(egress(s), { to: { namespace: 'other' }, ports: ['HTTPS'] }) },
  { name: 'endPort below port', by: 'api', field: 'spec.components[0].ports[0].endPort', mutate: (s) => void (port(s)['endPort'] = 100) },
  // CIDRs.
  { name: 'prefix /33', by: 'api', field: 'spec.egress[0].to.cidr', mutate: (s) => void (egress(s)['to'] = { cidr: '10.20.0.0/33' }) },
  { name: 'not a CIDR', by: 'api', field: 'spec.egress[0].to.cidr', mutate: (s) => void (egress(s)['to'] = { cidr: 'not-a-cidr' }) },
  { name: 'host bits set', by: 'api', field: 'spec.egress[0].to.cidr', mutate: (s) => void (egress(s)['to'] = { cidr: '10.20.0.1/16' }) },
  { name: 'except outside the cidr', by: 'api', field: 'spec.egress[0].to.except', mutate: (s) => void (egress(s)['to'] = { cidr: '10.20.0.0/16', except: ['192.168.0.0/24'] }) },
  { name: 'except without a cidr', by: 'api', field: 'spec.egress[0].to.except', mutate: (s) => void (egress(s)['to'] = { namespace: 'other', except: ['10.0.0.0/8'] }) },
  { name: 'the cloud metadata address', by: 'controller', field: 'spec.egress[0].to.cidr', mutate: (s) => void (egress(s)['to'] = { cidr: '169.254.169.254/32' }) },
  // Peers.
  { name: 'peer naming both a workload and a cidr', by: 'api', field: 'spec.egress[0].to', mutate: (s) => void (egress(s)['to'] = { cidr: '10.0.0.0/8', workload: { namespace: 'o', name: 'w', component: 'c' } }) },
  { name: 'empty peer', by: 'api', field: 'spec.egress[0].to', mutate: (s) => void (egress(s)['to'] = {}) },
  { name: 'Monitoring as a destination', by: 'api', field: 'spec.egress[0].to.platform', mutate: (s) => void Object.assign(egress(s), { to: { platform: 'Monitoring' }, ports: undefined }) },
  { name: 'DNS as a caller', by: 'api', field: 'spec.ingress[0].from.platform', mutate: (s) => void (ingress(s)['from'] = { platform: 'DNS' }) },
  { name: 'a Dataset with a flow out (exfiltration path)', by: 'controller', field: 'spec.flows[2].from', mutate: (s) => void (s.flows as Obj[]).push({ from: 'data', to: 'model', ports: ['grpc'] }) },
  // Permissions.
  { name: 'wildcard resource', by: 'api', field: 'spec.components[0].permissions[0].resource', mutate: (s) => void (perm(s)['resource'] = '*') },
  { name: 'wildcard verb', by: 'api', field: 'spec.components[0].permissions[0].verbs[0]', mutate: (s) => void (perm(s)['verbs'] = ['*']) },
  { name: 'verb escalate', by: 'api', field: 'spec.components[0].permissions[0].verbs[0]', mutate: (s) => void (perm(s)['verbs'] = ['escalate']) },
  { name: 'verb create (cannot be limited by name)', by: 'api', field: 'spec.components[0].permissions[0].verbs[0]', mutate: (s) => void (perm(s)['verbs'] = ['create']) },
  { name: 'wildcard apiGroup', by: 'api', field: 'spec.components[0].permissions[0].apiGroup', mutate: (s) => void (perm(s)['apiGroup'] = '*') },
  { name: 'no names (every object)', by: 'api', field: 'spec.components[0].permissions[0].names', mutate: (s) => void (perm(s)['names'] = []) },
  { name: 'wildcard name', by: 'api', field: 'spec.components[0].permissions[0].names[0]', mutate: (s) => void (perm(s)['names'] = ['*']) },
  { name: 'cluster-scoped resource', by: 'controller', field: 'spec.components[0].permissions[0].resource', mutate: (s) => void (perm(s)['resource'] = 'nodes') },
  { name: 'RBAC roles (privilege escalation)', by: 'controller', field: 'spec.components[0].permissions[0].apiGroup', mutate: (s) => Object.assign(perm(s), { apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' }) },
  { name: 'serviceaccounts/token (minting identities)', by: 'controller', field: 'spec.components[0].permissions[0].apiGroup', mutate: (s) => void (perm(s)['resource'] = 'serviceaccounts/token') },
  { name: 'a permission on another namespace', by: 'api', unknownField: true, field: 'spec.components[0].permissions[0].namespace', mutate: (s) => void (perm(s)['namespace'] = 'kube-system') },
  { name: 'an unknown field (hostNetwork)', by: 'api', unknownField: true, field: 'spec.hostNetwork', mutate: (s) => void (s['hostNetwork'] = true) },
  // Sizes and enums.
  { name: 'no components', by: 'api', field: 'spec.components', mutate: (s) => void (s.components = []) },
  { name: '33 components', by: 'api', field: 'spec.components', mutate: (s) => void s.components.push(...Array.from({ length: 30 }, (_, i) => ({ name: `x${i}`, selector: { matchLabels: { app: `x${i}` } } }))) },
  { name: '17 names in one permission', by: 'api', field: 'spec.components[0].permissions[0].names', mutate: (s) => void (perm(s)['names'] = Array.from({ length: 17 }, (_, i) => `n${i}`)) },
  { name: 'enforcement Off', by: 'api', field: 'spec.enforcement', mutate: (s) => void (s['enforcement'] = 'Off') },
  { name: 'role Admin', by: 'api', field: 'spec.components[0].role', mutate: (s) => void (c(s, 0)['role'] = 'Admin') },
];
