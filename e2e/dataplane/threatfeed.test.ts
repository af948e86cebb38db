// ThreatFeeds on packets. A feed scoped to this suite's namespace lists an IPv4 /24, an IPv6 /64
// and an IPv6 /128; the AIWorkload opens 443 to everything (0.0.0.0/0 and ::/0 egress) and its
// gateway to everyone (0.0.0.0/0 and ::/0 ingress). Without the feed every listener and source
// connects; once the AIWorkload's status lists the feed's digest, the listed networks are refused
// both ways while their neighbours are not, and a network whose entry leaves the inline list, or
// whose feed is deleted, connects again, both ways. The IPv4 egress is timed on packets, from the
// return of the apply to the first refused (and, after the removal, the first connected) attempt.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Attempt, type Dataplane, type HostRecord, openWindow, probeLoop, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { METADATA_ADDRESSES } from '../../src/api/constants.js';

const PORT = 443;
const LISTED_V4 = '203.0.113.0/24';
const LISTED_V6 = '2001:db8:bad::/64';
const LISTED_V6_HOST = '2001:db8:1::99/128';
/** The feed's lines (Spamhaus DROP text), and the same without its IPv4 entry. */
const ALL_LINES = [`${LISTED_V4} ; SBL1`, `${LISTED_V6} ; SBL2`, `${LISTED_V6_HOST} ; SBL3`];
const WITHOUT_V4 = ALL_LINES.slice(1);
/** What a CIDR egress excepts without any feed: the cloud metadata endpoints of its family. */
const METADATA_V4 = METADATA_ADDRESSES.filter((a) => !a.includes(':'));
const METADATA_V6 = METADATA_ADDRESSES.filter((a) => a.includes(':'));

let dp: Dataplane;
let operator: RunningOperator;
let ns: string;
let feedName: string;
let out: HostRecord;
let gw: HostRecord;
/** In the listed /24 and the listed /64. */
let listed: HostRecord;
/** A listed /128, with an IPv4 address outside the list (an outside host needs one to be routed back). */
let pinned: HostRecord;
/** Outside the list in both families: the /128's neighbour in the same /64, and another /24. */
let clean: HostRecord;

const v4 = (h: HostRecord): string => h.ipv4[0] ?? '';
const v6 = (h: HostRecord): string => h.ipv6[0] ?? '';
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

const threatFeed = (lines: readonly string[]): string => dump({
  apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name: feedName },
  spec: { source: { inline: [...lines] }, format: 'SpamhausDROP', scope: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
});

interface FeedStatus {
  observedGeneration?: number;
  accepted?: number;
  rejected?: number;
  networks?: number;
  digest?: string;
  conditions?: { type: string; status: string }[];
}

const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;

const workloadFeeds = async (): Promise<{ name: string; digest?: string }[]> =>
  (await getJson<{ status?: { threatFeeds?: { name: string; digest?: string }[] } }>(['-n', ns, 'get', 'aiworkload', 'tf'])).status?.threatFeeds ?? [];

/**
 * setFeed applies the feed with `lines` and waits until the operator has read this generation and
 * the AIWorkload's status lists the feed with the digest of that set (its policies are written with
 * it). Returns the status of the feed, and when the apply returned and the status showed it.
 */
async function setFeed(lines: readonly string[]): Promise<{ status: FeedStatus; appliedAt: number; listedAt: number }> {
  await kubectlOk(['apply', '-f', '-'], { input: threatFeed(lines) });
  const appliedAt = Date.now();
  const status = await waitFor(async () => {
    const f = await getJson<{ metadata: { generation: number }; status?: FeedStatus }>(['get', 'threatfeed', feedName]);
    return f.status?.observedGeneration === f.metadata.generation && f.status.digest !== undefined ? f.status : undefined;
  }, { timeoutMs: 30_000, intervalMs: 50, description: `ThreatFeed ${feedName} to be read at its generation` });
  await waitFor(async () => (await workloadFeeds()).some((f) => f.name === feedName && f.digest === status.digest), { timeoutMs: 30_000, intervalMs: 50, description: `AIWorkload ${ns}/tf to list ${feedName} at ${status.digest ?? '?'}` });
  return { status, appliedAt, listedAt: Date.now() };
}

interface IpBlock {
  cidr: string;
  except?: string[];
}

/** The except list of every ipBlock of a policy's egress or ingress, by the block's CIDR, sorted. */
async function excepts(policy: string, direction: 'egress' | 'ingress'): Promise<Record<string, string[]>> {
  const np = await getJson<{ spec: { egress?: { to?: { ipBlock?: IpBlock }[] }[]; ingress?: { from?: { ipBlock?: IpBlock }[] }[] } }>(['-n', ns, 'get', 'networkpolicy', policy]);
  const peers = direction === 'egress' ? (np.spec.egress ?? []).flatMap((r) => r.to ?? []) : (np.spec.ingress ?? []).flatMap((r) => r.from ?? []);
  const out: Record<string, string[]> = {};
  for (const { ipBlock } of peers) if (ipBlock !== undefined) out[ipBlock.cidr] = [...(out[ipBlock.cidr] ?? []), ...(ipBlock.except ?? [])].sort();
  return out;
}

