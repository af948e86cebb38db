// Readers of the blocklist formats a ThreatFeed names, each turning a document into the networks it
// lists (read by src/api/cidr.ts, Bulkhead's one parser of address text) and every line it refuses,
// with the line number, the text and why. Pure: no I/O, and nothing here throws on its input, so a
// hostile or broken feed is counted and reported, never a crash and never an open policy.
//
// What every format refuses (a line is one entry; blank and comment lines are neither):
// - a line longer than MAX_LINE_LENGTH characters, before looking inside it;
// - text that is not an address or CIDR of either family, or holds more than one field;
// - an IPv6 zone id (`fe80::1%eth0`): it names a link of one host, not a network;
// - IPv4 octets written with leading zeros (`010.0.0.0/8`): some readers take them as octal, so
//   the network meant is ambiguous;
// - host bits set (`1.10.16.1/20`): a feed that means a network writes its network address, and
//   guessing which one was meant could block the wrong range; the reason names the network the
//   text would clear to;
// - the whole address space (`0.0.0.0/0`, `::/0`), and any entry broader than the feed's bound
//   (default /8 for IPv4, /24 for IPv6: DEFAULT_PREFIX_BOUNDS), so that a typo cannot cut a
//   cluster off the internet;
// - an IPv4-mapped IPv6 network (`::ffff:1.2.3.0/120`): it means IPv4 addresses, which a
//   NetworkPolicy except written in IPv6 would not block;
// - a bare address where the format lists only networks (both Spamhaus formats). FireHOL netsets
//   and plain lists write single hosts as bare addresses; there they are /32 (IPv4) or /128 (IPv6).
// A repeated network (after canonical formatting) is accepted once and counted in `duplicates`.
// A byte order mark at the start, CRLF line ends and surrounding whitespace are ignored.
import { type Cidr, type IpFamily, familyBits, formatCidr, parseAddress, parseCidr } from '../api/cidr.js';
import { DEFAULT_MAX_PREFIX, MAX_LINE_LENGTH, type ThreatFeedFormat } from '../api/threatfeed.js';

export type FeedFormat = ThreatFeedFormat;

/** Longer lines are refused unread: no real feed line comes close (a CIDR and a comment). */
export { MAX_LINE_LENGTH };
/** How much of a refused line a rejection quotes. */
export const QUOTE_LENGTH = 80;

/** The broadest network accepted per family, as a prefix length: a shorter prefix is refused. */
export interface PrefixBounds {
  ipv4: number;
  ipv6: number;
}

/**
 * /8 for IPv4: a network of more than 16 million addresses is no plausible blocklist entry, and a
 * typo that drops a digit of the prefix (`64.0.0.0/2` for `64.0.0.0/24`) is refused. /24 for IPv6: registries allocate /29 to /32 to most members (hijacked allocations of
 * that size are what Spamhaus DROPv6 lists), and the bound leaves room for the larger ones while
 * refusing a typo such as `2001::/16` for `2001:db8::/32`.
 */
export const DEFAULT_PREFIX_BOUNDS: PrefixBounds = DEFAULT_MAX_PREFIX;

export interface FeedEntry {
  cidr: Cidr;
  /** The network in canonical text (RFC 5952 for IPv6), as it goes into a NetworkPolicy. */
  text: string;
  /** 1-based line of the document it was read from (its first occurrence). */
  line: number;
}

export interface Rejection {
  /** 1-based line number in the document. */
  line: number;
  /** The line as given, cut to QUOTE_LENGTH characters (with "…" when cut). */
  text: string;
  reason: string;
}

export interface ParsedFeed {
  /** Every distinct network, in document order. */
  accepted: FeedEntry[];
  rejected: Rejection[];
  /** Entry lines that repeated an accepted network. */
  duplicates: number;
  /**
   * Why the document as a whole looks cut short, when it does (Spamhaus JSON without its closing
   * metadata line, or with a record count that differs from its lines). A reader acting on the
   * feed should treat it like a failed read and keep its last good set.
   */
  incomplete?: string;
}

/** What one line holds: nothing (blank or comment), an entry's text, or a refusal. */
type LineItem = { kind: 'skip' } | { kind: 'entry'; text: string; bareAllowed: boolean } | { kind: 'reject'; reason: string } | { kind: 'metadata'; records: number | undefined };

const SKIP: LineItem = { kind: 'skip' };

