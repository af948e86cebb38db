// Names, addresses and the host commands of one local dataplane: pure functions of its slot, so
// what the harness changes on the machine is reviewable in one place and unit-tested.
//
// A slot is one dataplane: its pods, its enforcer, its netfilter chain, its routing table. Several
// slots may run at once on one machine (a test run and `make demo`, say); each owns disjoint pod
// ranges, a queue number, a routing table and names that all start with PREFIX and its number.
//
// Every address a probe reaches lives in a network namespace the harness made: pod traffic is
// routed by a table of the slot's own (a policy rule for the pod ranges), whose default route is a
// blackhole, so nothing a pod sends can leave the machine.
import { cidrContains, parseCidr } from '../api/cidr.js';

/** PREFIX starts every name the dataplane creates: netns, links, chains, Node, ServiceAccount. */
export const PREFIX = 'bhdp';
export const SLOTS = 8;
/** Where slot state files, agent control sockets and logs live. */
export const RUN_DIR = '/run/bulkhead-dataplane';
/** Bit 28 of the conntrack label: what the enforcer calls label 100 on this kernel's layout. */
export const CONNLABEL = 28;

/** The in-pod gateway: an address of the host end of each veth (link-local). */
export const GATEWAY4 = '169.254.1.1';
export const GATEWAY6 = 'fe80::1';

export interface SlotLayout {
  slot: number;
  /** The Node the enforcer protects and every pod is bound to. */
  node: string;
  queue: number;
  table: number;
  /** ip rule preference of the slot's policy rules. */
  rulePref: number;
  chain: string;
  /** iptables comment on every rule outside the slot's chain, so a sweep can find them. */
  comment: string;
  pod4: string;
  pod6: string;
  dir: string;
  stateFile: string;
  enforcerLog: string;
  enforcerKubeconfig: string;
}

export function slotLayout(slot: number): SlotLayout {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) throw new Error(`dataplane slot must be 0..${SLOTS - 1}, not ${slot}`);
  const dir = `${RUN_DIR}/${slot}`;
  return {
    slot,
    node: `${PREFIX}-node-${slot}`,
    queue: 7700 + slot,
    table: 7800 + slot,
    rulePref: 7800 + slot,
    chain: `${PREFIX.toUpperCase()}${slot}`,
    comment: `${PREFIX}:${slot}`,
    pod4: `10.244.${slot}.0/24`,
    pod6: `${v6Prefix(slot)}:/64`,
    dir,
    stateFile: `${RUN_DIR}/slot-${slot}.json`,
    enforcerLog: `${dir}/enforcer.log`,
    enforcerKubeconfig: `${dir}/enforcer.kubeconfig`,
  };
}

/** Host addresses: index 0..239 in the slot's pod ranges. */
export const MAX_HOSTS = 240;

export function podAddresses(l: SlotLayout, index: number): { ipv4: string; ipv6: string } {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_HOSTS) throw new Error(`host index must be 0..${MAX_HOSTS - 1}, not ${index}`);
  return { ipv4: `10.244.${l.slot}.${index + 10}`, ipv6: `${v6Prefix(l.slot)}:${(index + 10).toString(16)}` };
}

/**
 * v6Prefix is `fd10:244:<slot>:` in canonical form (RFC 5952: slot 0's zero group is compressed).
 * The enforcer finds a pod by the text of its address, so status.podIPs must be canonical.
 */
const v6Prefix = (slot: number): string => (slot === 0 ? 'fd10:244:' : `fd10:244:${slot.toString(16)}:`);

/** netns and host-side link names of host `index` (links are at most 15 characters). */
export function hostNames(l: SlotLayout, index: number): { netns: string; hostLink: string; podLink: string } {
  return { netns: `${PREFIX}${l.slot}-${index}`, hostLink: `${PREFIX}${l.slot}h${index}`, podLink: `${PREFIX}${l.slot}p${index}` };
}

/** One host of the dataplane: a pod, or an outside listener that is no pod (no Pod object). */
export interface HostPlan {
  index: number;
  addresses: { ipv4: string[]; ipv6: string[] };
}

export type Command = readonly string[];

const ip = (...args: string[]): Command => ['ip', ...args];
const inNs = (netns: string, ...args: string[]): Command => ['ip', 'netns', 'exec', netns, ...args];
const sysctl = (key: string, value: string): Command => ['sysctl', '-qw', `${key}=${value}`];

