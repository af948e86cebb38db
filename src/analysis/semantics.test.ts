// Table tests of NetworkPolicy v1 semantics on small worlds, and the property that the class-based
// evaluator and the naive pod-by-pod evaluator agree on random worlds.
import fc from 'fast-check';
import { analyze, analyzeClasses } from './analyze.js';
import { formatConnlist } from './connectivity.js';
import { atomPartition, formatIpInterval, cidrInterval, subtractIpIntervals, type IpInterval } from './ip.js';
import { runs } from '../../e2e/harness/seed.js';
import { analyzeNaive } from './naive.js';
import { selectorMatches } from './selectors.js';
import type { Labels, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, Pod } from '../api/kubernetes.js';
import type { AnalysisOptions, ClusterFacts } from './types.js';

/** `ip` is status.podIP; `ips` is status.podIPs (and podIP its first). */
function pod(ns: string, name: string, labels: Labels, extra: { ports?: { name: string; containerPort: number; protocol?: string }[]; ip?: string; ips?: string[]; hostNetwork?: boolean } = {}): Pod {
  return {
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ ports: extra.ports ?? [] }], ...(extra.hostNetwork ? { hostNetwork: true } : {}) },
    ...(extra.ip ? { status: { podIP: extra.ip } } : {}),
    ...(extra.ips ? { status: { podIP: extra.ips[0], podIPs: extra.ips.map((ip) => ({ ip })) } } : {}),
  };
}

