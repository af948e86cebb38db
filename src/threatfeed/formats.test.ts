// Every feed format on real-looking documents and hostile lines: what is accepted, and every
// refused line with its number, its quoted text and the reason.
import { DEFAULT_PREFIX_BOUNDS, type FeedFormat, MAX_LINE_LENGTH, parseFeed, parseFeedLines, quote } from './formats.js';

const accepted = (doc: string, format: FeedFormat): string[] => parseFeed(doc, format).accepted.map((e) => e.text);
const reasons = (doc: string, format: FeedFormat): [number, string][] => parseFeed(doc, format).rejected.map((r) => [r.line, r.reason]);

describe('Spamhaus DROP text', () => {
  const doc = [
    '; Spamhaus DROP List 2026/12/01 - (c) 2026 The Spamhaus Project SLU',
    '; https://www.spamhaus.org/drop/drop.txt',
    '; Last-Modified: Tue, 01 Dec 2026 05:17:00 GMT',
    '1.10.16.0/20 ; SBL256894',
    '1.19.0.0/16 ; SBL434604',
    '2001:678:254::/48 ; SBL697648',
    '',
  ].join('\n');

  it('reads each network and skips the header comments', () => {
    expect(parseFeed(doc, 'SpamhausDROP')).toEqual({
      accepted: [
        { cidr: { family: 4, base: 0x010a1000n, prefix: 20, canonical: true }, text: '1.10.16.0/20', line: 4 },
        { cidr: { family: 4, base: 0x01130000n, prefix: 16, canonical: true }, text: '1.19.0.0/16', line: 5 },
        { cidr: { family: 6, base: 0x20010678_0254n << 80n, prefix: 48, canonical: true }, text: '2001:678:254::/48', line: 6 },
      ],
      rejected: [],
      duplicates: 0,
    });
  });

  it('takes CRLF line ends, a byte order mark, trailing whitespace and a "#" comment', () => {
    const crlf = '\uFEFF; header\r\n1.10.16.0/20 ; SBL256894 \r\n  1.19.0.0/16\t\r\n# a note\r\n';
    expect(accepted(crlf, 'SpamhausDROP')).toEqual(['1.10.16.0/20', '1.19.0.0/16']);
    expect(parseFeed(crlf, 'SpamhausDROP').rejected).toEqual([]);
  });

  it('refuses a bare address: the list names networks', () => {
    expect(reasons('1.2.3.4 ; SBL1\n', 'SpamhausDROP')).toEqual([[1, 'a bare address: this format lists networks as CIDRs (address/prefix)']]);
  });
});

describe('Spamhaus DROP JSON lines (drop_v4.json, drop_v6.json)', () => {
  const v4 = [
    '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
    '{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}',
    '{"type":"metadata","timestamp":1796103000,"size":1234,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU"}',
    '',
  ].join('\n');
  const v6 = [
    '{"cidr":"2001:678:254::/48","sblid":"SBL697648","rir":"ripencc"}',
    '{"cidr":"2a06:e480::/29","sblid":"SBL301771","rir":"ripencc"}',
    '{"type":"metadata","timestamp":1796103000,"size":222,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU"}',
  ].join('\n');

  it('reads the cidr of each record and checks the record count of the metadata line', () => {
    expect(parseFeed(v4, 'SpamhausDROPJSON')).toEqual({
      accepted: [expect.objectContaining({ text: '1.10.16.0/20', line: 1 }), expect.objectContaining({ text: '1.19.0.0/16', line: 2 })],
      rejected: [],
      duplicates: 0,
    });
    expect(accepted(v6, 'SpamhausDROPJSON')).toEqual(['2001:678:254::/48', '2a06:e480::/29']);
    expect(parseFeed(v6, 'SpamhausDROPJSON').incomplete).toBeUndefined();
  });

  it('says a file without its metadata line, or with another record count, may be cut short', () => {
    const cut = v4.split('\n').slice(0, 1).join('\n');
    expect(parseFeed(cut, 'SpamhausDROPJSON').incomplete).toBe('no metadata line ({"type": "metadata", …}) at the end: the file may be cut short');
    const miscounted = v4.replace('"records":2', '"records":1500');
    expect(parseFeed(miscounted, 'SpamhausDROPJSON').incomplete).toBe('the metadata line (line 3) counts 1500 records, the file has 2');
  });

  it('refuses lines that are not records, and counts them as records for the metadata check', () => {
    const doc = ['not json', '[1,2]', '{"sblid":"SBL1"}', '{"cidr":42}', '{"cidr":"1.2.3.4"}', '{"cidr":"1.10.16.0/20"}', '{"type":"metadata","records":6}'].join('\n');
    const parsed = parseFeed(doc, 'SpamhausDROPJSON');
    expect(parsed.rejected.map((r) => [r.line, r.reason])).toEqual([
      [1, 'does not parse: not a JSON object'],
      [2, 'does not parse: not a JSON object'],
      [3, 'does not parse: no "cidr" string in the object'],
      [4, 'does not parse: no "cidr" string in the object'],
      [5, 'a bare address: this format lists networks as CIDRs (address/prefix)'],
    ]);
    expect(parsed.accepted.map((e) => e.text)).toEqual(['1.10.16.0/20']);
    expect(parsed.incomplete).toBeUndefined();
  });
});

