// The benchmark's blocklists are what the benchmark says they are: the operator reads every line,
// no two entries overlap, none touches a non-public range, and the same seed gives the same list.
import { type Cidr, cidrContains, cidrSize, parseCidr } from '../api/cidr.js';
import { parseFeed } from '../threatfeed/formats.js';
import { dropLikeList, fireholLikeList } from './feed-lists.js';

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (c === undefined) throw new Error(`bad test cidr ${text}`);
  return c;
};

const NOT_PUBLIC = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3'].map(cidr);

/** Whether two of the networks share an address (sorted by base, each must end before the next). */
function overlapping(networks: readonly Cidr[]): boolean {
  const sorted = [...networks].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return sorted.some((c, i) => {
    const next = sorted[i + 1];
    return next !== undefined && c.base + cidrSize(c) > next.base;
  });
}

describe.each([
  ['DROP-like', dropLikeList, 1500, [16, 24]],
  ['FireHOL-like', fireholLikeList, 20000, [16, 32]],
] as const)('%s list', (_name, make, n, [widest, narrowest]) => {
  const lines = make(n);
  const parsed = parseFeed(lines.join('\n'), 'PlainList');
  const networks = parsed.accepted.map((e) => e.cidr);

  it('is read line for line, with nothing rejected or repeated', () => {
    expect(parsed.rejected).toEqual([]);
    expect(parsed.duplicates).toBe(0);
    expect(networks).toHaveLength(n);
  });

  it('has no two entries that overlap, and only public IPv4 networks of the stated prefixes', () => {
    expect(overlapping(networks)).toBe(false);
    expect(networks.filter((c) => c.family !== 4 || c.prefix < widest || c.prefix > narrowest)).toEqual([]);
    expect(networks.filter((c) => NOT_PUBLIC.some((r) => cidrContains(r, c) || cidrContains(c, r)))).toEqual([]);
  });

  it('is the same list every time', () => {
    expect(make(n)).toEqual(lines);
  });
});

it('the FireHOL-like list is mostly single hosts and /24s', () => {
  const networks = parseFeed(fireholLikeList(20000).join('\n'), 'PlainList').accepted.map((e) => e.cidr);
  const hosts = networks.filter((c) => c.prefix === 32).length;
  const slash24 = networks.filter((c) => c.prefix === 24).length;
  expect(hosts + slash24).toBeGreaterThan(0.85 * networks.length);
});
