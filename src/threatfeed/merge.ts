// The set arithmetic of blocked networks: merging a feed into the fewest CIDRs that cover exactly
// the same addresses, carving a feed out of one allowed ipBlock, and the digest of a set. Pure.
//
// Each family is its own number line of bigints (src/api/cidr.ts holds the values); CIDRs of one
// family are intervals on it. Merging unions the intervals (overlapping and adjacent ones become
// one) and writes each union back as the fewest aligned CIDRs, largest first, so the result is the
// smallest list of CIDRs with the same addresses: sorted (IPv4 first, then by address), disjoint,
// and with no two that could be written as one.
import { createHash } from 'node:crypto';
import { type Cidr, type IpFamily, cidrContains, cidrSize, cidrStrictlyContains, familyBits, formatCidr } from '../api/cidr.js';

type Interval = [bigint, bigint];

const FAMILIES: readonly IpFamily[] = [4, 6];

const intervalOf = (c: Cidr): Interval => [c.base, c.base + cidrSize(c) - 1n];

const byStart = (a: Interval, b: Interval): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The union of intervals: sorted, disjoint, and no two adjacent. */
function union(intervals: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [lo, hi] of [...intervals].sort(byStart)) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1n) last[1] = hi > last[1] ? hi : last[1];
    else out.push([lo, hi]);
  }
  return out;
}

/** The number of trailing zero bits of a value, up to `width` (0 has them all). */
function alignment(value: bigint, width: number): number {
  let bits = 0;
  while (bits < width && ((value >> BigInt(bits)) & 1n) === 0n) bits++;
  return bits;
}

/** The fewest CIDRs covering exactly [lo, hi]: from lo, each time the largest aligned block that fits. */
function intervalCidrs(family: IpFamily, [lo, hi]: Interval): Cidr[] {
  const width = familyBits(family);
  const out: Cidr[] = [];
  let start = lo;
  while (start <= hi) {
    let bits = alignment(start, width);
    while (start + (1n << BigInt(bits)) - 1n > hi) bits--;
    out.push({ family, base: start, prefix: width - bits, canonical: true });
    start += 1n << BigInt(bits);
  }
  return out;
}

/**
 * The smallest set of CIDRs covering exactly the addresses of `cidrs`, per family: sorted IPv4
 * first then by address, disjoint, with no two mergeable into one. Idempotent.
 */
export function mergeCidrs(cidrs: readonly Cidr[]): Cidr[] {
  return FAMILIES.flatMap((family) => union(cidrs.filter((c) => c.family === family).map(intervalOf)).flatMap((i) => intervalCidrs(family, i)));
}

/** The canonical text of a merged set, one CIDR a line, in mergeCidrs' order. */
export function canonicalList(cidrs: readonly Cidr[]): string[] {
  return mergeCidrs(cidrs).map(formatCidr);
}

/**
 * The digest of a set of blocked networks, for status: `sha256:` and the hex SHA-256 of its
 * canonical list (mergeCidrs, each CIDR in canonical text followed by a line feed). Two feeds that
 * block the same addresses have the same digest, however they write them.
 */
export function feedDigest(cidrs: readonly Cidr[]): string {
  const text = canonicalList(cidrs)
    .map((c) => `${c}\n`)
    .join('');
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * What carve returns when blocked networks cover the whole allowed CIDR: no `except` can express
 * it (each must be strictly smaller than the cidr), so the compiler must leave the ipBlock out
 * entirely. `by` names the blocked networks (merged) that cover it.
 */
export interface WhollyBlocked {
  whollyBlocked: true;
  by: string[];
}

export function isWhollyBlocked(carved: string[] | WhollyBlocked): carved is WhollyBlocked {
  return !Array.isArray(carved);
}

/**
 * The `except` list of one ipBlock with cidr `allowed`, from the blocked networks as given (merged
 * on each call: for many ipBlocks against one feed, build a BlockedSet once instead). It is: the blocked networks inside it, merged, in
 * the blocked networks inside it, merged, in canonical text (empty when none lies inside). A
 * blocked network that contains `allowed` (or equals it), or blocked networks that together cover
 * it, block the whole of it: then WhollyBlocked. Blocked networks of the other family, or disjoint
 * from `allowed`, play no part.
 */
export function carve(allowed: Cidr, blocked: readonly Cidr[]): string[] | WhollyBlocked {
  const covering = blocked.filter((b) => cidrContains(b, allowed));
  if (covering.length > 0) return { whollyBlocked: true, by: canonicalList(covering) };
  const inside = mergeCidrs(blocked.filter((b) => cidrStrictlyContains(allowed, b)));
  // Siblings that fill `allowed` merge into `allowed` itself.
  if (inside.some((c) => c.prefix === allowed.prefix)) return { whollyBlocked: true, by: inside.map(formatCidr) };
  return inside.map(formatCidr);
}

/** The first index of `sorted` (by base) whose base is at least `base` (or, with `after`, above it). */
function bound(sorted: readonly Cidr[], base: bigint, after: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const b = (sorted[mid] as Cidr).base;
    if (b < base || (after && b === base)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A feed's blocked networks merged once, to carve out of many ipBlocks: each carve is a binary
 * search instead of a pass over the whole feed. Since CIDRs either nest or are disjoint, the merged
 * networks that meet an allowed CIDR are one that contains it, or a run of them inside it, and
 * the blocked networks cover the allowed CIDR exactly when one merged network contains it. Gives
 * the same answers as carve (a property test holds them equal).
 */
export class BlockedSet {
  /** The merged networks (mergeCidrs), IPv4 first. */
  readonly cidrs: readonly Cidr[];
  private readonly byFamily: Record<IpFamily, { cidrs: readonly Cidr[]; texts: readonly string[] }>;

  constructor(blocked: readonly Cidr[]) {
    this.cidrs = mergeCidrs(blocked);
    const of = (family: IpFamily): { cidrs: Cidr[]; texts: string[] } => {
      const cidrs = this.cidrs.filter((c) => c.family === family);
      return { cidrs, texts: cidrs.map(formatCidr) };
    };
    this.byFamily = { 4: of(4), 6: of(6) };
  }

  /** The digest of the set (feedDigest). */
  digest(): string {
    return feedDigest(this.cidrs);
  }

  /** carve(allowed, blocked) for this set's blocked networks. */
  carve(allowed: Cidr): string[] | WhollyBlocked {
    const { cidrs: sorted, texts } = this.byFamily[allowed.family];
    const before = sorted[bound(sorted, allowed.base, true) - 1];
    if (before !== undefined && cidrContains(before, allowed)) return { whollyBlocked: true, by: [formatCidr(before)] };
    // The run inside `allowed`: from the first at or after its base to the first at or after its end.
    const end = allowed.base + cidrSize(allowed);
    return texts.slice(bound(sorted, allowed.base, false), bound(sorted, end, false));
  }
}