describe('FireHOL netset', () => {
  const doc = [
    '#',
    '# firehol_level1',
    '#',
    '# Maintainer      : FireHOL',
    '#',
    '0.0.0.0/8',
    '1.10.16.0/20',
    '5.188.10.179',
    '2001:db8::1',
    '',
  ].join('\n');

  it('reads networks and bare hosts (as /32 and /128); a /8 is the default bound itself', () => {
    expect(accepted(doc, 'FireHOLNetset')).toEqual(['0.0.0.0/8', '1.10.16.0/20', '5.188.10.179/32', '2001:db8::1/128']);
    // 0.0.0.0/8 is not broader than /8, so only a tighter bound refuses it.
    expect(parseFeed(doc, 'FireHOLNetset', { ipv4: 9, ipv6: 32 }).rejected).toEqual([
      { line: 6, text: '0.0.0.0/8', reason: 'broader than /9, the bound for IPv4 (maxPrefix.ipv4)' },
    ]);
  });

  it('takes ";" as no comment: a ";" line is refused', () => {
    expect(reasons('1.10.16.0/20 ; SBL1', 'FireHOLNetset')).toEqual([[1, 'does not parse: more than one field before the comment']]);
  });
});

describe('plain list', () => {
  it('takes "#" and ";" comments, whole-line and trailing, and bare addresses', () => {
    expect(accepted('# mine\n; also mine\n203.0.113.7 # a scanner\n198.51.100.0/24 ; a range\n', 'PlainList')).toEqual(['203.0.113.7/32', '198.51.100.0/24']);
  });
});

