import fc from 'fast-check';
import { ConnSet, PROTOCOLS, type Protocol } from './connections.js';

// Reference model: a set of "PROTO/port" strings over a small port universe.
const PORTS = 40;
const arbSet = fc
  .array(fc.record({ p: fc.constantFrom(...PROTOCOLS), lo: fc.integer({ min: 1, max: PORTS }), len: fc.integer({ min: 0, max: 8 }) }), { maxLength: 6 })
  .map((parts) => parts.reduce((acc, { p, lo, len }) => acc.union(ConnSet.ports(p, lo, Math.min(lo + len, PORTS))), ConnSet.empty()));

function members(s: ConnSet): Set<string> {
  const out = new Set<string>();
  for (const p of PROTOCOLS) for (let port = 1; port <= PORTS; port++) if (s.has(p, port)) out.add(`${p}/${port}`);
  return out;
}

function canonical(s: ConnSet): boolean {
  return PROTOCOLS.every((p: Protocol) => {
    const iv = s.intervals(p);
    return iv.every(([lo, hi], i) => lo <= hi && (i === 0 || lo > (iv[i - 1] as readonly [number, number])[1] + 1));
  });
}

describe('ConnSet', () => {
  it('union, intersect and subtract agree with set semantics and stay canonical', () => {
    fc.assert(
      fc.property(arbSet, arbSet, (a, b) => {
        const ma = members(a);
        const mb = members(b);
        const u = a.union(b);
        const i = a.intersect(b);
        const d = a.subtract(b);
        expect(members(u)).toEqual(new Set([...ma, ...mb]));
        expect(members(i)).toEqual(new Set([...ma].filter((x) => mb.has(x))));
        expect(members(d)).toEqual(new Set([...ma].filter((x) => !mb.has(x))));
        expect(canonical(u) && canonical(i) && canonical(d)).toBe(true);
        expect(u.equals(b.union(a))).toBe(true);
      }),
    );
  });

  it('prints like the oracle', () => {
    expect(ConnSet.all().toString()).toBe('All Connections');
    expect(ConnSet.empty().toString()).toBe('No Connections');
    expect(ConnSet.ports('TCP', 10053, 10054).union(ConnSet.ports('UDP', 10053)).toString()).toBe('TCP 10053-10054,UDP 10053');
    const almost = ConnSet.all().subtract(ConnSet.ports('SCTP', 9003)).subtract(ConnSet.ports('UDP', 5353));
    expect(almost.toString()).toBe('SCTP 1-9002,9004-65535,TCP 1-65535,UDP 1-5352,5354-65535');
    expect(ConnSet.ports('TCP', 8080).union(ConnSet.ports('TCP', 9090)).toString()).toBe('TCP 8080,9090');
  });

  it('a union of two equal sets is the first one, not a copy (the analysis keeps one object per distinct set)', () => {
    const a = ConnSet.ports('TCP', 8080).union(ConnSet.ports('UDP', 53));
    const b = ConnSet.ports('UDP', 53).union(ConnSet.ports('TCP', 8080));
    expect(a).not.toBe(b);
    expect(a.union(b)).toBe(a);
    expect(b.union(a)).toBe(b);
    expect(a.union(ConnSet.ports('TCP', 8081)).toString()).toBe('TCP 8080-8081,UDP 53');
  });

  it('merges adjacent intervals', () => {
    expect(ConnSet.ports('TCP', 1, 10).union(ConnSet.ports('TCP', 11, 20)).intervals('TCP')).toEqual([[1, 20]]);
    expect(ConnSet.protocol('TCP').union(ConnSet.protocol('UDP')).union(ConnSet.protocol('SCTP')).isAll()).toBe(true);
  });
});
