// The blocklists the threat feed benchmark applies: deterministic (a fixed seed), public IPv4 only,
// and no two entries overlapping, in the two shapes issue 11 names. Pure.
//   - DROP-like: about 1,500 networks of /16 to /24, most of them /22 to /24, as Spamhaus DROP is;
//   - FireHOL-level-1-like: 20,000 entries, mostly single hosts (written as bare addresses, as
//     FireHOL writes them) and /24s, some /16 to /23. Hosts come in clusters within a /24 and /24s
//     in runs, as attackers' addresses do, so some entries are adjacent and merge.
// Entries are written one a line (PlainList); the DROP-like ones carry a "; SBL" comment as DROP's do.
import { prng } from './analysis.js';

/** Ranges that are not public unicast IPv4 (RFC 6890 and multicast/reserved): no entry touches them. */
const NOT_PUBLIC: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3],
];

const toNumber = (dotted: string): number => dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const dotted = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** The non-public ranges as [first, last] address pairs. */
const RESERVED = NOT_PUBLIC.map(([base, prefix]): [number, number] => [toNumber(base), toNumber(base) + 2 ** (32 - prefix) - 1]);


/** A prefix length drawn from weights per prefix. */
function drawPrefix(random: () => number, weights: readonly (readonly [number, number])[]): number {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [prefix, w] of weights) {
    r -= w;
    if (r < 0) return prefix;
  }
  return weights[weights.length - 1]?.[0] ?? 24;
}

/**
 * What is taken, per /24 (by its index, the address over 256): the whole /24, or some of its
 * hosts. Entries of /24 or wider take whole /24s, so two entries overlap only if they share a /24.
 */
class Occupancy {
  private readonly taken = new Map<number, true | Set<number>>();

  /** Takes the /24s [first, first + count) if none is taken and all are public. */
  takeBlocks(first: number, count: number): boolean {
    const lo = first * 256;
    const hi = (first + count) * 256 - 1;
    if (RESERVED.some(([a, b]) => lo <= b && hi >= a)) return false;
    for (let i = first; i < first + count; i++) if (this.taken.has(i)) return false;
    for (let i = first; i < first + count; i++) this.taken.set(i, true);
    return true;
  }

  /** Takes one host of a /24 if neither it nor its /24 is taken and it is public. */
  takeHost(block: number, host: number): boolean {
    const address = block * 256 + host;
    if (RESERVED.some(([a, b]) => address >= a && address <= b)) return false;
    const t = this.taken.get(block) ?? new Set<number>();
    if (t === true || t.has(host)) return false;
    t.add(host);
    this.taken.set(block, t);
    return true;
  }
}

const BLOCKS = 2 ** 24;

/** An aligned network of `prefix` (at most 24) taken at a random place, or at `after` when it is free. */
function placeNetwork(random: () => number, taken: Occupancy, prefix: number, after?: number): number {
  const count = 2 ** (24 - prefix);
  if (after !== undefined && after % count === 0 && taken.takeBlocks(after, count)) return after;
  for (;;) {
    const first = Math.floor((random() * BLOCKS) / count) * count;
    if (taken.takeBlocks(first, count)) return first;
  }
}

/** The DROP-like weights: prefix → share. */
const DROP_PREFIXES = [[16, 2], [17, 2], [18, 3], [19, 5], [20, 8], [21, 10], [22, 20], [23, 20], [24, 30]] as const;

/** `n` DROP-like networks (/16 to /24), one "cidr ; SBLnnnnnn" line each, in the order drawn. */
export function dropLikeList(n: number, seed = 1): string[] {
  const random = prng(seed);
  const taken = new Occupancy();
  return Array.from({ length: n }, (_v, i) => {
    const prefix = drawPrefix(random, DROP_PREFIXES);
    return `${dotted(placeNetwork(random, taken, prefix) * 256)}/${prefix} ; SBL${String(100000 + i)}`;
  });
}

/** The FireHOL-like shares: single hosts, /24s, and wider networks (/16 to /23). */
const FIREHOL_SHARES = { host: 0.55, slash24: 0.35 };
const WIDE_PREFIXES = [[16, 1], [17, 1], [18, 1], [19, 2], [20, 2], [21, 2], [22, 3], [23, 3]] as const;

/** `n` FireHOL-level-1-like entries: bare host addresses, /24s and some /16 to /23, one a line. */
export function fireholLikeList(n: number, seed = 2): string[] {
  const random = prng(seed);
  const taken = new Occupancy();
  let hostBlock: number | undefined;
  let lastSlash24: number | undefined;
  const out: string[] = [];
  while (out.length < n) {
    const kind = random();
    if (kind < FIREHOL_SHARES.host) {
      // Half the time another host of the last host's /24, else a /24 of its own.
      if (hostBlock === undefined || random() < 0.5) hostBlock = Math.floor(random() * BLOCKS);
      const host = Math.floor(random() * 256);
      if (taken.takeHost(hostBlock, host)) out.push(dotted(hostBlock * 256 + host));
      else hostBlock = undefined;
    } else if (kind < FIREHOL_SHARES.host + FIREHOL_SHARES.slash24) {
      // A third of the /24s follow the previous one.
      const next = lastSlash24 !== undefined && random() < 1 / 3 ? lastSlash24 + 1 : undefined;
      lastSlash24 = placeNetwork(random, taken, 24, next);
      out.push(`${dotted(lastSlash24 * 256)}/24`);
    } else {
      const prefix = drawPrefix(random, WIDE_PREFIXES);
      out.push(`${dotted(placeNetwork(random, taken, prefix) * 256)}/${prefix}`);
    }
  }
  return out;
}
