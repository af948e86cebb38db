// Addresses of both families on one line: IPv6 text forms in and out (RFC 4291 / RFC 5952), cidrs,
// and partitions that never cross from one family to the other.
import fc from 'fast-check';
import { runs } from '../../e2e/harness/seed.js';
import {
  atomPartition,
  formatIPv6,
  formatIpInterval,
  IPV4_SPACE,
  IPV6_BASE,
  IPV6_SPACE,
  parseCidr,
  parseIp,
  parseIPv6,
  partitionIpSpace,
  subtractIpIntervals,
} from './ip.js';

const ALL_V6 = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

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
    [' fe80::1 ', (0xfe80n << 112n) | 1n],
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

describe('cidrs on the line', () => {
  it('places IPv6 after IPv4, ignoring host bits', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual(IPV4_SPACE);
    expect(parseCidr('::/0')).toEqual(IPV6_SPACE);
    expect(formatIpInterval(parseCidr('::/0'))).toBe(ALL_V6);
    expect(formatIpInterval(parseCidr('2001:db8::1/64'))).toBe('2001:db8::-2001:db8::ffff:ffff:ffff:ffff');
    expect(formatIpInterval(parseCidr('2001:db8::/32'))).toBe('2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(formatIpInterval(parseCidr('::1/128'))).toBe('::1-::1');
    expect(formatIpInterval(parseCidr('10.1.2.3/16'))).toBe('10.1.0.0-10.1.255.255');
    expect(parseIp('::')).toBe(IPV6_BASE);
    expect(parseIp('255.255.255.255')).toBe(IPV6_BASE - 1n);
  });

  it.each(['::/129', '::/', '::', '::/-1', '::/1.5', 'fe80::zz/64', '1::2::3/64', '1.2.3.4/33', '1.2.3.4/032', '1.2.3/8', '::/0/0'])('rejects %j', (cidr) => {
    expect(() => parseCidr(cidr)).toThrow(`invalid CIDR "${cidr}"`);
  });

  it('an except of the other family removes nothing', () => {
    expect(subtractIpIntervals([parseCidr('10.0.0.0/8')], [parseCidr('::/0')])).toEqual([parseCidr('10.0.0.0/8')]);
    expect(subtractIpIntervals([parseCidr('::/0')], [parseCidr('0.0.0.0/0')])).toEqual([IPV6_SPACE]);
  });
});

describe('partitions', () => {
  const dual = [IPV4_SPACE, IPV6_SPACE];
  it('cut the dual-stack world at the family boundary, even with no ipBlocks', () => {
    expect(partitionIpSpace([], dual).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255', ALL_V6]);
    expect(atomPartition([], dual).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255', ALL_V6]);
  });

  it('ignore boundaries outside the universe', () => {
    expect(atomPartition([[parseCidr('2001:db8::/32')]]).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255']);
  });

  it('split an IPv6 range where an except cuts it, and never merge across families', () => {
    const block = subtractIpIntervals([parseCidr('2001:db8::/32')], [parseCidr('2001:db8:1::/48')]);
    expect(atomPartition([block, [parseCidr('0.0.0.0/0')]], dual).map(formatIpInterval)).toEqual([
      '0.0.0.0-255.255.255.255',
      '::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff',
      '2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff',
      '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    // Neither world is in the set: in the same atom, but two ranges all the same.
    expect(atomPartition([[parseCidr('10.0.0.0/8')]], dual).map(formatIpInterval)).toEqual([
      '0.0.0.0-9.255.255.255',
      '10.0.0.0-10.255.255.255',
      '11.0.0.0-255.255.255.255',
      ALL_V6,
    ]);
  });
});
