// `bulkhead explain --live -o json --ip-family dual` read as verdicts on probes, so the analysis
// can be compared with the packets probe by probe.
import { bulkhead } from '../harness/cli.js';
import type { HostRecord, Probe } from '../harness/dataplane.js';
import type { Protocol } from '../../src/dataplane/index.js';
import { addressValue } from './declared.js';

interface Line {
  src: string;
  dst: string;
  conn: string;
}

/**
 * Verdicts: the connections the analysis allows, by peer. An external peer is an address range,
 * and ranges are printed merged or split per line, so a probe's address is matched against the
 * ranges of the lines of its pair, not against one partition.
 */
export class AnalysisVerdicts {
  private readonly lines: { src: Peer; dst: Peer; conn: Conn }[];

  constructor(lines: readonly Line[]) {
    this.lines = lines.map((l) => ({ src: parsePeer(l.src), dst: parsePeer(l.dst), conn: parseConn(l.conn) }));
  }

  /**
   * allows: the analysis lets `p` connect, with `src` and `dst` the hosts at its ends. undefined
   * when neither end is a pod: connections between addresses outside the cluster are not what
   * NetworkPolicy (or its analysis) decides.
   */
  allows(p: Probe, src: HostRecord, dst: HostRecord | undefined): boolean | undefined {
    if (src.pod === undefined && dst?.pod === undefined) return undefined;
    const srcAddress = (p.address.includes(':') ? src.ipv6 : src.ipv4)[0] ?? '';
    const srcMatch = matcher(src, srcAddress);
    const dstMatch = matcher(dst, p.address);
    return this.lines.some((l) => srcMatch(l.src) && dstMatch(l.dst) && l.conn.allows(p.protocol, p.port));
  }
}

type Peer = { pod: string } | { lo: bigint; hi: bigint };

function parsePeer(id: string): Peer {
  if (!id.endsWith('[External]')) return { pod: id };
  const [lo = '', hi = ''] = id.replace('[External]', '').split('-');
  return { lo: addressValue(lo), hi: addressValue(hi) };
}

function matcher(h: HostRecord | undefined, address: string): (p: Peer) => boolean {
  if (h?.pod !== undefined) {
    const id = `${h.pod.namespace}/${h.pod.name}[Pod]`;
    return (p) => 'pod' in p && p.pod === id;
  }
  const ip = addressValue(address);
  return (p) => 'lo' in p && p.lo <= ip && ip <= p.hi;
}

export async function liveVerdicts(): Promise<AnalysisVerdicts> {
  const r = await bulkhead(['explain', '--live', '-o', 'json', '--ip-family', 'dual']);
  if (r.code !== 0) throw new Error(`bulkhead explain --live exited ${r.code}: ${r.stderr}`);
  return new AnalysisVerdicts(JSON.parse(r.stdout) as Line[]);
}

class Conn {
  constructor(private readonly all: boolean, private readonly ranges: Map<string, [number, number][]>) {}

  allows(protocol: Protocol, port: number): boolean {
    return this.all || (this.ranges.get(protocol) ?? []).some(([lo, hi]) => lo <= port && port <= hi);
  }
}

/** parseConn reads `All Connections` or `TCP 1-79,81-65535,UDP 53`. */
export function parseConn(text: string): Conn {
  if (text === 'All Connections') return new Conn(true, new Map());
  const ranges = new Map<string, [number, number][]>();
  let protocol = '';
  for (const token of text.split(',')) {
    const m = /^(?:(TCP|UDP|SCTP) )?(\d+)(?:-(\d+))?$/.exec(token.trim());
    if (m === null) throw new Error(`cannot read connection set "${text}"`);
    protocol = m[1] ?? protocol;
    const lo = Number(m[2]);
    ranges.set(protocol, [...(ranges.get(protocol) ?? []), [lo, m[3] === undefined ? lo : Number(m[3])]]);
  }
  return new Conn(false, ranges);
}
