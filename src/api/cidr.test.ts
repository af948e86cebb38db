// Address and cidr text, both families: every RFC 4291 form in, RFC 5952 (Go's netip) out, and
// what counts as canonical (what the CRD's CEL rule accepts).
import fc from 'fast-check';
import { runs } from '../../e2e/harness/seed.js';
import { cidrContains, formatCidr, formatIPv4, parseAddress, parseCidr, parseIPv4, parseIPv6, formatIPv6 } from './cidr.js';

describe('parseIPv6', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::', 0x20010db8n << 96n],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', (0x20010db8n << 96n) | 1n],
    ['2001:db8::0:1', (0x20010db8n << 96n) | 1n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 0x00000002000300040005000600070008n],
    ['::ffff:1.2.3.4', 0xffff01020304n],
    ['::1.2.3.4', 0x01020304n],
    ['64:ff9b::192.0.2.33', (0x64ff9bn << 96n) | 0xc0000221n],
    ['1:2:3:4:5:6:1.2.3.4', 0x00010002000300040005000601020304n],
  ])('reads %s', (text, value) => {
    expect(parseIPv6(text)).toBe(value);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1::',
    '1::2:',
    ':1:2:3:4:5:6:7',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    'fe80::1%eth0',
    '::1.2.3',
    '::1.2.3.256',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1.2.3.4',
  ])('rejects %j', (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });
});

describe('formatIPv6 (RFC 5952)', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:0db8:0000:0000:0000:0000:0000:000a', '2001:db8::a'],
    // A single zero group is not compressed; the longest run is; of equal runs the first.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    // IPv4-mapped addresses keep their dotted tail (section 5); other embeddings are plain hex.
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['::1.2.3.4', '::102:304'],
  ])('writes %s as %s', (text, out) => {
    expect(formatIPv6(parseIPv6(text) as bigint)).toBe(out);
  });

  it('reads back what it writes, for any address', () => {
    const arbGroups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(arbGroups, (groups) => {
        const x = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
        const text = formatIPv6(x);
        expect(parseIPv6(text)).toBe(x);
        expect(text).toBe(text.toLowerCase());
        expect(text).not.toMatch(/(^|:)0[0-9a-f]/);
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0n],
    ['255.255.255.255', 0xffffffffn],
    ['10.1.2.3', 0x0a010203n],
    // Leading zeros are read as decimal, as the API server's legacy parser stored them.
    ['010.001.002.003', 0x0a010203n],
  ])('reads %s', (text, value) => {
    expect(parseIPv4(text)).toBe(value);
    expect(formatIPv4(value)).toBe(text.replace(/(^|\.)0+(\d)/g, '$1$2'));
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1.2.3.-4', '1.2.3.4 ', '::1', '0x1.2.3.4', '1234.1.1.1'])('rejects %j', (text) => {
    expect(parseIPv4(text)).toBeUndefined();
  });
});

describe('cidr text', () => {
  it.each([
    ['10.0.0.0/8', true],
    ['10.0.0.1/8', false],
    ['010.0.0.0/8', false],
    ['fd00::/8', true],
    ['fd00:0::/8', false],
    ['FD00::/8', false],
    // IPv4-mapped: refused by the API server in either form (e2e/security/differential.test.ts).
    ['::ffff:1.2.3.0/120', false],
    ['::ffff:102:300/120', false],
    ['::102:304/128', true],
  ])('%s parses, canonical=%s', (text, canonical) => {
    expect(parseCidr(text)?.canonical).toBe(canonical);
  });

  it.each(['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '::/129', '10.0.0.0/08', '10.0.0.0/8/8', 'fe80::1%eth0/64', ' 10.0.0.0/8'])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('clears host bits and writes the network back', () => {
    const c = parseCidr('2001:db8::1/32');
    expect(c === undefined ? undefined : formatCidr(c)).toBe('2001:db8::/32');
    expect(parseAddress('::1.2.3.4')).toEqual({ family: 6, value: 0x01020304n });
  });

  it('contains only within one family: ::/0 does not contain 0.0.0.0/0', () => {
    const any4 = parseCidr('0.0.0.0/0');
    const any6 = parseCidr('::/0');
    const mapped = parseCidr('::ffff:0.0.0.0/96');
    if (any4 === undefined || any6 === undefined || mapped === undefined) throw new Error('parse');
    expect(cidrContains(any6, any4)).toBe(false);
    expect(cidrContains(any6, mapped)).toBe(true);
  });

  it('reads back every canonical text it writes', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }), (v4, raw, bits) => {
        const family = v4 ? 4 : 6;
        const width = v4 ? 32 : 128;
        const prefix = bits % (width + 1);
        const value = v4 ? raw & 0xffffffffn : raw;
        const host = BigInt(width - prefix);
        const text = formatCidr({ family, base: (value >> host) << host, prefix, canonical: true });
        expect(parseCidr(text)?.canonical).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });
});