function policy(ns: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

function world(pods: Pod[], policies: NetworkPolicy[], nsLabels: Record<string, Labels> = {}): ClusterFacts {
  return {
    namespaces: Object.entries(nsLabels).map(([name, labels]) => ({ kind: 'Namespace', metadata: { name, labels } })),
    pods,
    workloads: [],
    networkPolicies: policies,
  };
}

/** The allowed connections between two peers, as text ('' when none). */
function conn(facts: ClusterFacts, src: string, dst: string, opts?: Partial<AnalysisOptions>): string {
  const line = formatConnlist(analyze(facts, opts)).find((l) => l.startsWith(`${src} => ${dst} : `));
  return line === undefined ? '' : line.slice(`${src} => ${dst} : `.length);
}

const ALL = 'All Connections';
const a = pod('ns1', 'a', { app: 'a' }, { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
const b = pod('ns1', 'b', { app: 'b', tier: 'web' });
const c = pod('ns2', 'c', { app: 'c' });
const denyIngressA = (ingress: NetworkPolicyIngressRule[]): NetworkPolicy => policy('ns1', 'p', { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Ingress'], ingress });

describe('NetworkPolicy semantics', () => {
  it('without policies everything is allowed, in both directions and to the outside', () => {
    const f = world([a, b], []);
    expect(conn(f, 'ns1/a[Pod]', 'ns1/b[Pod]')).toBe(ALL);
    expect(conn(f, '0.0.0.0-255.255.255.255[External]', 'ns1/a[Pod]')).toBe(ALL);
    expect(conn(f, 'ns1/a[Pod]', '0.0.0.0-255.255.255.255[External]')).toBe(ALL);
  });

  it('an empty ingress list isolates; an empty rule allows everything', () => {
    expect(conn(world([a, b], [denyIngressA([])]), 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('');
    expect(conn(world([a, b], [denyIngressA([{}])]), 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe(ALL);
    expect(conn(world([a, b], [denyIngressA([{ from: [] }])]), '0.0.0.0-255.255.255.255[External]', 'ns1/a[Pod]')).toBe(ALL);
  });

  it('policyTypes: Ingress is inferred always, Egress only when egress rules exist', () => {
    const egressOnlyRules = policy('ns1', 'p', { podSelector: { matchLabels: { app: 'b' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'a' } } }] }] });
    const f = world([a, b, c], [egressOnlyRules]);
    expect(conn(f, 'ns1/b[Pod]', 'ns2/c[Pod]')).toBe(''); // egress inferred and restricted
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe(ALL);
    expect(conn(f, 'ns1/a[Pod]', 'ns1/b[Pod]')).toBe(''); // ingress inferred: no ingress rules, so denied
    const explicitEgress = policy('ns1', 'p', { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Egress'] });
    const g = world([a, b], [explicitEgress]);
    expect(conn(g, 'ns1/a[Pod]', 'ns1/b[Pod]')).toBe(ALL); // ingress not affected
    expect(conn(g, 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('');
  });

  it('a connection needs both the egress of the source and the ingress of the destination', () => {
    const egress = policy('ns1', 'e', { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }, { port: 81 }] }] });
    const ingress = denyIngressA([{ ports: [{ port: 81, endPort: 90 }] }]);
    expect(conn(world([a, b], [egress, ingress]), 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('TCP 81');
  });

  it('podSelector alone means the policy namespace; namespaceSelector+podSelector in one peer is AND, in two peers OR', () => {
    const c2 = pod('ns2', 'c2', { app: 'b' });
    const nsl = { ns2: { team: 'x' } };
    const podOnly = denyIngressA([{ from: [{ podSelector: { matchLabels: { app: 'b' } } }] }]);
    let f = world([a, b, c, c2], [podOnly], nsl);
    expect([conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns1/a[Pod]')]).toEqual([ALL, '']);
    const and = denyIngressA([{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } }, podSelector: { matchLabels: { app: 'b' } } }] }]);
    f = world([a, b, c, c2], [and], nsl);
    expect([conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]'), conn(f, 'ns2/c[Pod]', 'ns1/a[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns1/a[Pod]')]).toEqual(['', '', ALL]);
    const or = denyIngressA([{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }, { podSelector: { matchLabels: { app: 'b' } } }] }]);
    f = world([a, b, c, c2], [or], nsl);
    expect([conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]'), conn(f, 'ns2/c[Pod]', 'ns1/a[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns1/a[Pod]')]).toEqual([ALL, ALL, ALL]);
    const anyNs = denyIngressA([{ from: [{ namespaceSelector: {} }] }]);
    f = world([a, b, c], [anyNs]);
    expect([conn(f, 'ns2/c[Pod]', 'ns1/a[Pod]'), conn(f, '0.0.0.0-255.255.255.255[External]', 'ns1/a[Pod]')]).toEqual([ALL, '']);
  });

  it('the same peer in policies of two namespaces: without namespaceSelector each admits its own namespace, with one the same pods', () => {
    // The rule matches are cached by the peer's content; the policy's namespace is part of what a
    // peer without namespaceSelector means.
    const inNs = (ns: string, name: string): Pod => pod(ns, name, { app: 'caller' });
    const server = (ns: string): Pod => pod(ns, `srv-${ns}`, { app: 'srv' });
    const allow = (ns: string, peer: NetworkPolicyIngressRule['from']): NetworkPolicy => policy(ns, 'allow', { podSelector: { matchLabels: { app: 'srv' } }, ingress: [{ from: peer ?? [] }] });
    const pods = [inNs('ns1', 'c1'), inNs('ns2', 'c2'), server('ns1'), server('ns2')];
    const caller = [{ podSelector: { matchLabels: { app: 'caller' } } }];
    let f = world(pods, [allow('ns1', caller), allow('ns2', caller)]);
    expect([conn(f, 'ns1/c1[Pod]', 'ns1/srv-ns1[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns1/srv-ns1[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns2/srv-ns2[Pod]'), conn(f, 'ns1/c1[Pod]', 'ns2/srv-ns2[Pod]')]).toEqual([ALL, '', ALL, '']);
    const anywhere = [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'caller' } } }];
    f = world(pods, [allow('ns1', anywhere), allow('ns2', anywhere)]);
    expect([conn(f, 'ns2/c2[Pod]', 'ns1/srv-ns1[Pod]'), conn(f, 'ns1/c1[Pod]', 'ns2/srv-ns2[Pod]')]).toEqual([ALL, ALL]);
    // An absent podSelector and an empty one both select every pod of the namespaces.
    f = world(pods, [allow('ns1', [{ podSelector: {} }]), allow('ns2', [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ns1' } } }])]);
    expect([conn(f, 'ns1/c1[Pod]', 'ns1/srv-ns1[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns1/srv-ns1[Pod]'), conn(f, 'ns1/c1[Pod]', 'ns2/srv-ns2[Pod]'), conn(f, 'ns2/c2[Pod]', 'ns2/srv-ns2[Pod]')]).toEqual([ALL, '', ALL, '']);
  });

  it('namespaces are matched by kubernetes.io/metadata.name even when not declared', () => {
    const p = denyIngressA([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ns2' } } }] }]);
    expect(conn(world([a, b, c], [p]), 'ns2/c[Pod]', 'ns1/a[Pod]')).toBe(ALL);
  });

  it('named ports resolve against the destination pod, by name and protocol', () => {
    const p = denyIngressA([{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 'dns' }, { port: 'missing' }] }]);
    expect(conn(world([a, b], [p]), 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('TCP 8080,UDP 53');
    const egress = policy('ns1', 'e', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] });
    const f = world([a, b], [egress]);
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('TCP 8080');
    expect(conn(f, 'ns1/a[Pod]', 'ns1/b[Pod]')).toBe(''); // b has no port named http
    expect(conn(f, 'ns1/a[Pod]', '0.0.0.0-255.255.255.255[External]')).toBe(''); // a name never resolves outside
  });

  it('port without number means the whole protocol; endPort makes a range', () => {
    const p = denyIngressA([{ ports: [{ protocol: 'SCTP' }, { port: 1000, endPort: 1010, protocol: 'UDP' }] }]);
    expect(conn(world([a, b], [p]), 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('SCTP 1-65535,UDP 1000-1010');
  });

  it('ipBlock with except partitions the outside world; except is carved out', () => {
    const p = denyIngressA([{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }]);
    const f = world([a, b], [p]);
    expect(conn(f, '10.0.0.0-10.0.255.255[External]', 'ns1/a[Pod]')).toBe(ALL);
    expect(conn(f, '10.2.0.0-10.255.255.255[External]', 'ns1/a[Pod]')).toBe(ALL);
    expect(conn(f, '10.1.0.0-10.1.255.255[External]', 'ns1/a[Pod]')).toBe('');
    expect(conn(f, '0.0.0.0-9.255.255.255[External]', 'ns1/a[Pod]')).toBe('');
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('');
  });

  it('switch ipBlockMatchesPods: an ipBlock also admits pods whose IP is inside it', () => {
    const withIp = pod('ns1', 'b', { app: 'b' }, { ip: '10.3.0.7' });
    const p = denyIngressA([{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }]);
    const f = world([a, withIp], [p]);
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]')).toBe('');
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]', { ipBlockMatchesPods: true })).toBe(ALL);
  });

  it('switch hostNetworkPodsAreOrdinary: when off, hostNetwork pods are neither isolated nor selected', () => {
    const h = pod('ns1', 'h', { app: 'a' }, { hostNetwork: true });
    const p = denyIngressA([{ from: [{ podSelector: { matchLabels: { app: 'b' } } }] }]);
    const hostSrc = pod('ns1', 'hb', { app: 'b' }, { hostNetwork: true });
    const f = world([h, b, hostSrc], [p]);
    expect([conn(f, 'ns1/b[Pod]', 'ns1/h[Pod]'), conn(f, 'ns1/hb[Pod]', 'ns1/h[Pod]')]).toEqual([ALL, ALL]);
    const off = { hostNetworkPodsAreOrdinary: false };
    expect(conn(f, '0.0.0.0-255.255.255.255[External]', 'ns1/h[Pod]', off)).toBe(ALL);
    expect(conn(f, '0.0.0.0-255.255.255.255[External]', 'ns1/h[Pod]')).toBe('');
  });

  it('switch ipBlockMatchesPods reads the IPv4 address of an IPv6-primary dual-stack pod', () => {
    const v6First = pod('ns1', 'b', { app: 'b' }, { ips: ['fd00::7', '10.3.0.7'] });
    const p = denyIngressA([{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }]);
    expect(conn(world([a, v6First], [p]), 'ns1/b[Pod]', 'ns1/a[Pod]', { ipBlockMatchesPods: true })).toBe(ALL);
  });

  it('match expressions: In, NotIn, Exists, DoesNotExist', () => {
    const l = { app: 'x', tier: 'web' };
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['x', 'y'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['x'] }] }, l)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, l)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, l)).toBe(false);
    expect(selectorMatches({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, l)).toBe(false);
    expect(selectorMatches({}, l)).toBe(true);
  });

  it('workload controllers stand for their pods; pods print as their controlling owner', () => {
    const facts: ClusterFacts = {
      namespaces: [],
      pods: [
        { metadata: { name: 'web-1', namespace: 'ns1', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', controller: true }] } },
        { metadata: { name: 'web-2', namespace: 'ns1', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', controller: true }] } },
      ],
      workloads: [{ kind: 'CronJob', metadata: { name: 'nightly', namespace: 'ns1' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'job' } } } } } } }],
      networkPolicies: [policy('ns1', 'only-job', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'job' } } }] }] })],
    };
    const lines = formatConnlist(analyze(facts)).filter((x) => !x.includes('External'));
    expect(lines).toEqual(['ns1/nightly[CronJob] => ns1/web-abc[ReplicaSet] : All Connections', 'ns1/web-abc[ReplicaSet] => ns1/nightly[CronJob] : All Connections']);
  });

  it('rejects policies the API server would reject, naming the policy', () => {
    expect(() => analyze(world([a], [denyIngressA([{ ports: [{ port: 80, endPort: 70 }] }])]))).toThrow(/NetworkPolicy ns1\/p.*endPort/);
    expect(() => analyze(world([a], [denyIngressA([{ from: [{ podSelector: { matchExpressions: [{ key: 'x', operator: 'Has' }] } }] }])]))).toThrow(/unknown matchExpressions operator/);
  });

  it('an ipBlock repeated across policies: one address set, and an invalid one names each policy', () => {
    const from = (cidr: string, except: string[] = []): NetworkPolicyIngressRule[] => [{ from: [{ ipBlock: { cidr, except } }] }];
    const [p1, p2] = [policy('ns1', 'p1', { podSelector: {}, ingress: from('10.0.0.0/8', ['10.1.0.0/16']) }), policy('ns2', 'p2', { podSelector: {}, ingress: from('10.0.0.0/8', ['10.1.0.0/16']) })];
    const model = analyzeClasses(world([a, c], [p1, p2])).model;
    const [c1, c2] = model.policies.map((p) => p.ingress?.[0]?.peers[0]);
    expect(c1?.kind === 'ipBlock' && c2?.kind === 'ipBlock' && c1.ranges === c2.ranges).toBe(true);
    expect(model.sourceExternals.map((k) => formatIpInterval(model.externals[k] as IpInterval))).toEqual(['0.0.0.0-9.255.255.255', '10.0.0.0-10.0.255.255', '10.1.0.0-10.1.255.255', '10.2.0.0-10.255.255.255', '11.0.0.0-255.255.255.255']);
    const bad = (name: string): NetworkPolicy => policy('ns1', name, { podSelector: {}, ingress: from('10.0.0.0/33') });
    expect(() => analyze(world([a], [bad('first')]))).toThrow(/NetworkPolicy ns1\/first/);
    expect(() => analyze(world([a], [p1, bad('second')]))).toThrow(/NetworkPolicy ns1\/second/);
  });

  it('the external partition merges pieces that belong to the same ipBlocks', () => {
    const block = (cidr: string, except: string[]): IpInterval[] => subtractIpIntervals([cidrInterval(cidr)], except.map(cidrInterval));
    expect(atomPartition([block('0.0.0.0/0', ['10.0.0.0/8'])]).map(formatIpInterval)).toEqual(['0.0.0.0-9.255.255.255', '10.0.0.0-10.255.255.255', '11.0.0.0-255.255.255.255']);
  });

  it('groups pods into equivalence classes by namespace, labels and named ports', () => {
    const pods = Array.from({ length: 50 }, (_, i) => pod(`ns${i % 2}`, `p${i}`, { app: `a${i % 5}` }));
    expect(analyzeClasses(world(pods, [])).classes.length).toBe(10);
  });
});

