// The compiler proved by the analysis: for random AIWorkloads with pods matching their components,
// the connections the generated policies allow are exactly the declared flows, the role presets
// (Training talks to itself) and DNS: nothing more, nothing less. And exposure detection agrees:
// the generated policies alone expose nothing; an allow-all added beside them exposes everything.
import fc from 'fast-check';
import { analyze, ConnSet, findExposure } from '../analysis/index.js';
import type { NetworkPolicy as AnalysisPolicy, Pod } from '../api/kubernetes.js';
import type { ClusterFacts } from '../analysis/types.js';
import type { AIWorkloadSpec, Role } from '../api/types.js';
import type { NetworkPolicy } from './objects.js';
import { validateSpec } from '../api/validate.js';
import { compile } from './compile.js';
import { runs } from '../../e2e/harness/seed.js';
import { DEFAULT_PLATFORM } from './facts.js';

const NS = 'team';
const ROLES: Role[] = ['Model', 'Dataset', 'FeatureStore', 'Training', 'Gateway', 'Generic'];
const NO_EGRESS = new Set<Role>(['Dataset', 'FeatureStore', 'VectorStore']);

interface Shape {
  components: { role: Role; ports: { port: number; proto: 'TCP' | 'UDP' | 'SCTP' }[] }[];
  flows: { from: number; to: number; portMask: number | null }[];
  allowDNS: boolean;
}

const shape: fc.Arbitrary<Shape> = fc
  .record({
    components: fc.array(
      fc.record({
        role: fc.constantFrom(...ROLES),
        ports: fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 9000 }), proto: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const) }), { maxLength: 3, selector: (p) => `${p.port}/${p.proto}` }),
      }),
      { minLength: 2, maxLength: 5 },
    ),
    flows: fc.array(fc.record({ from: fc.nat(4), to: fc.nat(4), portMask: fc.option(fc.integer({ min: 1, max: 7 }), { nil: null }) }), { maxLength: 8 }),
    allowDNS: fc.boolean(),
  })
  .map((s) => ({
    ...s,
    // Keep only flows the API accepts: existing components, no egress from data stores.
    flows: s.flows
      .map((f) => ({ ...f, from: f.from % s.components.length, to: f.to % s.components.length }))
      .filter((f) => !NO_EGRESS.has((s.components[f.from] as Shape['components'][number]).role) || f.from === f.to),
  }));

function toSpec(s: Shape): AIWorkloadSpec {
  const raw = {
    allowDNS: s.allowDNS,
    components: s.components.map((c, i) => ({
      name: `c${i}`,
      role: c.role,
      selector: { matchLabels: { app: `c${i}` } },
      ...(c.ports.length > 0 ? { ports: c.ports.map((p, j) => ({ name: `p${j}`, port: p.port, protocol: p.proto })) } : {}),
    })),
    flows: s.flows.map((f) => {
      const target = s.components[f.to] as Shape['components'][number];
      const chosen = f.portMask === null || target.ports.length === 0 ? undefined : target.ports.map((_p, j) => j).filter((j) => (f.portMask as number) & (1 << j));
      return { from: `c${f.from}`, to: `c${f.to}`, ...(chosen !== undefined && chosen.length > 0 ? { ports: chosen.map((j) => `p${j}`) } : {}) };
    }),
  };
  const r = validateSpec(raw);
  if (!r.ok) throw new Error(`generator made an invalid spec: ${JSON.stringify(r.problems)}`);
  return r.spec;
}

const pod = (namespace: string, name: string, labels: Record<string, string>): Pod => ({
  kind: 'Pod',
  metadata: { namespace, name, labels },
  spec: { containers: [] },
});

/** What the author declared, per ordered pair of component indexes (each component has two pods). */
function expected(s: Shape, spec: AIWorkloadSpec): Map<string, ConnSet> {
  const out = new Map<string, ConnSet>();
  const add = (src: string, dst: string, conn: ConnSet): void => {
    if (conn.isEmpty()) return;
    out.set(`${src}|${dst}`, (out.get(`${src}|${dst}`) ?? ConnSet.empty()).union(conn));
  };
  const portsOf = (i: number, names: string[] | undefined): ConnSet => {
    const declared = spec.components[i]?.ports ?? [];
    if (declared.length === 0) return ConnSet.all();
    const chosen = names === undefined ? declared : declared.filter((p) => names.includes(p.name));
    return chosen.reduce((acc, p) => acc.union(ConnSet.ports(p.protocol ?? 'TCP', p.port)), ConnSet.empty());
  };
  const podsOf = (i: number): string[] => [`${NS}/c${i}-a[Pod]`, `${NS}/c${i}-b[Pod]`];
  for (const f of spec.flows ?? []) {
    const from = Number(f.from.slice(1));
    const to = Number(f.to.slice(1));
    for (const a of podsOf(from)) for (const b of podsOf(to).filter((p) => p !== a)) add(a, b, portsOf(to, f.ports));
  }
  s.components.forEach((c, i) => {
    if (c.role === 'Training') {
      const [a, b] = podsOf(i) as [string, string];
      add(a, b, ConnSet.all());
      add(b, a, ConnSet.all());
    }
    if (s.allowDNS) for (const a of podsOf(i)) add(a, 'kube-system/coredns[Pod]', ConnSet.ports('UDP', 53).union(ConnSet.ports('TCP', 53)));
  });
  return out;
}

