// CIDR parsing for validation and for carving the metadata address out of egress ranges.
// Pure and dependency-free; IPv4 and IPv6, addresses held as bigint.

export interface Cidr {
  family: 4 | 6;
  /** Network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** True when the text had no host bits set and was written the canonical way. */
  canonical: boolean;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | undefined {
  const m = V4.exec(text);
  if (m === null) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const words: number[] = [];
  const push = (parts: string[]): boolean => {
    for (const p of parts) {
      if (p.includes('.')) return false; // embedded IPv4 is not needed here
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
      words.push(parseInt(p, 16));
    }
    return true;
  };
  if (!push(head)) return undefined;
  const headLen = words.length;
  if (!push(tail)) return undefined;
  const missing = 8 - words.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const full = [...words.slice(0, headLen), ...new Array<number>(missing).fill(0), ...words.slice(headLen)];
  return full.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** Formats an IPv6 address the way Go's netip does (RFC 5952), so canonical checks agree with the API server. */
function formatV6(value: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
}

export function formatCidr(c: Cidr): string {
  return `${c.family === 4 ? formatV4(c.base) : formatV6(c.base)}/${c.prefix}`;
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const prefix = parsePrefix(text.slice(slash + 1));
  const address = parseAddress(text.slice(0, slash));
  if (prefix === undefined || address === undefined) return undefined;
  const { family, value } = address;
  const width = family === 4 ? 32 : 128;
  if (prefix > width) return undefined;
  const hostBits = BigInt(width - prefix);
  const base = (value >> hostBits) << hostBits;
  const parsed: Cidr = { family, base, prefix, canonical: false };
  parsed.canonical = base === value && formatCidr(parsed) === text;
  return parsed;
}

function parsePrefix(bits: string): number | undefined {
  if (!/^\d{1,3}$/.test(bits) || (bits.length > 1 && bits.startsWith('0'))) return undefined;
  return Number(bits);
}

function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseV6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** True when `inner` lies entirely within `outer` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const width = outer.family === 4 ? 32 : 128;
  const hostBits = BigInt(width - outer.prefix);
  return inner.base >> hostBits === outer.base >> hostBits;
}

/** True when `inner` lies within `outer` and is strictly smaller (what ipBlock.except requires). */
export function cidrStrictlyContains(outer: Cidr, inner: Cidr): boolean {
  return cidrContains(outer, inner) && inner.prefix > outer.prefix;
}
