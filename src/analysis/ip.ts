// IP addresses of both families on one number line, and address ranges as closed intervals on it.
// An IPv4 address is its 32-bit value (0 .. 2^32-1); an IPv6 address x is IPV6_BASE + x, so every
// IPv4 address sorts before every IPv6 address, and a cidr, which has one family, is always one
// interval inside one family's span. Values are bigints: IPv6 needs 128 bits, and one type for
// both keeps every interval operation family-blind. Which spans the outside world is made of (the
// universe) is the caller's choice: IPv4 only, or IPv4 and IPv6 (see AnalysisOptions.ipFamilies).
// The text of addresses and cidrs is read and written by src/api/cidr.ts, Bulkhead's one parser.
import { cidrSize, formatIPv4, formatIPv6, parseAddress, parseCidr } from '../api/cidr.js';

export type IpInterval = readonly [bigint, bigint];

/** Where IPv6 address 0 (`::`) sits on the line: just after the last IPv4 address. */
export const IPV6_BASE = 1n << 32n;

/** 0.0.0.0/0 and ::/0 on the line. */
export const IPV4_SPACE: IpInterval = Object.freeze([0n, IPV6_BASE - 1n]) as IpInterval;
export const IPV6_SPACE: IpInterval = Object.freeze([IPV6_BASE, IPV6_BASE + (1n << 128n) - 1n]) as IpInterval;

/** Parses an address of either family onto the line; undefined when it is neither. */
export function parseIp(text: string): bigint | undefined {
  const a = parseAddress(text.trim());
  if (a === undefined) return undefined;
  return a.family === 4 ? a.value : IPV6_BASE + a.value;
}

export function isIPv6(ip: bigint): boolean {
  return ip >= IPV6_BASE;
}

/** Formats a point of the line as IPv4 or IPv6 text. */
export function formatIp(ip: bigint): string {
  return isIPv6(ip) ? formatIPv6(ip - IPV6_BASE) : formatIPv4(ip);
}

/**
 * The interval a cidr (`a.b.c.d/len` or `ipv6/len`, read by src/api/cidr.ts) covers on the line.
 * Host bits are ignored (as the API server does for NetworkPolicy cidrs). Throws on malformed
 * input, of either family: the API server would have rejected it.
 */
export function cidrInterval(text: string): IpInterval {
  const c = parseCidr(text.trim());
  if (c === undefined) throw new Error(`invalid CIDR "${text}"`);
  const start = (c.family === 6 ? IPV6_BASE : 0n) + c.base;
  return [start, start + cidrSize(c) - 1n];
}

/** `lo-hi` in the family of the interval (which never spans both). */
export function formatIpInterval([lo, hi]: IpInterval): string {
  return `${formatIp(lo)}-${formatIp(hi)}`;
}

export function compareIntervals(a: IpInterval, b: IpInterval): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** Subtracts sorted-or-not intervals `minus` from `from`; result sorted and disjoint. */
export function subtractIpIntervals(from: readonly IpInterval[], minus: readonly IpInterval[]): IpInterval[] {
  const sortedMinus = [...minus].sort(compareIntervals);
  const out: IpInterval[] = [];
  for (const [lo0, hi] of [...from].sort(compareIntervals)) {
    let lo = lo0;
    for (const [mlo, mhi] of sortedMinus) {
      if (mhi < lo || mlo > hi) continue;
      if (mlo > lo) out.push([lo, mlo - 1n]);
      if (mhi + 1n > lo) lo = mhi + 1n;
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

/** The points at which the pieces of `space` start: its own start and every boundary inside it. */
function cutsIn([ulo, uhi]: IpInterval, intervals: readonly IpInterval[]): bigint[] {
  const cuts = new Set<bigint>([ulo]);
  for (const [lo, hi] of intervals) {
    if (lo > ulo && lo <= uhi) cuts.add(lo);
    if (hi >= ulo && hi < uhi) cuts.add(hi + 1n);
  }
  return [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Cuts each span of `universe` (disjoint, ascending: 0.0.0.0/0, and ::/0 when IPv6 is modelled)
 * into contiguous intervals at every start and end of the given intervals, so that each given
 * interval's part inside the universe is exactly a union of result intervals, and no result
 * interval crosses from one span to the next. This is the oracle's partition of the outside
 * world into `[External]` peers; boundaries outside the universe are ignored.
 */
export function partitionIpSpace(intervals: readonly IpInterval[], universe: readonly IpInterval[] = [IPV4_SPACE]): IpInterval[] {
  const out: IpInterval[] = [];
  for (const space of universe) {
    const starts = cutsIn(space, intervals);
    starts.forEach((s, i) => out.push([s, i + 1 < starts.length ? (starts[i + 1] as bigint) - 1n : space[1]]));
  }
  return out;
}

/** Whether the interval `inner` lies entirely inside one of `outer` (which must be disjoint). */
export function containedIn(inner: IpInterval, outer: readonly IpInterval[]): boolean {
  return outer.some(([lo, hi]) => lo <= inner[0] && inner[1] <= hi);
}

export function ipIn(ip: bigint, set: readonly IpInterval[]): boolean {
  return set.some(([lo, hi]) => lo <= ip && ip <= hi);
}

/** Whether any of the addresses lies in the set. */
export function anyIpIn(ips: readonly bigint[], set: readonly IpInterval[]): boolean {
  return ips.some((ip) => ipIn(ip, set));
}

/**
 * The oracle's partition of the universe into `[External]` peers: the atoms of the given sets
 * (two addresses are in the same atom when every set contains both or neither), each atom printed
 * as its maximal contiguous intervals. Computed by cutting at every boundary and merging adjacent
 * pieces that belong to the same sets; pieces of different spans (families) are never merged.
 */
export function atomPartition(sets: readonly (readonly IpInterval[])[], universe: readonly IpInterval[] = [IPV4_SPACE]): IpInterval[] {
  // A set given twice cuts nothing more (policies compiled from the same ipBlock share its set).
  const unique = [...new Set(sets)];
  const boundaries = unique.flat();
  return universe.flatMap((space) => mergeAtoms(unique, partitionIpSpace(boundaries, [space])));
}

/** Merges adjacent pieces (of one span) that belong to the same sets. */
function mergeAtoms(sets: readonly (readonly IpInterval[])[], pieces: readonly IpInterval[]): IpInterval[] {
  const signature = (piece: IpInterval): string => sets.map((s) => (containedIn(piece, s) ? '1' : '0')).join('');
  const out: [bigint, bigint][] = [];
  let lastSig = '';
  for (const piece of pieces) {
    const sig = signature(piece);
    const last = out[out.length - 1];
    if (last !== undefined && sig === lastSig) last[1] = piece[1];
    else out.push([piece[0], piece[1]]);
    lastSig = sig;
  }
  return out;
}
