// The controller's exposure messages model both address families: an IPv6 widening is reported,
// and the findings named first stay the ones an IPv4-only analysis would name.
import type { NetworkPolicy, Pod } from '../api/kubernetes.js';
import type { ClusterFacts } from '../analysis/types.js';
import { validateSpec } from '../api/validate.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import { type NamespaceFacts, exposureMessages, mayBeExposed, wouldBlock } from './exposure.js';

const NS = 'rag';
const V6_WORLD = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]';

function specOf(raw: unknown): AIWorkloadSpec {
  const r = validateSpec(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const spec = specOf({
  components: [
    { name: 'api', role: 'Gateway', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] },
    { name: 'vectors', role: 'VectorStore', selector: { matchLabels: { app: 'vectors' } }, ports: [{ name: 'http', port: 8080 }] },
  ],
  flows: [{ from: 'api', to: 'vectors', ports: ['http'] }],
});
const desired = compile({ name: 'rag', namespace: NS, spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() }).objects;

const pod = (name: string, labels: Record<string, string>): Pod => ({ kind: 'Pod', metadata: { namespace: NS, name, labels }, spec: { containers: [] } });
const egressPolicy = (name: string, egress: NonNullable<NetworkPolicy['spec']>['egress']): NetworkPolicy => ({
  kind: 'NetworkPolicy',
  metadata: { namespace: NS, name },
  spec: { podSelector: {}, policyTypes: ['Egress'], egress },
});
const facts = (policies: NetworkPolicy[]): ClusterFacts => ({
  namespaces: [{ metadata: { name: NS } }],
  pods: [pod('api-0', { app: 'api' }), pod('vectors-0', { app: 'vectors' }), pod('intruder', { app: 'intruder' })],
  workloads: [],
  networkPolicies: policies,
});
const vectorsMessage = (policies: NetworkPolicy[]): string | undefined => exposureMessages(facts(policies), NS, spec, desired).find((m) => m.startsWith('vectors: '));

describe('exposureMessages', () => {
  it('reports a policy that opens only IPv6 space', () => {
    const message = vectorsMessage([egressPolicy('to-v6', [{ to: [{ ipBlock: { cidr: '::/0' } }] }])]);
    expect(message).toBe(`vectors: ${NS}/vectors-0[Pod] can reach ${V6_WORLD} on All Connections (via ${NS}/to-v6)`);
  });

  it('names the IPv4 world and in-cluster peers before the IPv6 world', () => {
    const allowAll = [egressPolicy('allow-all-egress', [{}])];
    const via = `on All Connections (via ${NS}/allow-all-egress)`;
    expect(vectorsMessage(allowAll)).toBe(
      `vectors: ${NS}/vectors-0[Pod] can reach 0.0.0.0-255.255.255.255[External] ${via}; ${NS}/vectors-0[Pod] can reach ${NS}/intruder[Pod] ${via}; ${NS}/vectors-0[Pod] can reach ${V6_WORLD} ${via}`,
    );
    // One more bystander: the message names at most three, and the IPv6 world is the one left out.
    const crowded = facts(allowAll);
    const message = exposureMessages({ ...crowded, pods: [...crowded.pods, pod('intruder-2', { app: 'intruder-2' })] }, NS, spec, desired).find((m) => m.startsWith('vectors: '));
    expect(message).toMatch(new RegExp(`^vectors: ${NS}/vectors-0\\[Pod\\] can reach 0\\.0\\.0\\.0-255\\.255\\.255\\.255\\[External\\] `));
    expect(message).toContain(`${NS}/intruder-2[Pod]`);
    expect(message).toMatch(/ and 1 more$/);
    expect(message).not.toContain(V6_WORLD);
  });

  it('reports nothing with only the generated policies', () => {
    expect(exposureMessages(facts([]), NS, spec, desired)).toEqual([]);
  });
});

describe('wouldBlock', () => {
  it('lists connections to the IPv6 world the desired policies would cut, after the IPv4 ones', () => {
    const lines = wouldBlock(facts([]), NS, desired);
    const v4 = lines.findIndex((l) => l.includes('0.0.0.0-255.255.255.255[External]'));
    const v6 = lines.findIndex((l) => l.includes(V6_WORLD));
    expect(v4).toBeGreaterThanOrEqual(0);
    expect(v6).toBeGreaterThan(v4);
    expect(lines).toContain(`${NS}/vectors-0[Pod] => ${V6_WORLD} : All Connections`);
  });
});

describe('exposure through the workload\'s own overlapping segments', () => {
  const overlapping = specOf({
    components: [
      { name: 'data', role: 'Dataset', selector: { matchLabels: { app: 'minio' } }, ports: [{ name: 's3', port: 9000 }] },
      { name: 'ingest', role: 'Pipeline', selector: { matchLabels: { job: 'ingest' } } },
    ],
    egress: [{ from: 'ingest', to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, ports: [443] }],
  });
  const ours = compile({ name: 'w', namespace: NS, spec: overlapping }, { platform: DEFAULT_PLATFORM, workloads: new Map() }).objects;
  const world = (pods: Pod[]): ClusterFacts => ({ namespaces: [{ metadata: { name: NS } }], pods, workloads: [], networkPolicies: [] });

  it('reports the data store that also carries the pipeline\'s labels, via the pipeline\'s policy', () => {
    const messages = exposureMessages(world([pod('minio-0', { app: 'minio', job: 'ingest' })]), NS, overlapping, ours);
    const data = messages.find((m) => m.startsWith('data: '));
    expect(data).toContain(`${NS}/minio-0[Pod] can reach`);
    expect(data).toContain('TCP 443');
    expect(data).toContain(`via ${NS}/w-ingest`);
  });

  it('reports nothing while the segments share no pod', () => {
    expect(exposureMessages(world([pod('minio-0', { app: 'minio' }), pod('ingest-0', { job: 'ingest' })]), NS, overlapping, ours)).toEqual([]);
  });
});

describe('mayBeExposed (the exposure loop skips the analysis when it is false)', () => {
  const ns = (policies: NetworkPolicy[]): NamespaceFacts => ({ pods: facts(policies).pods, networkPolicies: policies });
  const narrow = (name: string, app: string): NetworkPolicy => ({
    kind: 'NetworkPolicy',
    metadata: { namespace: NS, name },
    spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] },
  });
  const cases: [string, NetworkPolicy[], boolean][] = [
    ['only our own policies', [], false],
    ['an allow-all on a pod of no segment', [narrow('open-intruder', 'intruder')], false],
    ['an allow-all on a segment pod', [narrow('open-vectors', 'vectors')], true],
    ['an allow-all on the whole namespace', [egressPolicy('allow-all-egress', [{}])], true],
  ];
  it.each(cases)('%s: %s', (_what, policies, expected) => {
    expect(mayBeExposed(ns(policies), spec, desired)).toBe(expected);
    // Whenever it says no, the full analysis agrees that nothing is exposed.
    if (!expected) expect(exposureMessages(facts(policies), NS, spec, desired)).toEqual([]);
    else expect(exposureMessages(facts(policies), NS, spec, desired)).not.toEqual([]);
  });

  it('is true for a pod in two segments', () => {
    const both = { pods: [pod('shared', { app: 'api', tier: 'edge' }), pod('vectors-0', { app: 'vectors' })], networkPolicies: [] };
    // Not provably overlapping (so valid), but the pod `shared` carries both selectors' labels.
    const overlapping = specOf({ components: [...spec.components, { name: 'edge', role: 'Gateway', selector: { matchLabels: { tier: 'edge' } } }] });
    expect(mayBeExposed(both, overlapping, desired)).toBe(true);
    expect(mayBeExposed(both, spec, desired)).toBe(false);
  });
});