describe('dual stack (ipFamilies: Dual)', () => {
  const DUAL: Partial<AnalysisOptions> = { ipFamilies: 'Dual' };
  const V4_WORLD = '0.0.0.0-255.255.255.255[External]';
  const V6_WORLD = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]';
  const egressA = (to: NetworkPolicyEgressRule['to']): NetworkPolicy => policy('ns1', 'out', { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to }] });
  const externals = (facts: ClusterFacts, opts: Partial<AnalysisOptions>): string[] => formatConnlist(analyze(facts, opts)).filter((l) => l.includes('[External]'));

  it('without policies the outside world is IPv4 space and IPv6 space, two peers', () => {
    // IPv6 ranges sort after every other peer, so the line from the IPv6 world comes last.
    expect(externals(world([a], []), DUAL)).toEqual([`${V4_WORLD} => ns1/a[Pod] : ${ALL}`, `ns1/a[Pod] => ${V4_WORLD} : ${ALL}`, `ns1/a[Pod] => ${V6_WORLD} : ${ALL}`, `${V6_WORLD} => ns1/a[Pod] : ${ALL}`]);
    expect(externals(world([a], []), {})).toEqual([`${V4_WORLD} => ns1/a[Pod] : ${ALL}`, `ns1/a[Pod] => ${V4_WORLD} : ${ALL}`]);
  });

  it('an ipBlock ::/0 allows egress to the IPv6 world in Dual; IPv4 mode ignores it', () => {
    const f = world([a, b], [egressA([{ ipBlock: { cidr: '::/0' } }])]);
    expect(conn(f, 'ns1/a[Pod]', V6_WORLD, DUAL)).toBe(ALL);
    expect(conn(f, 'ns1/a[Pod]', V4_WORLD, DUAL)).toBe('');
    expect(externals(f, {}).filter((l) => l.startsWith('ns1/a[Pod]'))).toEqual([]);
    expect(formatConnlist(analyze(f, {})).join('\n')).not.toContain(':ffff');
  });

  it('an except inside an IPv6 cidr splits its range', () => {
    const f = world([a], [egressA([{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }])]);
    expect(externals(f, DUAL).filter((l) => l.startsWith('ns1/a[Pod]'))).toEqual([
      `ns1/a[Pod] => 2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff[External] : ${ALL}`,
      `ns1/a[Pod] => 2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External] : ${ALL}`,
    ]);
    // The cut pieces are destinations too: what the except carved out, and the rest of IPv6 space.
    const { model } = analyze(f, DUAL);
    expect(model.destinationExternals.map((k) => model.peers[model.firstExternal + k]?.id)).toEqual([
      '0.0.0.0-255.255.255.255[External]',
      '::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External]',
      '2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff[External]',
      '2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff[External]',
      '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External]',
      '2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]',
    ]);
  });

  it('an IPv6 except in an IPv4 cidr, or the reverse, removes nothing', () => {
    const f = world([a], [egressA([{ ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/8'] } }, { ipBlock: { cidr: 'fd00::/8', except: ['10.1.0.0/16'] } }])]);
    expect(externals(f, DUAL).filter((l) => l.startsWith('ns1/a[Pod]'))).toEqual([
      `ns1/a[Pod] => 10.0.0.0-10.255.255.255[External] : ${ALL}`,
      `ns1/a[Pod] => fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : ${ALL}`,
    ]);
  });

  it('with ipBlockMatchesPods an ipBlock admits a pod by its IPv6 address, only in Dual', () => {
    const client = pod('ns1', 'b', { app: 'b' }, { ips: ['10.3.0.7', 'fd00:1::7'] });
    const p = denyIngressA([{ from: [{ ipBlock: { cidr: 'fd00:1::/64' } }] }]);
    const f = world([a, client], [p]);
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]', { ...DUAL, ipBlockMatchesPods: true })).toBe(ALL);
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]', { ipBlockMatchesPods: true })).toBe('');
    expect(conn(f, 'ns1/b[Pod]', 'ns1/a[Pod]', DUAL)).toBe('');
    // An IPv6-only pod, as the primary podIP.
    const v6only = pod('ns1', 'c', { app: 'c' }, { ip: 'fd00:1::9' });
    expect(conn(world([a, v6only], [p]), 'ns1/c[Pod]', 'ns1/a[Pod]', { ...DUAL, ipBlockMatchesPods: true })).toBe(ALL);
  });

  it('prints IPv6 ranges after every other peer, in address order', () => {
    const f = world([a], [egressA([{ ipBlock: { cidr: 'fd00::/8' } }, { ipBlock: { cidr: '2001:db8::/32' } }, { ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: '3.0.0.0/8' } }])]);
    const dsts = formatConnlist(analyze(f, DUAL)).filter((l) => l.startsWith('ns1/a[Pod] =>')).map((l) => l.split(' ')[2]);
    expect(dsts).toEqual([
      '10.0.0.0-10.255.255.255[External]',
      '3.0.0.0-3.255.255.255[External]',
      '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External]',
      'fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]',
    ]);
  });

  it('rejects a malformed IPv6 cidr like a malformed IPv4 one, naming the policy', () => {
    expect(() => analyze(world([a], [egressA([{ ipBlock: { cidr: 'fd00::zz/8' } }])]))).toThrow(/NetworkPolicy ns1\/out.*invalid CIDR "fd00::zz\/8"/);
  });
});