/**
 * hostUp is the command list that makes one host: a network namespace with a routed veth (the CNI
 * ptp shape), its addresses, a default route through the link-local gateway, and host routes in
 * the slot's table. Forwarding is switched on per interface, never globally.
 */
export function hostUp(l: SlotLayout, h: HostPlan): Command[] {
  const { netns, hostLink, podLink } = hostNames(l, h.index);
  const cmds: Command[] = [
    ip('netns', 'add', netns),
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', podLink),
    ip('link', 'set', podLink, 'netns', netns),
    inNs(netns, 'ip', 'link', 'set', 'lo', 'up'),
    inNs(netns, 'ip', 'link', 'set', podLink, 'name', 'eth0'),
    // Before any IPv6 address exists: no autoconf, no DAD delays.
    inNs(netns, 'sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0'),
    inNs(netns, 'ip', 'link', 'set', 'eth0', 'up'),
    ...h.addresses.ipv4.map((a) => inNs(netns, 'ip', 'addr', 'add', `${a}/32`, 'dev', 'eth0')),
    ...h.addresses.ipv6.map((a) => inNs(netns, 'ip', '-6', 'addr', 'add', `${a}/128`, 'dev', 'eth0', 'nodad')),
    inNs(netns, 'ip', 'route', 'add', GATEWAY4, 'dev', 'eth0', 'scope', 'link'),
    inNs(netns, 'ip', 'route', 'add', 'default', 'via', GATEWAY4, 'dev', 'eth0'),
    inNs(netns, 'ip', '-6', 'route', 'add', 'default', 'via', GATEWAY6, 'dev', 'eth0'),
    sysctl(`net.ipv6.conf.${hostLink}.accept_dad`, '0'),
    ip('link', 'set', hostLink, 'up'),
    ip('-6', 'addr', 'add', `${GATEWAY6}/64`, 'dev', hostLink, 'nodad'),
    // The gateway is an address of the host end itself (not proxy ARP: the slot's table, whose
    // default is a blackhole, would veto answering for an address it does not route).
    ip('addr', 'add', `${GATEWAY4}/32`, 'dev', hostLink, 'scope', 'link'),
    sysctl(`net.ipv4.conf.${hostLink}.forwarding`, '1'),
    sysctl(`net.ipv6.conf.${hostLink}.force_forwarding`, '1'),
    ...h.addresses.ipv4.map((a) => ip('route', 'add', `${a}/32`, 'dev', hostLink, 'table', String(l.table))),
    ...h.addresses.ipv6.map((a) => ip('-6', 'route', 'add', `${a}/128`, 'dev', hostLink, 'table', String(l.table))),
  ];
  // Hosts outside the pod ranges (outside listeners) are routed by the slot's table too.
  if (!isPodHost(l, h.addresses)) {
    cmds.push(ip('rule', 'add', 'iif', hostLink, 'lookup', String(l.table), 'pref', String(l.rulePref)));
    cmds.push(ip('-6', 'rule', 'add', 'iif', hostLink, 'lookup', String(l.table), 'pref', String(l.rulePref)));
  }
  return cmds;
}

/** hostDown removes one host; deleting the netns removes the veth pair with it. */
export function hostDown(l: SlotLayout, index: number): Command[] {
  const { netns, hostLink } = hostNames(l, index);
  return [
    ip('rule', 'del', 'iif', hostLink, 'lookup', String(l.table)),
    ip('-6', 'rule', 'del', 'iif', hostLink, 'lookup', String(l.table)),
    ip('netns', 'del', netns),
    ip('link', 'del', hostLink),
  ];
}

/** Whether an address lies in a range (both in any text form the shared parser reads). */
function inRange(address: string, range: string): boolean {
  const r = parseCidr(range);
  const a = parseCidr(address.includes(':') ? `${address}/128` : `${address}/32`);
  return r !== undefined && a !== undefined && cidrContains(r, a);
}

/**
 * A pod of the slot has IPv4 and every address in the slot's pod ranges; any other host (an
 * outside listener, one with only IPv6 addresses included) is routed by the slot's table.
 */
const isPodHost = (l: SlotLayout, addresses: { ipv4: readonly string[]; ipv6: readonly string[] }): boolean =>
  addresses.ipv4.length > 0 && addresses.ipv4.every((a) => inRange(a, l.pod4)) && addresses.ipv6.every((a) => inRange(a, l.pod6));

