// Merging keeps exactly the same addresses (property test: random addresses and every boundary ±1),
// in the fewest CIDRs; carving a feed out of one ipBlock; the digest of a set.
import fc from 'fast-check';
import { runs } from '../../e2e/harness/seed.js';
import { type Cidr, type IpFamily, cidrContains, cidrSize, familyBits, formatCidr, parseCidr } from '../api/cidr.js';
import { BlockedSet, canonicalList, carve, feedDigest, isWhollyBlocked, mergeCidrs } from './merge.js';

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (c === undefined) throw new Error(`bad test cidr ${text}`);
  return c;
};
const texts = (cs: readonly Cidr[]): string[] => cs.map(formatCidr);
const merged = (...ts: string[]): string[] => texts(mergeCidrs(ts.map(cidr)));

describe('mergeCidrs', () => {
  it.each([
    ['nothing', [], []],
    ['adjacent siblings', ['10.0.0.0/25', '10.0.0.128/25'], ['10.0.0.0/24']],
    ['four quarters, out of order', ['10.0.0.192/26', '10.0.0.0/26', '10.0.0.128/26', '10.0.0.64/26'], ['10.0.0.0/24']],
    ['a network inside another', ['10.0.0.0/16', '10.0.3.0/24'], ['10.0.0.0/16']],
    ['duplicates', ['1.10.16.0/20', '1.10.16.0/20'], ['1.10.16.0/20']],
    ['adjacent but not aligned: stays two', ['10.0.1.0/24', '10.0.2.0/24'], ['10.0.1.0/24', '10.0.2.0/24']],
    ['three /24 that make a /23 and a /24', ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'], ['10.0.0.0/23', '10.0.2.0/24']],
    ['IPv6 siblings', ['2001:db8::/33', '2001:db8:8000::/33'], ['2001:db8::/32']],
    ['families kept apart, IPv4 first', ['2001:db8::/32', '10.0.0.0/8', '::a00:0/104'], ['10.0.0.0/8', '::a00:0/104', '2001:db8::/32']],
    ['the top of the space', ['255.255.255.254/32', '255.255.255.255/32'], ['255.255.255.254/31']],
  ])('%s', (_what, input, want) => {
    expect(merged(...input)).toEqual(want);
  });
});

/**
 * A CIDR of the family of `minHostBits` to `maxHostBits` host bits, near one of four anchors of its
 * space, so that entries overlap, nest and touch often.
 */
const arbCidr = (family: IpFamily, minHostBits = 0, maxHostBits = 10): fc.Arbitrary<Cidr> => {
  const width = familyBits(family);
  return fc.tuple(fc.integer({ min: 0, max: 3 }), fc.bigInt({ min: 0n, max: 255n }), fc.integer({ min: width - maxHostBits, max: width - minHostBits })).map(([anchor, offset, prefix]) => {
    const base = (BigInt(anchor) << BigInt(width - 2)) + offset * 4n;
    const hostBits = BigInt(width - prefix);
    return { family, base: (base >> hostBits) << hostBits, prefix, canonical: true };
  });
};

const arbSet = fc.array(fc.oneof(arbCidr(4), arbCidr(6)), { maxLength: 24 });

const covers = (set: readonly Cidr[], family: IpFamily, value: bigint): boolean =>
  set.some((c) => c.family === family && value >= c.base && value < c.base + cidrSize(c));

/** Every start and end of every input CIDR, ±1, within the family's space. */
function boundaries(set: readonly Cidr[]): [IpFamily, bigint][] {
  return set.flatMap((c) => {
    const top = (1n << BigInt(familyBits(c.family))) - 1n;
    const end = c.base + cidrSize(c) - 1n;
    return [c.base - 1n, c.base, c.base + 1n, end - 1n, end, end + 1n].filter((v) => v >= 0n && v <= top).map((v): [IpFamily, bigint] => [c.family, v]);
  });
}

const compare = (a: Cidr, b: Cidr): number => (a.family !== b.family ? a.family - b.family : a.base < b.base ? -1 : a.base > b.base ? 1 : 0);

describe('mergeCidrs, as a property', () => {
  it('covers exactly the same addresses: every boundary ±1 and random addresses', () => {
    fc.assert(
      fc.property(arbSet, fc.array(fc.tuple(fc.constantFrom<IpFamily>(4, 6), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })), { maxLength: 32 }), (input, randoms) => {
        const out = mergeCidrs(input);
        const probes = [...boundaries(input), ...randoms.map(([f, v]): [IpFamily, bigint] => [f, f === 4 ? v & 0xffffffffn : v])];
        for (const [family, value] of probes) expect([family, value, covers(out, family, value)]).toEqual([family, value, covers(input, family, value)]);
      }),
      { numRuns: runs(300) },
    );
  });

  it('is sorted, disjoint, with no two mergeable, canonical, and idempotent', () => {
    fc.assert(
      fc.property(arbSet, (input) => {
        const out = mergeCidrs(input);
        for (let i = 1; i < out.length; i++) {
          const [a, b] = [out[i - 1] as Cidr, out[i] as Cidr];
          expect(compare(a, b)).toBeLessThan(0);
          if (a.family !== b.family) continue;
          // Disjoint: b starts after a ends.
          expect(b.base).toBeGreaterThan(a.base + cidrSize(a) - 1n);
          // Not mergeable: siblings of one parent would be one CIDR.
          const siblings = a.prefix === b.prefix && a.prefix > 0 && a.base + cidrSize(a) === b.base && (a.base >> BigInt(familyBits(a.family) - a.prefix + 1)) === (b.base >> BigInt(familyBits(a.family) - a.prefix + 1));
          expect(siblings).toBe(false);
        }
        for (const c of out) expect(parseCidr(formatCidr(c))?.canonical).toBe(true);
        expect(texts(mergeCidrs(out))).toEqual(texts(out));
        // Never more CIDRs than went in.
        expect(out.length).toBeLessThanOrEqual(input.length);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('carve', () => {
  const feed = ['1.10.16.0/20', '1.19.0.0/16', '10.1.0.0/25', '10.1.0.128/25', '10.2.0.0/16', '2001:db8::/32'].map(cidr);

  it('keeps the blocked networks inside the allowed CIDR, merged', () => {
    expect(carve(cidr('10.0.0.0/8'), feed)).toEqual(['10.1.0.0/24', '10.2.0.0/16']);
    expect(carve(cidr('0.0.0.0/0'), feed)).toEqual(['1.10.16.0/20', '1.19.0.0/16', '10.1.0.0/24', '10.2.0.0/16']);
    expect(carve(cidr('::/0'), feed)).toEqual(['2001:db8::/32']);
  });

  it('is empty when nothing blocked lies inside (another family, or elsewhere)', () => {
    expect(carve(cidr('192.168.0.0/16'), feed)).toEqual([]);
    expect(carve(cidr('fd00::/8'), feed)).toEqual([]);
    expect(carve(cidr('10.0.0.0/8'), [])).toEqual([]);
  });

  it('every entry it returns lies strictly inside the allowed CIDR (what ipBlock.except requires), and the reachable addresses are exactly those not blocked', () => {
    fc.assert(
      // Allowed CIDRs broader than most entries, so that most carve something out.
      fc.property(fc.oneof(arbCidr(4, 4, 12), arbCidr(6, 4, 12)), arbSet, (allowed, blocked) => {
        const carved = carve(allowed, blocked);
        const family = allowed.family;
        const inAllowed = (v: bigint): boolean => v >= allowed.base && v < allowed.base + cidrSize(allowed);
        const probes = boundaries([allowed, ...blocked.filter((b) => b.family === family)]).filter(([f, v]) => f === family && inAllowed(v));
        if (isWhollyBlocked(carved)) {
          // Then the blocked networks really cover every address of the allowed one.
          for (const [, v] of probes) expect(covers(blocked, family, v)).toBe(true);
          expect(mergeCidrs(carved.by.map(cidr)).some((c) => cidrContains(c, allowed))).toBe(true);
          return;
        }
        for (const e of carved.map(cidr)) expect(cidrContains(allowed, e) && e.prefix > allowed.prefix).toBe(true);
        for (const [, v] of probes) expect([v, covers(carved.map(cidr), family, v)]).toEqual([v, covers(blocked, family, v)]);
        // Some address of the allowed CIDR stays reachable.
        expect(carved.length === 0 || mergeCidrs(carved.map(cidr)).every((c) => c.prefix > allowed.prefix)).toBe(true);
      }),
      { numRuns: runs(300) },
    );
  });

  it('says the whole allowed CIDR is blocked when one entry contains or equals it, or entries fill it', () => {
    expect(carve(cidr('1.10.20.0/24'), feed)).toEqual({ whollyBlocked: true, by: ['1.10.16.0/20'] });
    expect(carve(cidr('1.19.0.0/16'), feed)).toEqual({ whollyBlocked: true, by: ['1.19.0.0/16'] });
    expect(carve(cidr('10.1.0.0/24'), feed)).toEqual({ whollyBlocked: true, by: ['10.1.0.0/24'] });
    expect(isWhollyBlocked(carve(cidr('10.1.0.0/24'), feed))).toBe(true);
    expect(isWhollyBlocked(carve(cidr('10.0.0.0/8'), feed))).toBe(false);
  });
});

describe('BlockedSet', () => {
  it('carves as carve does, for every allowed CIDR, with the covering network merged', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbCidr(4, 0, 12), arbCidr(6, 0, 12)), { maxLength: 8 }), arbSet, (alloweds, blocked) => {
        const set = new BlockedSet(blocked);
        for (const allowed of alloweds) {
          const want = carve(allowed, blocked);
          const got = set.carve(allowed);
          if (isWhollyBlocked(want)) {
            // carve names every covering entry; the set names the one merged network that holds them.
            expect(isWhollyBlocked(got)).toBe(true);
            if (isWhollyBlocked(got)) expect(got.by.map(cidr).every((c) => cidrContains(c, allowed))).toBe(true);
          } else {
            expect([formatCidr(allowed), got]).toEqual([formatCidr(allowed), want]);
          }
        }
        expect(set.digest()).toBe(feedDigest(blocked));
        expect(texts(set.cidrs)).toEqual(texts(mergeCidrs(blocked)));
      }),
      { numRuns: runs(300) },
    );
  });

  it('answers the examples of carve', () => {
    const set = new BlockedSet(['1.10.16.0/20', '1.19.0.0/16', '10.1.0.0/25', '10.1.0.128/25', '10.2.0.0/16', '2001:db8::/32'].map(cidr));
    expect(set.carve(cidr('10.0.0.0/8'))).toEqual(['10.1.0.0/24', '10.2.0.0/16']);
    expect(set.carve(cidr('0.0.0.0/0'))).toEqual(['1.10.16.0/20', '1.19.0.0/16', '10.1.0.0/24', '10.2.0.0/16']);
    expect(set.carve(cidr('::/0'))).toEqual(['2001:db8::/32']);
    expect(set.carve(cidr('10.1.0.0/24'))).toEqual({ whollyBlocked: true, by: ['10.1.0.0/24'] });
    expect(set.carve(cidr('10.1.0.64/26'))).toEqual({ whollyBlocked: true, by: ['10.1.0.0/24'] });
    expect(set.carve(cidr('192.168.0.0/16'))).toEqual([]);
    expect(new BlockedSet([]).carve(cidr('0.0.0.0/0'))).toEqual([]);
  });
});

describe('feedDigest', () => {
  it('is the SHA-256 of the canonical merged list, one CIDR a line', () => {
    // printf '10.0.0.0/24\n2001:db8::/32\n' | sha256sum
    expect(feedDigest(['2001:db8:0::/33', '2001:db8:8000::/33', '10.0.0.128/25', '10.0.0.0/25'].map(cidr))).toBe(
      'sha256:ff765bc21eadb60fa1dade72eb8ca6c9b8535e015e7e39168c543df6a81cb717',
    );
  });

  it('is the same for two ways of writing the same addresses, and differs when an address differs', () => {
    const a = feedDigest(['10.0.0.0/24'].map(cidr));
    expect(feedDigest(['10.0.0.0/25', '10.0.0.128/25', '10.0.0.7/32'].map(cidr))).toBe(a);
    expect(feedDigest(['10.0.0.0/25'].map(cidr))).not.toBe(a);
    expect(canonicalList(['10.0.0.128/25', '10.0.0.0/25'].map(cidr))).toEqual(['10.0.0.0/24']);
    // The empty set has a digest too (of the empty text).
    expect(feedDigest([])).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
