// IP addresses of both families on one number line, and address ranges as closed intervals on it.
// An IPv4 address is its 32-bit value (0 .. 2^32-1); an IPv6 address x is IPV6_BASE + x, so every
// IPv4 address sorts before every IPv6 address, and a cidr, which has one family, is always one
// interval inside one family's span. Values are bigints: IPv6 needs 128 bits, and one type for
// both keeps every interval operation family-blind. Which spans the outside world is made of (the
// universe) is the caller's choice: IPv4 only, or IPv4 and IPv6 (see AnalysisOptions.ipFamilies).

export type IpInterval = readonly [bigint, bigint];

/** Where IPv6 address 0 (`::`) sits on the line: just after the last IPv4 address. */
export const IPV6_BASE = 1n << 32n;

/** 0.0.0.0/0 and ::/0 on the line. */
export const IPV4_SPACE: IpInterval = Object.freeze([0n, IPV6_BASE - 1n]) as IpInterval;
export const IPV6_SPACE: IpInterval = Object.freeze([IPV6_BASE, IPV6_BASE + (1n << 128n) - 1n]) as IpInterval;

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad IPv4 into its 32-bit value; undefined for anything else (including IPv6). */
export function parseIPv4(s: string): number | undefined {
  const m = V4.exec(s.trim());
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [Math.floor(n / 2 ** 24) % 256, Math.floor(n / 2 ** 16) % 256, Math.floor(n / 2 ** 8) % 256, n % 256].join('.');
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 16-bit groups of one side of `::` (empty text: none); an IPv4 tail counts as two groups. */
function ipv6Groups(text: string, mayEndInIPv4: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const last = parts[parts.length - 1] as string;
  const tail = mayEndInIPv4 && last.includes('.') ? parseIPv4(last) : undefined;
  if (tail !== undefined) parts.pop();
  else if (last.includes('.')) return undefined;
  if (!parts.every((p) => HEX_GROUP.test(p))) return undefined;
  const groups = parts.map((p) => parseInt(p, 16));
  return tail === undefined ? groups : [...groups, Math.floor(tail / 65536), tail % 65536];
}

/**
 * Parses an IPv6 address in any RFC 4291 text form (`::`, `::1`, `2001:db8::8:800:200c:417a`,
 * `::ffff:1.2.3.4`, leading zeros in groups, either case) into its 128-bit value; undefined for
 * anything else (IPv4, a zone `%eth0`, a second `::`, too many or too few groups).
 */
export function parseIPv6(s: string): bigint | undefined {
  const halves = s.trim().split('::');
  if (halves.length > 2) return undefined;
  const head = ipv6Groups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? ipv6Groups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const given = head.length + tail.length;
  // `::` stands for at least one zero group; without it all eight must be there.
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** The longest run of at least two zero groups (the first of equals), as [start, length]; [-1, 0] when none. */
function longestZeroRun(groups: readonly number[]): [number, number] {
  let best: [number, number] = [-1, 0];
  let start = -1;
  groups.forEach((g, i) => {
    if (g !== 0) start = -1;
    else if (start < 0) start = i;
    const length = start < 0 ? 0 : i - start + 1;
    if (length >= 2 && length > best[1]) best = [start, length];
  });
  return best;
}

const IPV4_MAPPED_PREFIX = 0xffffn;

/**
 * Formats a 128-bit IPv6 value as RFC 5952 text: lowercase hex, no leading zeros, the longest run
 * of two or more zero groups (the first of equals) as `::`. IPv4-mapped addresses
 * (`::ffff:0:0/96`) are written with their IPv4 tail (`::ffff:1.2.3.4`), as section 5 recommends.
 */
export function formatIPv6(x: bigint): string {
  if (x >> 32n === IPV4_MAPPED_PREFIX) return `::ffff:${formatIPv4(Number(x & 0xffffffffn))}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((x >> BigInt(112 - 16 * i)) & 0xffffn));
  const [start, length] = longestZeroRun(groups);
  const hex = (gs: readonly number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (start < 0) return hex(groups);
  return `${hex(groups.slice(0, start))}::${hex(groups.slice(start + length))}`;
}

/** Parses an address of either family onto the line; undefined when it is neither. */
export function parseIp(s: string): bigint | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return BigInt(v4);
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : IPV6_BASE + v6;
}

export function isIPv6(ip: bigint): boolean {
  return ip >= IPV6_BASE;
}

/** Formats a point of the line as IPv4 or IPv6 text. */
export function formatIp(ip: bigint): string {
  return isIPv6(ip) ? formatIPv6(ip - IPV6_BASE) : formatIPv4(Number(ip));
}

/** How a cidr of each family is read: its address, its prefix length, where it sits on the line. */
interface CidrFamily {
  parse: (addr: string) => bigint | undefined;
  prefix: RegExp;
  bits: number;
  offset: bigint;
}

const CIDR_IPV4: CidrFamily = {
  parse: (addr) => {
    const n = parseIPv4(addr);
    return n === undefined ? undefined : BigInt(n);
  },
  prefix: /^\d{1,2}$/,
  bits: 32,
  offset: 0n,
};
const CIDR_IPV6: CidrFamily = { parse: parseIPv6, prefix: /^\d{1,3}$/, bits: 128, offset: IPV6_BASE };

function invalidCidr(cidr: string): Error {
  return new Error(`invalid CIDR "${cidr}"`);
}

/**
 * Parses `a.b.c.d/len` or `ipv6/len` into the interval it covers on the line. Host bits are
 * ignored (as the API server does for NetworkPolicy cidrs). Throws on malformed input, of either
 * family: the API server would have rejected it.
 */
export function parseCidr(cidr: string): IpInterval {
  const [addr, lenText, ...rest] = cidr.trim().split('/');
  if (addr === undefined || lenText === undefined || rest.length > 0) throw invalidCidr(cidr);
  const family = addr.includes(':') ? CIDR_IPV6 : CIDR_IPV4;
  const base = family.parse(addr);
  const len = Number(lenText);
  if (base === undefined || !family.prefix.test(lenText) || len > family.bits) throw invalidCidr(cidr);
  const size = 1n << BigInt(family.bits - len);
  const start = family.offset + base - (base % size);
  return [start, start + size - 1n];
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
  const boundaries = sets.flat();
  return universe.flatMap((space) => mergeAtoms(sets, partitionIpSpace(boundaries, [space])));
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
