// Connection sets: for each of TCP, UDP and SCTP, a sorted list of disjoint, non-adjacent port
// intervals. Every operation returns a new canonical set, so two sets are equal exactly when their
// interval lists are equal, which keeps equality, hashing and printing cheap.

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** A closed port interval [lo, hi]. */
export type PortInterval = readonly [number, number];

type Intervals = readonly PortInterval[];

function unionIntervals(a: Intervals, b: Intervals): Intervals {
  if (a.length === 0 || a === b) return b;
  if (b.length === 0) return a;
  // Linear merge of two sorted lists, coalescing overlapping and adjacent intervals.
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    let next: PortInterval;
    if (y === undefined || (x !== undefined && x[0] <= y[0])) {
      next = x as PortInterval;
      i++;
    } else {
      next = y;
      j++;
    }
    appendCoalescing(out, next);
  }
  return out;
}

/** Appends `next` (which starts no earlier than the last interval) or widens the last to cover it. */
function appendCoalescing(out: [number, number][], next: PortInterval): void {
  const last = out[out.length - 1];
  if (last === undefined || next[0] > last[1] + 1) out.push([next[0], next[1]]);
  else if (next[1] > last[1]) last[1] = next[1];
}

function intersectIntervals(a: Intervals, b: Intervals): PortInterval[] {
  const out: PortInterval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as PortInterval;
    const y = b[j] as PortInterval;
    const lo = Math.max(x[0], y[0]);
    const hi = Math.min(x[1], y[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

function subtractIntervals(a: Intervals, b: Intervals): PortInterval[] {
  const out: PortInterval[] = [];
  let j = 0;
  for (const [lo0, hi] of a) {
    let lo = lo0;
    while (j < b.length && (b[j] as PortInterval)[1] < lo) j++;
    let k = j;
    while (k < b.length && lo <= hi) {
      const [blo, bhi] = b[k] as PortInterval;
      if (blo > hi) break;
      if (blo > lo) out.push([lo, blo - 1]);
      lo = bhi + 1;
      k++;
    }
    if (lo <= hi) out.push([lo, hi]);
  }
  return out;
}

function sameIntervals(a: Intervals, b: Intervals): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as PortInterval;
    const y = b[i] as PortInterval;
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

function formatIntervals(a: Intervals): string {
  return a.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

const FULL: Intervals = [[MIN_PORT, MAX_PORT]];

/**
 * ConnSet is an immutable set of (protocol, port) pairs. Build with `ConnSet.empty()`,
 * `ConnSet.all()`, `ConnSet.ports(proto, lo, hi)` or `ConnSet.protocol(proto)` and combine with
 * `union`, `intersect` and `subtract`.
 */
export class ConnSet {
  private constructor(
    readonly tcp: Intervals,
    readonly udp: Intervals,
    readonly sctp: Intervals,
  ) {}

  private static readonly EMPTY = new ConnSet([], [], []);
  private static readonly ALL = new ConnSet(FULL, FULL, FULL);

  /** Canonical construction: the empty and the full set are always the same two objects. */
  private static make(tcp: Intervals, udp: Intervals, sctp: Intervals): ConnSet {
    if (tcp.length === 0 && udp.length === 0 && sctp.length === 0) return ConnSet.EMPTY;
    if (sameIntervals(tcp, FULL) && sameIntervals(udp, FULL) && sameIntervals(sctp, FULL)) return ConnSet.ALL;
    return new ConnSet(tcp, udp, sctp);
  }

  static empty(): ConnSet {
    return ConnSet.EMPTY;
  }

  static all(): ConnSet {
    return ConnSet.ALL;
  }

  /** Every port of one protocol. */
  static protocol(proto: Protocol): ConnSet {
    return ConnSet.ports(proto, MIN_PORT, MAX_PORT);
  }

  /** Ports lo..hi (inclusive) of one protocol; clipped to 1..65535, empty when lo > hi. */
  static ports(proto: Protocol, lo: number, hi: number = lo): ConnSet {
    const l = Math.max(lo, MIN_PORT);
    const h = Math.min(hi, MAX_PORT);
    const iv: Intervals = l <= h ? [[l, h]] : [];
    switch (proto) {
      case 'TCP':
        return ConnSet.make(iv, [], []);
      case 'UDP':
        return ConnSet.make([], iv, []);
      case 'SCTP':
        return ConnSet.make([], [], iv);
    }
  }

  intervals(proto: Protocol): Intervals {
    return proto === 'TCP' ? this.tcp : proto === 'UDP' ? this.udp : this.sctp;
  }

  // Every instance is built through make(), so emptiness and fullness are identity checks.
  isEmpty(): boolean {
    return this === ConnSet.EMPTY;
  }

  isAll(): boolean {
    return this === ConnSet.ALL;
  }

  union(o: ConnSet): ConnSet {
    if (o === ConnSet.EMPTY || this === o || this === ConnSet.ALL) return this;
    if (this === ConnSet.EMPTY || o === ConnSet.ALL) return o;
    // Rules often repeat the same ports: keep one object rather than a copy per cell.
    if (this.equals(o)) return this;
    return ConnSet.make(unionIntervals(this.tcp, o.tcp), unionIntervals(this.udp, o.udp), unionIntervals(this.sctp, o.sctp));
  }

  intersect(o: ConnSet): ConnSet {
    if (this === ConnSet.EMPTY || o === ConnSet.EMPTY) return ConnSet.EMPTY;
    if (o === ConnSet.ALL || this === o) return this;
    if (this === ConnSet.ALL) return o;
    return ConnSet.make(intersectIntervals(this.tcp, o.tcp), intersectIntervals(this.udp, o.udp), intersectIntervals(this.sctp, o.sctp));
  }

  subtract(o: ConnSet): ConnSet {
    if (this === ConnSet.EMPTY || o === ConnSet.EMPTY) return this;
    if (o === ConnSet.ALL || this === o) return ConnSet.EMPTY;
    return ConnSet.make(subtractIntervals(this.tcp, o.tcp), subtractIntervals(this.udp, o.udp), subtractIntervals(this.sctp, o.sctp));
  }

  equals(o: ConnSet): boolean {
    return sameIntervals(this.tcp, o.tcp) && sameIntervals(this.udp, o.udp) && sameIntervals(this.sctp, o.sctp);
  }

  /** Whether (proto, port) is in the set. */
  has(proto: Protocol, port: number): boolean {
    return this.intervals(proto).some(([lo, hi]) => lo <= port && port <= hi);
  }

  /**
   * The oracle's CONN text: `All Connections`, `No Connections`, or per protocol in alphabetical
   * order `SCTP 1-9002,9004-65535,TCP 80,UDP 53`.
   */
  toString(): string {
    if (this.isAll()) return 'All Connections';
    if (this.isEmpty()) return 'No Connections';
    const parts: string[] = [];
    for (const p of ['SCTP', 'TCP', 'UDP'] as const) {
      const iv = this.intervals(p);
      if (iv.length > 0) parts.push(`${p} ${formatIntervals(iv)}`);
    }
    return parts.join(',');
  }

  /** JSON-friendly form: `{TCP: [[80, 80]], ...}` with only non-empty protocols. */
  toJSON(): Partial<Record<Protocol, PortInterval[]>> {
    const out: Partial<Record<Protocol, PortInterval[]>> = {};
    for (const p of PROTOCOLS) {
      const iv = this.intervals(p);
      if (iv.length > 0) out[p] = iv.map(([lo, hi]) => [lo, hi] as const);
    }
    return out;
  }
}

/** Union of many sets. */
export function unionAll(sets: Iterable<ConnSet>): ConnSet {
  let acc = ConnSet.empty();
  for (const s of sets) acc = acc.union(s);
  return acc;
}