type Reach = [from: string, address: string, open: boolean];

/** New connections to port 443, each `from` host to `address`. */
const reach = async (pairs: readonly (readonly [HostRecord, string])[]): Promise<Reach[]> =>
  Promise.all(pairs.map(async ([from, address]): Promise<Reach> => [from.key, address, (await dp.probe(from.key, address, 'TCP', PORT)).open]));

/**
 * settle probes until the packets show `expected` (the enforcer learns a policy from its watch, a
 * moment after the operator wrote it) or the deadline passes, and returns the last round.
 */
async function settle(expected: readonly Reach[]): Promise<Reach[]> {
  const pairs = expected.map(([from, address]) => [dp.host(from), address] as const);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const seen = await reach(pairs);
    if (JSON.stringify(seen) === JSON.stringify(expected) || Date.now() >= deadline) return seen;
  }
}

/** The first attempt at or after `since` from which on every attempt has the given outcome. */
function settledAt(attempts: readonly Attempt[], since: number, open: boolean): number | undefined {
  const after = attempts.filter((a) => a.at >= since);
  const last = after.findLastIndex((a) => a.open !== open);
  return after[last + 1]?.at;
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('threatfeed-packets');
  feedName = `tf-${ns}`;
  dp = await startDataplane();
  operator = await startOperator();
  await kubectlOk(['apply', '-f', '-'], {
    input: dump({
      apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'tf', namespace: ns },
      spec: {
        components: [
          { name: 'out', role: 'Generic', selector: { matchLabels: { app: 'out' } } },
          { name: 'gw', role: 'Gateway', selector: { matchLabels: { app: 'gw' } }, ports: [{ name: 'https', port: PORT }] },
        ],
        egress: [
          { from: 'out', to: { cidr: '0.0.0.0/0' }, ports: [PORT] },
          { from: 'out', to: { cidr: '::/0' }, ports: [PORT] },
        ],
        ingress: [
          { to: 'gw', from: { cidr: '0.0.0.0/0' }, ports: ['https'] },
          { to: 'gw', from: { cidr: '::/0' }, ports: ['https'] },
        ],
      },
    }),
  });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/tf', '--timeout=60s']);
  out = await dp.addPod({ namespace: ns, name: 'out', labels: { app: 'out' }, serviceAccountName: 'tf-out' });
  gw = await dp.addPod({ namespace: ns, name: 'gw', labels: { app: 'gw' }, ports: [{ name: 'https', port: PORT }], serviceAccountName: 'tf-gw' });
  listed = await dp.addOutside({ name: 'listed', ipv4: ['203.0.113.10'], ipv6: ['2001:db8:bad::10'], ports: [PORT] });
  pinned = await dp.addOutside({ name: 'pinned', ipv4: ['198.51.100.99'], ipv6: ['2001:db8:1::99'], ports: [PORT] });
  clean = await dp.addOutside({ name: 'clean', ipv4: ['198.51.100.10'], ipv6: ['2001:db8:1::98'], ports: [PORT] });
}, 180_000);