describe('hostile lines, in every format', () => {
  const textFormats: FeedFormat[] = ['SpamhausDROP', 'FireHOLNetset', 'PlainList'];
  const cases: [string, string, string][] = [
    ['the whole IPv4 space', '0.0.0.0/0', 'the whole address space: a feed cannot block every address'],
    ['the whole IPv6 space', '::/0', 'the whole address space: a feed cannot block every address'],
    ['broader than /8', '10.0.0.0/7', 'broader than /8, the bound for IPv4 (maxPrefix.ipv4)'],
    ['broader than /24 (IPv6)', '2001::/16', 'broader than /24, the bound for IPv6 (maxPrefix.ipv6)'],
    ['host bits set', '1.10.16.1/20', 'not a network: host bits are set (the network would be 1.10.16.0/20)'],
    ['host bits set (IPv6)', '2001:db8::1/64', 'not a network: host bits are set (the network would be 2001:db8::/64)'],
    ['an IPv6 zone id', 'fe80::1%eth0/128', 'an IPv6 zone id: it names a link of one host, not a network'],
    ['a leading zero', '010.10.16.0/20', 'does not parse: an IPv4 octet with a leading zero is ambiguous (octal to some readers)'],
    ['an octet over 255', '1.10.256.0/24', 'does not parse: not an IPv4 or IPv6 CIDR'],
    ['a prefix over 32', '1.10.16.0/33', 'does not parse: not an IPv4 or IPv6 CIDR'],
    ['a prefix with a leading zero', '1.10.16.0/020', 'does not parse: not an IPv4 or IPv6 CIDR'],
    ['two slashes', '1.10.16.0/20/4', 'does not parse: not an IPv4 or IPv6 CIDR'],
    ['a word', 'localhost/32', 'does not parse: not an IPv4 or IPv6 CIDR'],
    ['two fields', '1.10.16.0/20 1.19.0.0/16', 'does not parse: more than one field before the comment'],
    ['an IPv4-mapped IPv6 network', '::ffff:1.10.16.0/116', 'an IPv4-mapped IPv6 address (::ffff:a.b.c.d): a NetworkPolicy would not block the IPv4 addresses it means; write the IPv4 network'],
  ];

  it.each(textFormats)('%s: each refused with its line number and reason', (format) => {
    const doc = ['1.10.16.0/20', ...cases.map(([, line]) => line)].join('\r\n');
    const parsed = parseFeed(doc, format);
    expect(parsed.accepted.map((e) => e.text)).toEqual(['1.10.16.0/20']);
    expect(parsed.rejected).toEqual(cases.map(([, line, reason], i) => ({ line: i + 2, text: line, reason })));
  });

  it('refuses a line over the length cap unread, quoting its start', () => {
    const long = `1.10.16.0/20 ; ${'x'.repeat(MAX_LINE_LENGTH)}`;
    for (const format of [...textFormats, 'SpamhausDROPJSON'] as FeedFormat[]) {
      const next = format === 'SpamhausDROPJSON' ? '{"cidr":"1.19.0.0/16"}' : '1.19.0.0/16';
      const parsed = parseFeed(`${long}\n${next}`, format);
      expect([format, parsed.rejected]).toEqual([format, [{ line: 1, text: quote(long), reason: `longer than ${MAX_LINE_LENGTH} characters (${long.length})` }]]);
      expect(quote(long)).toHaveLength(80);
      expect(quote(long).endsWith('…')).toBe(true);
    }
    // At the cap itself the line is read.
    const atCap = `1.10.16.0/20 #${'x'.repeat(MAX_LINE_LENGTH - 14)}`;
    expect(atCap).toHaveLength(MAX_LINE_LENGTH);
    expect(parseFeed(atCap, 'PlainList')).toMatchObject({ accepted: [{ text: '1.10.16.0/20' }], rejected: [] });
  });

  it('accepts a repeated network once, however it is written, and counts the repeats', () => {
    const parsed = parseFeed('2001:db8::/32\n2001:0DB8:0:0::/32\n1.10.16.0/20\n1.10.16.0/20\n', 'PlainList');
    expect(parsed.accepted.map((e) => [e.text, e.line])).toEqual([['2001:db8::/32', 1], ['1.10.16.0/20', 3]]);
    expect(parsed.duplicates).toBe(2);
    expect(parsed.rejected).toEqual([]);
  });

  it('applies the bounds it is given, per family', () => {
    const doc = '1.10.0.0/16\n2001:db8::/32\n2001:db8::/48\n';
    expect(parseFeed(doc, 'PlainList', { ipv4: 24, ipv6: 40 }).rejected.map((r) => r.line)).toEqual([1, 2]);
    expect(parseFeed(doc, 'PlainList', DEFAULT_PREFIX_BOUNDS).rejected).toEqual([]);
    // The defaults: /8 and /24 themselves pass, one bit broader does not.
    expect(DEFAULT_PREFIX_BOUNDS).toEqual({ ipv4: 8, ipv6: 24 });
    expect(parseFeed('10.0.0.0/8\n2a00::/24\n10.0.0.0/7\n2a00::/23\n', 'PlainList').rejected.map((r) => r.line)).toEqual([3, 4]);
  });

  it('never throws, and accounts for every line, on arbitrary text', () => {
    const noise = ['{"cidr":', '\u0000\u0001', '\uD800', '::::', '1.2.3.4/', '/24', '%', '{"type":"metadata","records":"x"}', ' \t ', '\r'];
    for (const format of [...textFormats, 'SpamhausDROPJSON'] as FeedFormat[]) {
      expect(() => parseFeed(noise.join('\n'), format)).not.toThrow();
    }
  });

  it('quotes a long line without splitting a character in two', () => {
    const emoji = `${'x'.repeat(78)}\u{1F600}${'y'.repeat(2000)}`;
    expect(quote(emoji)).toBe(`${'x'.repeat(78)}…`);
    expect(parseFeed(emoji, 'PlainList').rejected[0]?.text).toBe(`${'x'.repeat(78)}…`);
  });

  it('reports lines that end in a lone CR as the same line (CR before LF only is a line end)', () => {
    expect(parseFeed('1.10.16.0/20\r\r\n', 'PlainList')).toMatchObject({ accepted: [{ text: '1.10.16.0/20' }], rejected: [] });
  });
});

describe('inline lists', () => {
  it('numbers each item as a line and refuses an item that holds a line end', () => {
    const parsed = parseFeedLines(['1.10.16.0/20 ; SBL256894', '1.19.0.0/16\n0.0.0.0/0', '0.0.0.0/0'], 'SpamhausDROP');
    expect(parsed.accepted.map((e) => e.text)).toEqual(['1.10.16.0/20']);
    expect(parsed.rejected).toEqual([
      { line: 2, text: '1.19.0.0/16\n0.0.0.0/0', reason: 'an inline entry holds a line end: give one line per item' },
      { line: 3, text: '0.0.0.0/0', reason: 'the whole address space: a feed cannot block every address' },
    ]);
  });

  it('expects no metadata line in Spamhaus JSON given inline', () => {
    expect(parseFeedLines(['{"cidr":"1.10.16.0/20"}'], 'SpamhausDROPJSON')).toEqual({
      accepted: [expect.objectContaining({ text: '1.10.16.0/20' })],
      rejected: [],
      duplicates: 0,
    });
  });
});