// --- property: class-based == naive on random worlds -------------------------------------------

const LABEL_KEYS = ['app', 'tier', 'env'];
const LABEL_VALUES = ['a', 'b', 'c'];
const arbLabels = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 3 });
const arbSelector = fc.record(
  {
    matchLabels: fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 2 }),
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({ key: fc.constantFrom(...LABEL_KEYS), operator: fc.constantFrom('In', 'NotIn'), values: fc.uniqueArray(fc.constantFrom(...LABEL_VALUES), { minLength: 1, maxLength: 2 }) }),
        fc.record({ key: fc.constantFrom(...LABEL_KEYS), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);
const NSS = ['n1', 'n2', 'n3'];
const arbPort = fc.oneof(
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'), port: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP'), port: fc.integer({ min: 1, max: 3 }), endPort: fc.integer({ min: 3, max: 9 }) }),
  fc.record({ port: fc.constantFrom('http', 'dns') }),
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP') }),
);
const arbPeer = fc.oneof(
  fc.record({ podSelector: arbSelector }),
  fc.record({ namespaceSelector: arbSelector }),
  fc.record({ podSelector: arbSelector, namespaceSelector: arbSelector }),
  fc.record({
    ipBlock: fc.record({
      cidr: fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '0.0.0.0/0', '::/0', 'fd00::/8', 'fd00:1::/32'),
      except: fc.constantFrom([], ['10.1.2.0/24'], ['10.0.0.0/16'], ['fd00:1::/48'], ['fd00:1:2::/48', '10.1.2.0/24']),
    }),
  }),
);
const arbRule = fc.record({ peers: fc.option(fc.array(arbPeer, { maxLength: 3 }), { nil: undefined }), ports: fc.option(fc.array(arbPort, { maxLength: 3 }), { nil: undefined }) });
const arbPolicy = fc.record({
  ns: fc.constantFrom(...NSS),
  podSelector: arbSelector,
  types: fc.constantFrom(undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.option(fc.array(arbRule, { maxLength: 3 }), { nil: undefined }),
  egress: fc.option(fc.array(arbRule, { maxLength: 3 }), { nil: undefined }),
});
const arbPod = fc.record({
  ns: fc.constantFrom(...NSS),
  owner: fc.option(fc.constantFrom('rs1', 'rs2', 'rs3'), { nil: undefined }),
  labels: arbLabels,
  http: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  // status.podIPs, the first being podIP: single-stack of either family, or dual-stack either way round.
  ips: fc.constantFrom(undefined, ['10.1.2.3'], ['10.0.0.9'], ['192.168.0.1'], ['fd00:1:2::9'], ['10.1.2.3', 'fd00:1::5'], ['fd00:1:2::9', '10.0.0.9']),
  hostNetwork: fc.boolean(),
});

export const arbWorld = fc
  .record({
    pods: fc.array(arbPod, { minLength: 1, maxLength: 12 }),
    policies: fc.array(arbPolicy, { maxLength: 5 }),
    nsLabels: fc.record({ n1: arbLabels, n2: arbLabels, n3: arbLabels }),
  })
  .map(({ pods, policies, nsLabels }): ClusterFacts => ({
    namespaces: Object.entries(nsLabels).map(([name, labels]) => ({ metadata: { name, labels } })),
    pods: pods.map((p, i) => ({
      metadata: { name: `p${i}`, namespace: p.ns, labels: p.labels, ...(p.owner ? { ownerReferences: [{ kind: 'ReplicaSet', name: p.owner, controller: true }] } : {}) },
      spec: { containers: [{ ports: p.http === undefined ? [] : [{ name: 'http', containerPort: p.http }] }], hostNetwork: p.hostNetwork },
      ...(p.ips ? { status: { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) } } : {}),
    })),
    workloads: [],
    networkPolicies: policies.map((p, i) =>
      policy(p.ns, `np${i}`, {
        podSelector: p.podSelector,
        ...(p.types ? { policyTypes: p.types } : {}),
        ...(p.ingress ? { ingress: p.ingress.map((r): NetworkPolicyIngressRule => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })) } : {}),
        ...(p.egress ? { egress: p.egress.map((r): NetworkPolicyEgressRule => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })) } : {}),
      }),
    ),
  }));

describe('class-based evaluator', () => {
  it.each<[string, Partial<AnalysisOptions>]>([
    ['oracle defaults', {}],
    ['ipBlockMatchesPods', { ipBlockMatchesPods: true }],
    ['hostNetwork pods not ordinary', { hostNetworkPodsAreOrdinary: false }],
    ['dual stack', { ipFamilies: 'Dual' }],
    ['dual stack, ipBlockMatchesPods', { ipFamilies: 'Dual', ipBlockMatchesPods: true }],
  ])('gives the same result as the naive evaluator on random worlds (%s)', (_name, opts: Partial<AnalysisOptions>) => {
    fc.assert(
      fc.property(arbWorld, (facts) => {
        expect(formatConnlist(analyze(facts, opts))).toEqual(formatConnlist(analyzeNaive(facts, opts)));
      }),
      { numRuns: runs(300) },
    );
  });
});