afterAll(async () => {
  // Cluster-scoped: it would outlive the namespace.
  if (feedName !== undefined) await kubectl(['delete', 'threatfeed', feedName, '--ignore-not-found']);
  await operator?.stop();
  await dp?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

test('without the feed, every listener and source to be listed connects through the CIDR egress and ingress', async () => {
  const all = [listed, pinned, clean];
  const expected = [
    ...all.flatMap((h): Reach[] => [[out.key, v4(h), true], [out.key, v6(h), true]]),
    ...all.flatMap((h): Reach[] => [[h.key, v4(gw), true], [h.key, v6(gw), true]]),
  ];
  expect(await settle(expected)).toEqual(expected);
  expect(await workloadFeeds()).toEqual([]);
  expect(await excepts('tf-out', 'egress')).toEqual({ '0.0.0.0/0': sorted(METADATA_V4), '::/0': sorted(METADATA_V6) });
  expect(await excepts('tf-gw', 'ingress')).toEqual({ '0.0.0.0/0': [], '::/0': [] });
}, 90_000);

test('IPv4: a listener in a listed network is refused through a 0.0.0.0/0 egress once the feed lists it, and reachable again once its entry leaves the feed (measured)', async () => {
  const loop = probeLoop(dp, { from: out.key, address: v4(listed), port: PORT });
  const listing = await setFeed(ALL_LINES);
  expect(await settle([[out.key, v4(listed), false]])).toEqual([[out.key, v4(listed), false]]);
  const blocked = await loop.stop();
  expect(listing.status).toMatchObject({ accepted: 3, rejected: 0, networks: 3 });
  expect(listing.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(await excepts('tf-out', 'egress')).toEqual({ '0.0.0.0/0': sorted([...METADATA_V4, LISTED_V4]), '::/0': sorted([...METADATA_V6, LISTED_V6, LISTED_V6_HOST]) });
  // Its neighbour, through the same rule, is not listed.
  expect(await reach([[out, v4(listed)], [out, v4(clean)], [out, v4(pinned)]])).toEqual([[out.key, v4(listed), false], [out.key, v4(clean), true], [out.key, v4(pinned), true]]);

  const reopen = probeLoop(dp, { from: out.key, address: v4(listed), port: PORT });
  const unlisting = await setFeed(WITHOUT_V4);
  expect(await settle([[out.key, v4(listed), true]])).toEqual([[out.key, v4(listed), true]]);
  const reopened = await reopen.stop();
  expect(unlisting.status).toMatchObject({ accepted: 2, networks: 2 });
  expect(unlisting.status.digest).not.toBe(listing.status.digest);
  expect(await excepts('tf-out', 'egress')).toEqual({ '0.0.0.0/0': sorted(METADATA_V4), '::/0': sorted([...METADATA_V6, LISTED_V6, LISTED_V6_HOST]) });

  const since = listing.appliedAt - loop.startedAt;
  const refused = settledAt(blocked, since, false);
  const window = openWindow(blocked, since);
  const sinceEdit = unlisting.appliedAt - reopen.startedAt;
  const back = settledAt(reopened, sinceEdit, true);
  process.stderr.write(`[measured] threat feed, IPv4 egress: listed in AIWorkload status ${listing.listedAt - listing.appliedAt} ms after kubectl apply returned, refused on packets from ${refused === undefined ? '?' : refused - since} ms (${window.connected} connections through after the apply, window ${window.windowMs} ms); entry removed: listed in status ${unlisting.listedAt - unlisting.appliedAt} ms and reachable again ${back === undefined ? '?' : back - sinceEdit} ms after the apply\n`);
  expect(refused).toBeDefined();
  expect(back).toBeDefined();
}, 120_000);

test('IPv6: a listed /64 and a listed /128 are refused through a ::/0 egress; the /128\'s neighbour is not', async () => {
  await setFeed(ALL_LINES);
  expect((await excepts('tf-out', 'egress'))['::/0']).toEqual(sorted([...METADATA_V6, LISTED_V6, LISTED_V6_HOST]));
  const expected: Reach[] = [[out.key, v6(listed), false], [out.key, v6(pinned), false], [out.key, v6(clean), true]];
  expect(await settle(expected)).toEqual(expected);
}, 90_000);

test('CIDR ingress: a source in a listed network cannot reach the gateway through cidr 0.0.0.0/0 or ::/0, one outside the list can, and the source connects again once its entry leaves the feed', async () => {
  await setFeed(ALL_LINES);
  // No metadata endpoints in an ingress: only the feed's networks.
  expect(await excepts('tf-gw', 'ingress')).toEqual({ '0.0.0.0/0': [LISTED_V4], '::/0': sorted([LISTED_V6, LISTED_V6_HOST]) });
  const expected: Reach[] = [
    [listed.key, v4(gw), false], [listed.key, v6(gw), false],
    [pinned.key, v4(gw), true], [pinned.key, v6(gw), false],
    [clean.key, v4(gw), true], [clean.key, v6(gw), true],
  ];
  expect(await settle(expected)).toEqual(expected);

  await setFeed(WITHOUT_V4);
  const unlisted: Reach[] = [[listed.key, v4(gw), true], [listed.key, v6(gw), false], [clean.key, v4(gw), true]];
  // Packets and policy in one comparison, so that a failure shows both.
  expect({ packets: await settle(unlisted), except: await excepts('tf-gw', 'ingress') }).toEqual({ packets: unlisted, except: { '0.0.0.0/0': [], '::/0': sorted([LISTED_V6, LISTED_V6_HOST]) } });
}, 90_000);

test('deleting the ThreatFeed takes its networks out of the policies, the status and the packets', async () => {
  await setFeed(ALL_LINES);
  await kubectlOk(['delete', 'threatfeed', feedName]);
  await waitFor(async () => (await workloadFeeds()).every((f) => f.name !== feedName), { timeoutMs: 30_000, description: `AIWorkload ${ns}/tf to drop ${feedName} from its status` });
  const expected: Reach[] = [[out.key, v4(listed), true], [out.key, v6(listed), true], [out.key, v6(pinned), true], [listed.key, v4(gw), true], [listed.key, v6(gw), true], [pinned.key, v6(gw), true]];
  expect({ packets: await settle(expected), egress: await excepts('tf-out', 'egress'), ingress: await excepts('tf-gw', 'ingress') }).toEqual({
    packets: expected,
    egress: { '0.0.0.0/0': sorted(METADATA_V4), '::/0': sorted(METADATA_V6) },
    ingress: { '0.0.0.0/0': [], '::/0': [] },
  });
}, 90_000);
