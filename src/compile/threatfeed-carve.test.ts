// The networks of the threat feeds that cover a workload are carved out of every CIDR peer, both
// families and both directions, merged and only where the allowed range contains them; a range
// wholly inside a blocked network gets no rule; selector peers are untouched.
import type { Cidr } from '../api/cidr.js';
import { parseCidr } from '../api/cidr.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import { BlockedSet } from '../threatfeed/merge.js';
import { compile } from './compile.js';
import { type CompileFacts, DEFAULT_PLATFORM } from './facts.js';
import type { NetworkPolicy, NetworkPolicyPeer } from './objects.js';

function spec(raw: unknown): AIWorkloadSpec {
  const r = validateSpec(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const cidrs = (texts: string[]): Cidr[] => texts.map((t) => parseCidr(t) as Cidr);

const facts = (blocked?: string[]): CompileFacts => ({
  platform: { ...DEFAULT_PLATFORM, metadataAddresses: ['169.254.169.254/32'] },
  workloads: new Map(),
  ...(blocked === undefined ? {} : { threatFeeds: { names: ['drop'], blocked: new BlockedSet(cidrs(blocked)) } }),
});

const SPEC = spec({
  components: [
    { name: 'gw', selector: { matchLabels: { app: 'gw' } }, ports: [{ name: 'https', port: 443 }] },
    { name: 'job', selector: { matchLabels: { app: 'job' } } },
  ],
  ingress: [
    { to: 'gw', from: { cidr: '0.0.0.0/0' }, ports: ['https'] },
    { to: 'gw', from: { namespace: 'ingress' }, ports: ['https'] },
  ],
  egress: [
    { from: 'job', to: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, ports: [443] },
    { from: 'job', to: { cidr: '::/0' }, ports: [443] },
    { from: 'job', to: { cidr: '192.0.2.0/28' }, ports: [443] },
    { from: 'job', to: { cidr: '172.16.0.0/12' }, ports: [443] },
    { from: 'job', to: { pods: { matchLabels: { app: 'gw' } } }, ports: [443] },
  ],
});

function policies(blocked?: string[]): { gw: NetworkPolicy; job: NetworkPolicy; components: ReturnType<typeof compile>['components'] } {
  const result = compile({ name: 'w', namespace: 'ns', spec: SPEC }, facts(blocked));
  const np = (c: string): NetworkPolicy => result.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith(c)) as NetworkPolicy;
  return { gw: np('gw'), job: np('job'), components: result.components };
}

const egressPeers = (np: NetworkPolicy): NetworkPolicyPeer[] => np.spec.egress.flatMap((r) => r.to);
const ingressPeers = (np: NetworkPolicy): NetworkPolicyPeer[] => np.spec.ingress.flatMap((r) => r.from);
const block = (peers: NetworkPolicyPeer[], cidr: string): NetworkPolicyPeer['ipBlock'] => peers.find((p) => p.ipBlock?.cidr === cidr)?.ipBlock;

const FEED = ['198.51.100.0/25', '198.51.100.128/25', '203.0.113.7/32', '10.1.0.0/16', '2001:db8::/32', '192.0.2.0/24'];

test('without a feed the policies are what they were', () => {
  const { job } = policies();
  expect(block(egressPeers(job), '0.0.0.0/0')).toEqual({ cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] });
  expect(block(egressPeers(job), '::/0')).toEqual({ cidr: '::/0' });
});

test('IPv4 and IPv6 egress: the merged networks inside each range join its except list, after the declared and metadata ones', () => {
  const { job } = policies(FEED);
  // 198.51.100.0/25 and /25 are adjacent: one /24. 10.1.0.0/16 lies inside 0.0.0.0/0 as well, and
  // is kept even though the declared 10.0.0.0/8 covers it (the except list only grows).
  expect(block(egressPeers(job), '0.0.0.0/0')?.except).toEqual(['10.0.0.0/8', '169.254.169.254/32', '10.1.0.0/16', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.7/32']);
  expect(block(egressPeers(job), '::/0')?.except).toEqual(['2001:db8::/32']);
  // A range with no listed network inside it is unchanged.
  expect(block(egressPeers(job), '172.16.0.0/12')).toEqual({ cidr: '172.16.0.0/12' });
});

test('CIDR ingress: listed sources cannot reach the gateway; selector peers are untouched', () => {
  const { gw } = policies(FEED);
  expect(block(ingressPeers(gw), '0.0.0.0/0')?.except).toEqual(['10.1.0.0/16', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.7/32']);
  expect(ingressPeers(gw).filter((p) => p.ipBlock === undefined)).toEqual(policies().gw.spec.ingress.flatMap((r) => r.from).filter((p) => p.ipBlock === undefined));
  const { job } = policies(FEED);
  expect(egressPeers(job).filter((p) => p.ipBlock === undefined)).toEqual(egressPeers(policies().job).filter((p) => p.ipBlock === undefined));
});

test('a range wholly inside a blocked network gets no rule, reported with the feed and the network', () => {
  const { job, components } = policies(FEED);
  expect(block(egressPeers(job), '192.0.2.0/28')).toBeUndefined();
  const report = components.find((c) => c.name === 'job');
  expect(report?.unresolvedPeers).toEqual([
    { kind: 'unresolved', peer: 'cidr/192.0.2.0/28', message: '192.0.2.0/28 lies within 192.0.2.0/24, blocked by ThreatFeed drop; no rule is generated' },
  ]);
});

test('a range that listed networks fill together is wholly blocked too', () => {
  const { job } = policies(['192.0.2.0/29', '192.0.2.8/29']);
  expect(block(egressPeers(job), '192.0.2.0/28')).toBeUndefined();
});
