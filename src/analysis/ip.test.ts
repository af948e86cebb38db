// Addresses of both families on one line: IPv6 text forms in and out (RFC 4291 / RFC 5952), cidrs,
// and partitions that never cross from one family to the other.
import {
  atomPartition,
  formatIpInterval,
  IPV4_SPACE,
  IPV6_BASE,
  IPV6_SPACE,
  cidrInterval,
  parseIp,
  partitionIpSpace,
  subtractIpIntervals,
} from './ip.js';

const ALL_V6 = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

describe('cidrs on the line', () => {
  it('places IPv6 after IPv4, ignoring host bits', () => {
    expect(cidrInterval('0.0.0.0/0')).toEqual(IPV4_SPACE);
    expect(cidrInterval('::/0')).toEqual(IPV6_SPACE);
    expect(formatIpInterval(cidrInterval('::/0'))).toBe(ALL_V6);
    expect(formatIpInterval(cidrInterval('2001:db8::1/64'))).toBe('2001:db8::-2001:db8::ffff:ffff:ffff:ffff');
    expect(formatIpInterval(cidrInterval('2001:db8::/32'))).toBe('2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(formatIpInterval(cidrInterval('::1/128'))).toBe('::1-::1');
    expect(formatIpInterval(cidrInterval('10.1.2.3/16'))).toBe('10.1.0.0-10.1.255.255');
    expect(parseIp('::')).toBe(IPV6_BASE);
    expect(parseIp('255.255.255.255')).toBe(IPV6_BASE - 1n);
    expect(parseIp(' fe80::1 ')).toBe(IPV6_BASE + ((0xfe80n << 112n) | 1n));
  });

  it.each(['::/129', '::/', '::', '::/-1', '::/1.5', 'fe80::zz/64', '1::2::3/64', '1.2.3.4/33', '1.2.3.4/032', '1.2.3/8', '::/0/0'])('rejects %j', (cidr) => {
    expect(() => cidrInterval(cidr)).toThrow(`invalid CIDR "${cidr}"`);
  });

  it('an except of the other family removes nothing', () => {
    expect(subtractIpIntervals([cidrInterval('10.0.0.0/8')], [cidrInterval('::/0')])).toEqual([cidrInterval('10.0.0.0/8')]);
    expect(subtractIpIntervals([cidrInterval('::/0')], [cidrInterval('0.0.0.0/0')])).toEqual([IPV6_SPACE]);
  });
});

describe('partitions', () => {
  const dual = [IPV4_SPACE, IPV6_SPACE];
  it('cut the dual-stack world at the family boundary, even with no ipBlocks', () => {
    expect(partitionIpSpace([], dual).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255', ALL_V6]);
    expect(atomPartition([], dual).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255', ALL_V6]);
  });

  it('are the same when a set is given twice, as policies with the same ipBlock give it', () => {
    const block = subtractIpIntervals([cidrInterval('10.0.0.0/8')], [cidrInterval('10.1.0.0/16')]);
    const other = [cidrInterval('10.0.0.0/16')];
    expect(atomPartition([block, other, block, other, block]).map(formatIpInterval)).toEqual(atomPartition([block, other]).map(formatIpInterval));
  });

  it('ignore boundaries outside the universe', () => {
    expect(atomPartition([[cidrInterval('2001:db8::/32')]]).map(formatIpInterval)).toEqual(['0.0.0.0-255.255.255.255']);
  });

  it('split an IPv6 range where an except cuts it, and never merge across families', () => {
    const block = subtractIpIntervals([cidrInterval('2001:db8::/32')], [cidrInterval('2001:db8:1::/48')]);
    expect(atomPartition([block, [cidrInterval('0.0.0.0/0')]], dual).map(formatIpInterval)).toEqual([
      '0.0.0.0-255.255.255.255',
      '::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff',
      '2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff',
      '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    // Neither world is in the set: in the same atom, but two ranges all the same.
    expect(atomPartition([[cidrInterval('10.0.0.0/8')]], dual).map(formatIpInterval)).toEqual([
      '0.0.0.0-9.255.255.255',
      '10.0.0.0-10.255.255.255',
      '11.0.0.0-255.255.255.255',
      ALL_V6,
    ]);
  });
});
