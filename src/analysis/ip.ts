// IPv4 addresses as unsigned 32-bit numbers (plain JS numbers, exact up to 2^53) and address
// ranges as closed intervals. IPv6 is out of scope for the analysis (see docs/analysis.md).

export type IpInterval = readonly [number, number];

export const IPV4_MAX = 0xffffffff;

/** Parses dotted-quad IPv4; returns undefined for anything else (including IPv6). */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
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

/**
 * Parses `a.b.c.d/len` into the interval it covers. Host bits are ignored (as the API server
 * does for NetworkPolicy cidrs). Throws on malformed input; returns undefined for IPv6 cidrs,
 * which the analysis ignores.
 */
export function parseCidr(cidr: string): IpInterval | undefined {
  const [addr, lenText, ...rest] = cidr.trim().split('/');
  if (addr === undefined || lenText === undefined || rest.length > 0) throw new Error(`invalid CIDR "${cidr}"`);
  if (addr.includes(':')) return undefined;
  const base = parseIPv4(addr);
  const len = Number(lenText);
  if (base === undefined || !/^\d{1,2}$/.test(lenText) || len > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const size = 2 ** (32 - len);
  const start = base - (base % size);
  return [start, start + size - 1];
}

export function formatIpInterval([lo, hi]: IpInterval): string {
  return `${formatIPv4(lo)}-${formatIPv4(hi)}`;
}

/** Subtracts sorted-or-not intervals `minus` from `from`; result sorted and disjoint. */
export function subtractIpIntervals(from: readonly IpInterval[], minus: readonly IpInterval[]): IpInterval[] {
  const sortedMinus = [...minus].sort((a, b) => a[0] - b[0]);
  const out: IpInterval[] = [];
  for (const [lo0, hi] of [...from].sort((a, b) => a[0] - b[0])) {
    let lo = lo0;
    for (const [mlo, mhi] of sortedMinus) {
      if (mhi < lo || mlo > hi) continue;
      if (mlo > lo) out.push([lo, mlo - 1]);
      lo = Math.max(lo, mhi + 1);
      if (lo > hi) break;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

/**
 * Cuts 0.0.0.0/0 into contiguous intervals at every start and end of the given intervals, so that
 * each given interval is exactly a union of result intervals. This is the oracle's partition of
 * the outside world into `[External]` peers.
 */
export function partitionIpSpace(intervals: readonly IpInterval[]): IpInterval[] {
  const cuts = new Set<number>([0]);
  for (const [lo, hi] of intervals) {
    cuts.add(lo);
    if (hi < IPV4_MAX) cuts.add(hi + 1);
  }
  const starts = [...cuts].sort((a, b) => a - b);
  return starts.map((s, i) => [s, i + 1 < starts.length ? (starts[i + 1] as number) - 1 : IPV4_MAX] as const);
}

/** Whether the interval `inner` lies entirely inside one of `outer` (which must be disjoint). */
export function containedIn(inner: IpInterval, outer: readonly IpInterval[]): boolean {
  return outer.some(([lo, hi]) => lo <= inner[0] && inner[1] <= hi);
}

export function ipIn(ip: number, set: readonly IpInterval[]): boolean {
  return set.some(([lo, hi]) => lo <= ip && ip <= hi);
}

/**
 * The oracle's partition of 0.0.0.0/0 into `[External]` peers: the atoms of the given sets (two
 * addresses are in the same atom when every set contains both or neither), each atom printed as
 * its maximal contiguous intervals. Computed by cutting at every boundary and merging adjacent
 * pieces that belong to the same sets.
 */
export function atomPartition(sets: readonly (readonly IpInterval[])[]): IpInterval[] {
  const pieces = partitionIpSpace(sets.flat());
  const signature = (piece: IpInterval): string => sets.map((s) => (containedIn(piece, s) ? '1' : '0')).join('');
  const out: [number, number][] = [];
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