/** The compiled workload's policies, with two pods per component and a few bystanders. */
function worldOf(s: Shape): { spec: AIWorkloadSpec; policies: NetworkPolicy[]; facts: ClusterFacts } {
  const spec = toSpec(s);
  const { objects } = compile({ name: 'w', namespace: NS, spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() });
  const policies = objects.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
  const pods: Pod[] = [
    ...s.components.flatMap((_c, i) => [pod(NS, `c${i}-a`, { app: `c${i}` }), pod(NS, `c${i}-b`, { app: `c${i}` })]),
    pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }),
    pod(NS, 'outsider', { app: 'outsider' }),
    pod('elsewhere', 'stranger', { app: 'c0' }), // same labels as a component, other namespace
  ];
  const facts: ClusterFacts = {
    namespaces: ['kube-system', NS, 'elsewhere'].map((n) => ({ kind: 'Namespace', metadata: { name: n } })),
    pods,
    workloads: [],
    networkPolicies: policies,
  };
  return { spec, policies, facts };
}

test('generated policies allow exactly the declared connections', () => {
  fc.assert(
    fc.property(shape, (s) => {
      const { spec, facts } = worldOf(s);
      const want = expected(s, spec);
      const component = (id: string): boolean => /^team\/c\d+-[ab]\[Pod\]$/.test(id);
      const got = new Map<string, ConnSet>();
      for (const c of analyze(facts).connections) {
        // Pairs between unsegmented peers (DNS, outsider, stranger, external ranges) are not ours.
        if (component(c.src.id) || component(c.dst.id)) got.set(`${c.src.id}|${c.dst.id}`, c.conn);
      }
      const fmt = (m: Map<string, ConnSet>): string[] => [...m].map(([k, v]) => `${k} : ${v.toString()}`).sort();
      expect(fmt(got)).toEqual(fmt(want));
    }),
    { numRuns: runs(150) },
  );
});

test('exposure: the generated policies alone expose nothing; an allow-all beside them exposes every segment', () => {
  const allowAll = (direction: 'Ingress' | 'Egress'): AnalysisPolicy => ({
    kind: 'NetworkPolicy',
    metadata: { namespace: NS, name: `allow-all-${direction.toLowerCase()}` },
    spec: { podSelector: {}, policyTypes: [direction], ...(direction === 'Ingress' ? { ingress: [{}] } : { egress: [{}] }) },
  });
  fc.assert(
    fc.property(shape, fc.constantFrom('Ingress' as const, 'Egress' as const), (s, direction) => {
      const { spec, policies, facts } = worldOf(s);
      const widened: ClusterFacts = { ...facts, networkPolicies: [...facts.networkPolicies, allowAll(direction)] };
      spec.components.forEach((c, i) => {
        const own = policies.find((p) => p.metadata.labels['bulkhead.dev/component'] === c.name) as NetworkPolicy;
        const segment = { namespace: NS, podSelector: c.selector, declaredIngress: own.spec.ingress, declaredEgress: own.spec.egress };
        expect(findExposure(facts, segment)).toEqual([]);
        const found = findExposure(widened, segment).filter((f) => f.direction === direction);
        // Nobody declares the outsider as a caller, nor the whole address space as a destination.
        const far = direction === 'Ingress' ? `${NS}/outsider[Pod]` : '0.0.0.0-255.255.255.255[External]';
        const pair = (f: (typeof found)[number]): string => `${f.source.id} -> ${f.target.id}`;
        const expectedPairs = [`${NS}/c${i}-a[Pod]`, `${NS}/c${i}-b[Pod]`].map((m) => (direction === 'Ingress' ? `${far} -> ${m}` : `${m} -> ${far}`));
        expect(found.map(pair)).toEqual(expect.arrayContaining(expectedPairs));
        expect(found.every((f) => f.policies.includes(`${NS}/allow-all-${direction.toLowerCase()}`))).toBe(true);
      });
    }),
    { numRuns: runs(60) },
  );
});
