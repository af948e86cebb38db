import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { validateSpec } from '../api/validate.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { compile } from './compile.js';
import { type CompileFacts, DEFAULT_PLATFORM, type PeerWorkload } from './facts.js';
import { capName, objectName } from './names.js';
import type { NetworkPolicy } from './objects.js';
import { toYamlStream } from './render.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function spec(raw: unknown): AIWorkloadSpec {
  const r = validateSpec(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const facts = (workloads: PeerWorkload[] = [], extra: Partial<CompileFacts> = {}): CompileFacts => ({
  platform: DEFAULT_PLATFORM,
  workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.name}`, w])),
  ...extra,
});

const policy = (objects: { kind: string; metadata: { name: string } }[], name: string): NetworkPolicy =>
  objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name) as NetworkPolicy;

describe('names', () => {
  test('short names are kept', () => expect(objectName('fraud', 'model')).toBe('fraud-model'));
  test('long names are capped at 63 with a stable hash', () => {
    const long = objectName('a'.repeat(50), 'b'.repeat(30));
    expect(long).toHaveLength(63);
    expect(long).toBe(objectName('a'.repeat(50), 'b'.repeat(30)));
    expect(long).not.toBe(objectName('a'.repeat(50), `${'b'.repeat(29)}c`));
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
  test('a cut that ends in a dash does not leave a double dash', () => expect(capName(`${'a'.repeat(53)}-${'b'.repeat(20)}`)).not.toMatch(/--/));
});

describe('sample golden files', () => {
  // All samples are compiled together, so cross-namespace peers between them resolve.
  const samples = readdirSync(path.join(repo, 'samples')).filter((f) => f.endsWith('.yaml')).sort();
  const workloads = samples.map((f) => {
    const doc = load(readFileSync(path.join(repo, 'samples', f), 'utf8')) as { metadata: { name: string; namespace: string }; spec: unknown };
    return { file: f.replace(/\.yaml$/, ''), namespace: doc.metadata.namespace, name: doc.metadata.name, spec: spec(doc.spec) };
  });
  const all = facts(workloads);

  test('there are samples for the AI stacks the docs name', () => {
    expect(samples).toEqual(expect.arrayContaining(['fraud-detection.yaml', 'jupyter-notebooks.yaml', 'kserve-inference.yaml', 'llm-serving-vllm.yaml', 'rag-vector-db.yaml', 'ray-training.yaml', 'feast-feature-store.yaml']));
  });

  test.each(workloads.map((w) => [w.file, w] as const))('%s renders as in testdata/<sample>.golden.yaml', (file, w) => {
    const result = compile(w, all);
    const yaml = toYamlStream(result.objects);
    const golden = path.join(here, 'testdata', `${file}.golden.yaml`);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, yaml);
    expect(yaml).toBe(readFileSync(golden, 'utf8'));
    // Every cross-namespace peer among the samples has consented; only platform facts may be missing.
    expect(result.components.flatMap((c) => c.consentPending)).toEqual([]);
    expect(result.components.flatMap((c) => c.unresolvedPeers.map((p) => p.peer)).filter((p) => !p.startsWith('platform/'))).toEqual([]);
  });
});

describe('NetworkPolicy builder', () => {
  const two = { components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] }, { name: 'db', role: 'Dataset', selector: { matchLabels: { app: 'db' } }, ports: [{ name: 'pg', port: 5432 }] }], flows: [{ from: 'api', to: 'db', ports: ['pg'] }] };

  test('both policy types, DNS, and the flow on both ends', () => {
    const { objects } = compile({ name: 'w', namespace: 'ns', spec: spec(two) }, facts());
    const api = policy(objects, 'w-api');
    const db = policy(objects, 'w-db');
    expect(api.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(api.spec.ingress).toEqual([]);
    expect(api.spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] });
    expect(db.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }]);
    // A Dataset has no egress but DNS.
    expect(db.spec.egress).toEqual([{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }]);
  });

  test('allowDNS: false leaves no egress at all', () => {
    const { objects } = compile({ name: 'w', namespace: 'ns', spec: spec({ ...two, allowDNS: false }) }, facts());
    expect(policy(objects, 'w-db').spec.egress).toEqual([]);
  });

  test('a namespace+pods peer is ONE peer with both selectors', () => {
    const s = spec({ ...two, ingress: [{ to: 'api', from: { namespace: 'ingress', pods: { matchLabels: { app: 'nginx' } } } }] });
    const api = policy(compile({ name: 'w', namespace: 'ns', spec: s }, facts()).objects, 'w-api');
    expect(api.spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } }, podSelector: { matchLabels: { app: 'nginx' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
  });

  test('the metadata address is excepted from CIDR egress unless asked for', () => {
    const s = spec({ ...two, egress: [{ from: 'api', to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, ports: [443] }, { from: 'api', to: { cidr: '10.20.0.0/16' } }] });
    const egress = policy(compile({ name: 'w', namespace: 'ns', spec: s }, facts()).objects, 'w-api').spec.egress;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32', '169.254.170.23/32', '100.100.100.200/32'] } }], ports: [{ protocol: 'TCP', port: 443 }] });
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] });
    const allowed = spec({ ...two, components: [{ ...two.components[0], allowMetadataAccess: true }, two.components[1]], egress: [{ from: 'api', to: { cidr: '0.0.0.0/0' } }] });
    expect(policy(compile({ name: 'w', namespace: 'ns', spec: allowed }, facts()).objects, 'w-api').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] });
  });

  test('Training pods may talk to each other', () => {
    const s = spec({ components: [{ name: 't', role: 'Training', selector: { matchLabels: { job: 't' } } }] });
    const t = policy(compile({ name: 'w', namespace: 'ns', spec: s }, facts()).objects, 'w-t');
    expect(t.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { job: 't' } } }] }]);
    expect(t.spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: { job: 't' } } }] });
  });

  test('KubeAPIServer resolves from facts and fails closed when unknown', () => {
    const s = spec({ ...two, egress: [{ from: 'api', to: { platform: 'KubeAPIServer' } }] });
    const known = compile({ name: 'w', namespace: 'ns', spec: s }, facts([], { kubeAPIServer: { addresses: ['10.0.0.1'], ports: [6443] } }));
    expect(policy(known.objects, 'w-api').spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] });
    const unknown = compile({ name: 'w', namespace: 'ns', spec: s }, facts());
    expect(policy(unknown.objects, 'w-api').spec.egress).toHaveLength(2); // DNS and the flow only: no fallback
    expect(unknown.components.find((c) => c.name === 'api')?.unresolvedPeers[0]?.peer).toBe('platform/KubeAPIServer');
  });
});

describe('cross-namespace consent', () => {
  const caller = spec({ components: [{ name: 'client', selector: { matchLabels: { app: 'c' } } }], egress: [{ from: 'client', to: { workload: { namespace: 'b', name: 'server', component: 'api' } } }] });
  const calleeWith = (ingress: unknown[]): AIWorkloadSpec => spec({ components: [{ name: 'api', selector: { matchLabels: { app: 's' } }, ports: [{ name: 'http', port: 80 }] }], ingress });
  const run = (callee: AIWorkloadSpec) => {
    const f = facts([{ namespace: 'a', name: 'client', spec: caller }, { namespace: 'b', name: 'server', spec: callee }]);
    return { a: compile({ name: 'client', namespace: 'a', spec: caller }, f), b: compile({ name: 'server', namespace: 'b', spec: callee }, f) };
  };

  test('one side alone opens nothing and reports ConsentPending', () => {
    const { a } = run(calleeWith([]));
    expect(policy(a.objects, 'client-client').spec.egress).toHaveLength(1); // DNS only
    expect(a.components[0]?.consentPending[0]?.peer).toBe('b/server/api');
  });

  test('both sides declared: each policy allows its own end', () => {
    const { a, b } = run(calleeWith([{ to: 'api', from: { workload: { namespace: 'a', name: 'client', component: 'client' } } }]));
    expect(policy(a.objects, 'client-client').spec.egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } }, podSelector: { matchLabels: { app: 's' } } }], ports: [{ protocol: 'TCP', port: 80 }] });
    expect(policy(b.objects, 'server-api').spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } }, podSelector: { matchLabels: { app: 'c' } } }], ports: [{ protocol: 'TCP', port: 80 }] }]);
    expect(a.components[0]?.consentPending).toEqual([]);
  });

  test('a namespace selector covering the caller counts as consent', () => {
    const { a } = run(calleeWith([{ to: 'api', from: { namespace: 'a' } }]));
    expect(a.components[0]?.consentPending).toEqual([]);
  });

  test('an unknown peer workload is unresolved and gets no rule', () => {
    const f = facts([{ namespace: 'a', name: 'client', spec: caller }]);
    const a = compile({ name: 'client', namespace: 'a', spec: caller }, f);
    expect(a.components[0]?.unresolvedPeers[0]?.message).toMatch(/b\/server not found/);
    expect(policy(a.objects, 'client-client').spec.egress).toHaveLength(1);
  });
});

describe('identity', () => {
  const s = spec({ components: [{ name: 'm', selector: { matchLabels: { app: 'm' } }, identity: { annotations: { 'iam.gke.io/gcp-service-account': 'model-reader@ml-project.iam.gserviceaccount.com' } }, permissions: [{ resource: 'secrets', names: ['b', 'a', 'a'], verbs: ['watch', 'get'] }] }, { name: 'n', selector: { matchLabels: { app: 'n' } } }] });
  const { objects } = compile({ name: 'w', namespace: 'ns', uid: 'u-1', spec: s }, facts());

  test('a Role only with resourceNames, bound to the segment ServiceAccount', () => {
    const role = objects.find((o) => o.kind === 'Role');
    expect(role).toMatchObject({ rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['a', 'b'], verbs: ['get', 'watch'] }] });
    expect(objects.find((o) => o.kind === 'RoleBinding')).toMatchObject({ subjects: [{ kind: 'ServiceAccount', name: 'w-m', namespace: 'ns' }], roleRef: { kind: 'Role', name: 'w-m' } });
    expect(objects.filter((o) => o.kind === 'Role')).toHaveLength(1);
  });

  test('tokens mount only where permissions need them; annotations pass through', () => {
    const sa = (n: string) => objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === n) as { automountServiceAccountToken: boolean; metadata: { annotations?: Record<string, string> } };
    expect(sa('w-m').automountServiceAccountToken).toBe(true);
    expect(sa('w-n').automountServiceAccountToken).toBe(false);
    expect(sa('w-m').metadata.annotations).toEqual({ 'bulkhead.dev/segment-labels': 'app=m', 'iam.gke.io/gcp-service-account': 'model-reader@ml-project.iam.gserviceaccount.com' });
  });

  test('every object is labelled and owned by its AIWorkload', () => {
    for (const o of objects) {
      // Every object is named <workload>-<component>, so its name tells which component label it needs.
      const component = o.metadata.name.replace(/^w-/, '');
      expect(o.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'bulkhead', 'bulkhead.dev/workload': 'w', 'bulkhead.dev/component': component });
      expect(o.metadata.ownerReferences).toEqual([{ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', name: 'w', uid: 'u-1', controller: true, blockOwnerDeletion: true }]);
    }
  });
});

describe('namespaceDefaultDeny', () => {
  const input = (extra: Record<string, unknown>): { name: string; namespace: string; spec: AIWorkloadSpec } => ({
    name: 'w', namespace: 'ns',
    spec: spec({ components: [{ name: 'model', selector: { matchLabels: { app: 'model' } } }], ...extra }),
  });

  test('is off by default', () => {
    expect(compile(input({}), facts()).objects.map((o) => o.metadata.name)).not.toContain('w-default-deny');
  });

  test('selects every pod of the namespace and allows only DNS out', () => {
    const np = policy(compile(input({ namespaceDefaultDeny: true }), facts()).objects, 'w-default-deny');
    expect(np.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    });
    expect(np.metadata.labels['bulkhead.dev/component']).toBe('default-deny');
  });

  test('without allowDNS allows nothing at all', () => {
    expect(policy(compile(input({ namespaceDefaultDeny: true, allowDNS: false }), facts()).objects, 'w-default-deny').spec.egress).toEqual([]);
  });

  test('a component cannot take its name', () => {
    const r = validateSpec({ namespaceDefaultDeny: true, components: [{ name: 'default-deny', selector: { matchLabels: { a: 'b' } } }] });
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => p.field)).toEqual(['spec.components[0].name']);
    expect(problems[0]?.message).toContain('"default-deny" names the namespace default deny');
  });
});