/** Cuts a line for quoting in a rejection. */
export function quote(text: string): string {
  if (text.length <= QUOTE_LENGTH) return text;
  const cut = text.slice(0, QUOTE_LENGTH - 1);
  // Never half of a surrogate pair: the status would carry an invalid character.
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/** The text before the first of the comment characters; the whole line when none occurs. */
function beforeComment(line: string, markers: readonly string[]): string {
  const at = markers.map((m) => line.indexOf(m)).filter((i) => i >= 0);
  return at.length === 0 ? line : line.slice(0, Math.min(...at));
}

/** A line of a text format: its one field (comments cut, trimmed), or a refusal. */
function textField(line: string, markers: readonly string[], bareAllowed: boolean): LineItem {
  const field = beforeComment(line, markers).trim();
  if (field === '') return SKIP;
  if (/\s/.test(field)) return { kind: 'reject', reason: 'does not parse: more than one field before the comment' };
  return { kind: 'entry', text: field, bareAllowed };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A line of Spamhaus DROP JSON: `{"cidr": "…", "sblid": "…", "rir": "…"}` or the metadata line. */
function jsonLine(line: string): LineItem {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return SKIP;
  const value = jsonValue(trimmed);
  if (!isObject(value)) return { kind: 'reject', reason: 'does not parse: not a JSON object' };
  if (value['type'] === 'metadata') return { kind: 'metadata', records: typeof value['records'] === 'number' ? value['records'] : undefined };
  const cidr = value['cidr'];
  if (typeof cidr !== 'string') return { kind: 'reject', reason: 'does not parse: no "cidr" string in the object' };
  return { kind: 'entry', text: cidr.trim(), bareAllowed: false };
}

const READERS: Record<FeedFormat, (line: string) => LineItem> = {
  // `1.10.16.0/20 ; SBL256894`; the header lines are `;` comments.
  SpamhausDROP: (line) => textField(line, [';', '#'], false),
  SpamhausDROPJSON: jsonLine,
  // FireHOL writes `#` comments and single hosts as bare addresses.
  FireHOLNetset: (line) => textField(line, ['#'], true),
  PlainList: (line) => textField(line, ['#', ';'], true),
};

const LEADING_ZERO_OCTET = /(^|\.)0\d/;

/** Why the text cannot even be read as an address: a zone id, or an ambiguous IPv4 octet. */
function unreadable(address: string): string | undefined {
  if (address.includes('%')) return 'an IPv6 zone id: it names a link of one host, not a network';
  const ipv4 = address.includes('.') && !address.includes(':');
  if (ipv4 && LEADING_ZERO_OCTET.test(address)) return 'does not parse: an IPv4 octet with a leading zero is ambiguous (octal to some readers)';
  return undefined;
}

/** Reads an entry's text as a network, or says why it is not one. */
export function readNetwork(text: string, bareAllowed: boolean): Cidr | string {
  const bare = !text.includes('/');
  const why = unreadable(bare ? text : text.slice(0, text.indexOf('/')));
  if (why !== undefined) return why;
  const network = bare ? hostNetwork(text) : parseCidr(text);
  if (network === undefined) return bare ? 'does not parse: not an IPv4 or IPv6 address or CIDR' : 'does not parse: not an IPv4 or IPv6 CIDR';
  if (network.family === 6 && isIPv4Mapped(network)) {
    return 'an IPv4-mapped IPv6 address (::ffff:a.b.c.d): a NetworkPolicy would not block the IPv4 addresses it means; write the IPv4 network';
  }
  if (bare && !bareAllowed) return 'a bare address: this format lists networks as CIDRs (address/prefix)';
  return network;
}

/** A bare address as the network of that one host (/32, /128). */
function hostNetwork(text: string): Cidr | undefined {
  const bare = parseAddress(text);
  return bare === undefined ? undefined : { family: bare.family, base: bare.value, prefix: familyBits(bare.family), canonical: true };
}

/** Whether an IPv6 network lies within ::ffff:0:0/96, where IPv4 addresses are written as IPv6. */
const isIPv4Mapped = (c: Cidr): boolean => c.prefix >= 96 && c.base >> 32n === 0xffffn;

/** Why a network is refused under the bounds; undefined when it is accepted. */
export function refusal(cidr: Cidr, text: string, bounds: PrefixBounds): string | undefined {
  const { base, prefix } = cidr;
  const written = networkValue(text);
  if (written !== undefined && written !== base) return `not a network: host bits are set (the network would be ${formatCidr(cidr)})`;
  if (prefix === 0) return 'the whole address space: a feed cannot block every address';
  const bound = boundOf(cidr.family, bounds);
  if (prefix < bound) return `broader than /${bound}, the bound for ${familyName(cidr.family)} (maxPrefix.${familyName(cidr.family).toLowerCase()})`;
  return undefined;
}

const familyName = (family: IpFamily): string => (family === 4 ? 'IPv4' : 'IPv6');
const boundOf = (family: IpFamily, bounds: PrefixBounds): number => (family === 4 ? bounds.ipv4 : bounds.ipv6);

/** The address part of `address/prefix` text; undefined for a bare address. */
function slashAddress(text: string): string | undefined {
  const slash = text.indexOf('/');
  return slash < 0 ? undefined : text.slice(0, slash);
}

/** The value of the address written before the slash (host bits included). */
function networkValue(text: string): bigint | undefined {
  const address = slashAddress(text);
  return address === undefined ? undefined : parseAddress(address)?.value;
}

/** The lines of a document: a leading byte order mark dropped, split at LF with any CR before it. */
export function feedLines(document: string): string[] {
  const text = document.startsWith('\uFEFF') ? document.slice(1) : document;
  const lines = text.split(/\r?\n/);
  // A final line end closes the last line; it does not open an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Collects the entries of a document as its lines are read. */
class Collector {
  readonly accepted: FeedEntry[] = [];
  readonly rejected: Rejection[] = [];
  duplicates = 0;
  entryLines = 0;
  metadata: { line: number; records: number | undefined } | undefined;
  private readonly seen = new Set<string>();

  constructor(private readonly bounds: PrefixBounds) {}

  reject(line: number, raw: string, reason: string): void {
    this.rejected.push({ line, text: quote(raw), reason });
  }

  entry(line: number, raw: string, text: string, bareAllowed: boolean): void {
    this.entryLines++;
    const network = readNetwork(text, bareAllowed);
    if (typeof network === 'string') return this.reject(line, raw, network);
    const why = refusal(network, text, this.bounds);
    if (why !== undefined) return this.reject(line, raw, why);
    const canonical = formatCidr(network);
    if (this.seen.has(canonical)) {
      this.duplicates++;
      return;
    }
    this.seen.add(canonical);
    this.accepted.push({ cidr: { ...network, canonical: true }, text: canonical, line });
  }
}

function readLine(c: Collector, read: (line: string) => LineItem, raw: string, line: number): void {
  if (raw.length > MAX_LINE_LENGTH) {
    c.entryLines++;
    return c.reject(line, raw, `longer than ${MAX_LINE_LENGTH} characters (${raw.length})`);
  }
  const item = read(raw);
  if (item.kind === 'entry') return c.entry(line, raw, item.text, item.bareAllowed);
  if (item.kind === 'reject') {
    c.entryLines++;
    return c.reject(line, raw, item.reason);
  }
  if (item.kind === 'metadata') c.metadata = { line, records: item.records };
}

/** Spamhaus JSON ends with a metadata line that counts the records: without it the file was cut. */
function completeness(c: Collector): string | undefined {
  if (c.metadata === undefined) return 'no metadata line ({"type": "metadata", …}) at the end: the file may be cut short';
  const { records } = c.metadata;
  if (records !== undefined && records !== c.entryLines) {
    return `the metadata line (line ${c.metadata.line}) counts ${records} records, the file has ${c.entryLines}`;
  }
  return undefined;
}

function result(c: Collector): ParsedFeed {
  return { accepted: c.accepted, rejected: c.rejected, duplicates: c.duplicates };
}

/** Reads a feed document (a ConfigMap value, an HTTPS body) in the given format. Never throws on the document. */
export function parseFeed(document: string, format: FeedFormat, bounds: PrefixBounds = DEFAULT_PREFIX_BOUNDS): ParsedFeed {
  const c = new Collector(bounds);
  const read = READERS[format];
  feedLines(document).forEach((raw, i) => readLine(c, read, raw, i + 1));
  const parsed = result(c);
  const incomplete = format === 'SpamhausDROPJSON' ? completeness(c) : undefined;
  if (incomplete !== undefined) parsed.incomplete = incomplete;
  return parsed;
}

/**
 * Reads an inline list: each item one line of the format, numbered from 1. An item that holds a
 * line end is refused whole (it would shift every later line number). No metadata line is
 * expected, whatever the format.
 */
export function parseFeedLines(lines: readonly string[], format: FeedFormat, bounds: PrefixBounds = DEFAULT_PREFIX_BOUNDS): ParsedFeed {
  const c = new Collector(bounds);
  const read = READERS[format];
  lines.forEach((raw, i) => {
    if (!/[\r\n]/.test(raw)) return readLine(c, read, raw, i + 1);
    c.entryLines++;
    c.reject(i + 1, raw, 'an inline entry holds a line end: give one line per item');
  });
  return result(c);
}
