// The one parser of IP address and CIDR text in Bulkhead, both families, values held as bigint.
// Validation (is a spec's cidr canonical?), the compiler (carving addresses out of ranges) and the
// analysis (placing any stored NetworkPolicy's cidrs on its number line, src/analysis/ip.ts) all
// read text through it, so they cannot disagree about what an address is.
//
// Reading is as lenient as the API server's storage: any RFC 4291 IPv6 text form (an embedded
// IPv4 tail included) and IPv4 octets with leading zeros (read as decimal, as Kubernetes' "sloppy"
// parser does for objects stored before strict validation). Whether text is written the one way
// the API server's CEL `cidr(self).masked()` writes it (Go's netip, RFC 5952), and not an
// IPv4-mapped address, which it refuses, is `canonical`.
// Pure and dependency-free.

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** Network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** True when the text had no host bits set and was written the canonical way. */
  canonical: boolean;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses dotted-quad IPv4 into its 32-bit value; undefined for anything else (including IPv6). */
export function parseIPv4(text: string): bigint | undefined {
  const m = V4.exec(text);
  if (m === null) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
}

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
  return tail === undefined ? groups : [...groups, Number(tail >> 16n), Number(tail & 0xffffn)];
}

/**
 * Parses an IPv6 address in any RFC 4291 text form (`::`, `::1`, `2001:db8::8:800:200c:417a`,
 * `::ffff:1.2.3.4`, leading zeros in groups, either case) into its 128-bit value; undefined for
 * anything else (IPv4, a zone `%eth0`, a second `::`, too many or too few groups).
 */
export function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
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
 * Formats a 128-bit IPv6 value as RFC 5952 text, the way Go's netip does: lowercase hex, no
 * leading zeros, the longest run of two or more zero groups (the first of equals) as `::`.
 * IPv4-mapped addresses (`::ffff:0:0/96`) are written with their IPv4 tail (`::ffff:1.2.3.4`).
 */
export function formatIPv6(value: bigint): string {
  if (value >> 32n === IPV4_MAPPED_PREFIX) return `::ffff:${formatIPv4(value & 0xffffffffn)}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  const [start, length] = longestZeroRun(groups);
  const hex = (gs: readonly number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (start < 0) return hex(groups);
  return `${hex(groups.slice(0, start))}::${hex(groups.slice(start + length))}`;
}

/** Parses an address of either family; undefined when it is neither. */
export function parseAddress(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export function formatAddress(a: IpAddress): string {
  return a.family === 4 ? formatIPv4(a.value) : formatIPv6(a.value);
}

export const familyBits = (family: IpFamily): number => (family === 4 ? 32 : 128);

export function formatCidr(c: Cidr): string {
  return `${formatAddress({ family: c.family, value: c.base })}/${c.prefix}`;
}

/**
 * Parses `address/prefix` of either family. Host bits are cleared into `base` (as the API server
 * reads NetworkPolicy cidrs); the prefix is decimal without leading zeros. Undefined for anything
 * else, a bare address included.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const prefix = parsePrefix(text.slice(slash + 1));
  const address = parseAddress(text.slice(0, slash));
  if (prefix === undefined || address === undefined) return undefined;
  const { family, value } = address;
  const width = familyBits(family);
  if (prefix > width) return undefined;
  const hostBits = BigInt(width - prefix);
  const base = (value >> hostBits) << hostBits;
  const parsed: Cidr = { family, base, prefix, canonical: false };
  // The API server's CEL refuses IPv4-mapped IPv6 (::ffff:a.b.c.d) in any form, as Kubernetes'
  // strict IP validation does: such a range means IPv4 addresses an IPv6 rule would not match.
  const mapped = family === 6 && value >> 32n === IPV4_MAPPED_PREFIX;
  parsed.canonical = base === value && !mapped && formatCidr(parsed) === text;
  return parsed;
}

function parsePrefix(bits: string): number | undefined {
  if (!/^\d{1,3}$/.test(bits) || (bits.length > 1 && bits.startsWith('0'))) return undefined;
  return Number(bits);
}

/** The number of addresses in the cidr's range (a power of two). */
export const cidrSize = (c: Cidr): bigint => 1n << BigInt(familyBits(c.family) - c.prefix);

/** True when `inner` lies entirely within `outer` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const hostBits = BigInt(familyBits(outer.family) - outer.prefix);
  return inner.base >> hostBits === outer.base >> hostBits;
}

/** True when `inner` lies within `outer` and is strictly smaller (what ipBlock.except requires). */
export function cidrStrictlyContains(outer: Cidr, inner: Cidr): boolean {
  return cidrContains(outer, inner) && inner.prefix > outer.prefix;
}