type Family = 'iptables-legacy' | 'ip6tables-legacy';

/**
 * slotUp installs the slot's routing and the divert to the enforcer's queue. The enforcer's own
 * nftables rules need nft's `queue` statement, which this kernel lacks; so our chain in filter
 * FORWARD sends the pod ranges' new connections to its NFQUEUE and accepts established ones the
 * enforcer let through (marked by the conntrack label set in mangle POSTROUTING, since the label
 * the enforcer sets with its verdict is ignored without CONFIG_NETFILTER_NETLINK_GLUE_CT).
 * Without --queue-bypass: while no enforcer listens, new connections are dropped (fail closed).
 */
export function slotUp(l: SlotLayout): Command[] {
  const table = String(l.table);
  return [
    ip('rule', 'add', 'from', l.pod4, 'lookup', table, 'pref', String(l.rulePref)),
    ip('-6', 'rule', 'add', 'from', l.pod6, 'lookup', table, 'pref', String(l.rulePref)),
    // Nothing from a pod leaves the machine: what the slot's table does not route is dropped.
    ip('route', 'add', 'blackhole', 'default', 'table', table),
    ip('-6', 'route', 'add', 'blackhole', 'default', 'table', table),
    // Nor does the host send pod-range traffic out of its own interfaces.
    ip('route', 'add', 'blackhole', l.pod4),
    ip('-6', 'route', 'add', 'blackhole', l.pod6),
    ...divertUp(l, 'iptables-legacy', l.pod4),
    ...divertUp(l, 'ip6tables-legacy', l.pod6),
  ];
}

function divertUp(l: SlotLayout, cmd: Family, range: string): Command[] {
  const comment = ['-m', 'comment', '--comment', l.comment];
  const nd = cmd === 'ip6tables-legacy'
    ? ['neighbour-solicitation', 'neighbour-advertisement'].map((t): Command => [cmd, '-A', l.chain, '-p', 'icmpv6', '--icmpv6-type', t, '-j', 'ACCEPT'])
    : [];
  return [
    [cmd, '-N', l.chain],
    ...nd,
    [cmd, '-A', l.chain, '-m', 'connlabel', '--label', String(CONNLABEL), '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    [cmd, '-A', l.chain, '-j', 'NFQUEUE', '--queue-num', String(l.queue)],
    [cmd, '-I', 'FORWARD', '-s', range, ...comment, '-j', l.chain],
    [cmd, '-I', 'FORWARD', '-d', range, ...comment, '-j', l.chain],
    [cmd, '-t', 'mangle', '-A', 'POSTROUTING', '-s', range, ...comment, '-m', 'connlabel', '--label', String(CONNLABEL), '--set'],
    [cmd, '-t', 'mangle', '-A', 'POSTROUTING', '-d', range, ...comment, '-m', 'connlabel', '--label', String(CONNLABEL), '--set'],
  ];
}

/**
 * slotRuleDeletions turns the output of `iptables-save` into the deletions of every rule that
 * carries the slot's comment (the FORWARD jumps and the mangle marks), table by table.
 */
export function slotRuleDeletions(l: SlotLayout, cmd: Family, saved: string): Command[] {
  const out: Command[] = [];
  let table = 'filter';
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (!line.startsWith('-A ')) continue;
    const args = splitRule(line.slice(3));
    if (args[args.indexOf('--comment') + 1] !== l.comment || !args.includes('--comment')) continue;
    out.push([cmd, '-t', table, '-D', ...args]);
  }
  return out;
}

/** splitRule splits an iptables-save rule into arguments, honouring double quotes. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) args.push(m[1] ?? m[2] ?? '');
  return args;
}

/** slotDown removes the slot's chain, rules and routes (after slotRuleDeletions). */
export function slotDown(l: SlotLayout): Command[] {
  const table = String(l.table);
  return [
    ['iptables-legacy', '-F', l.chain],
    ['iptables-legacy', '-X', l.chain],
    ['ip6tables-legacy', '-F', l.chain],
    ['ip6tables-legacy', '-X', l.chain],
    ip('route', 'flush', 'table', table),
    ip('-6', 'route', 'flush', 'table', table),
    ip('route', 'del', 'blackhole', l.pod4),
    ip('-6', 'route', 'del', 'blackhole', l.pod6),
  ];
}
