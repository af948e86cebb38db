// One oracle case on packets, compared three ways: what the enforcer let through, what the
// oracle's connlist says, and what `bulkhead explain --live` says.
//
// The analysis is compared probe by probe: the dataplane's pods have no owners, so explain names
// each one as itself. The oracle names peers, and a peer may stand for several real Pods (a
// ReplicaSet's, say) whose connections it unions; so against the oracle a probe counts as a unit
// "peer A -> peer B, family, protocol/port", open when any probe of the unit connected. Units
// within one peer are never compared (the oracle prints no peer to itself), nor IPv6 to or from
// an outside host (the oracle models IPv4 only).
import type { HostRecord, Probe, ProbeResult, Protocol } from '../harness/dataplane.js';
import { probeKey } from '../harness/dataplane.js';
import { type AnalysisVerdicts, parseConn } from './analysis.js';
import type { CasePod, OracleCase } from './oracle-cases.js';

/** A probe's end as the oracle sees it: a peer, or an outside address (IPv4). */
type Ref = { peer: string } | { address: bigint };
type Side = { peer: string } | { lo: bigint; hi: bigint };

const ipv4 = (a: string): bigint => a.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);

function parseSide(text: string): Side {
  if (!text.endsWith('[External]')) return { peer: text };
  const [lo = '', hi = ''] = text.replace('[External]', '').split('-');
  return { lo: ipv4(lo), hi: ipv4(hi) };
}

const sideMatches = (s: Side, r: Ref): boolean => ('peer' in s ? 'peer' in r && r.peer === s.peer : 'address' in r && s.lo <= r.address && r.address <= s.hi);

/** OracleVerdicts: the oracle's connlist lines (`SRC => DST : CONN`) as verdicts. */
export class OracleVerdicts {
  private readonly lines: { src: Side; dst: Side; conn: ReturnType<typeof parseConn> }[];

  constructor(lines: readonly string[]) {
    this.lines = lines.map((l) => {
      const m = /^(.+) => (.+) : (.+)$/.exec(l);
      if (m === null) throw new Error(`cannot read oracle line "${l}"`);
      return { src: parseSide(m[1] ?? ''), dst: parseSide(m[2] ?? ''), conn: parseConn(m[3] ?? '') };
    });
  }

  allows(src: Ref, dst: Ref, protocol: Protocol, port: number): boolean {
    return this.lines.some((l) => sideMatches(l.src, src) && sideMatches(l.dst, dst) && l.conn.allows(protocol, port));
  }
}

export type CaseProbe = Probe & { result: ProbeResult };

/** The hosts of one case: pods by host key with the case pod they stand for, and outside hosts. */
export interface CaseHosts {
  pods: Map<string, { host: HostRecord; pod: CasePod }>;
  outside: HostRecord[];
}

export interface Difference {
  /** The probe (against the analysis) or the unit (against the oracle). */
  key: string;
  /** What the packets did (any probe of the unit connected). */
  packets: boolean;
  /** What the oracle or the analysis says. */
  model: boolean;
  family: 4 | 6;
  /** Both ends are pods. */
  pods: boolean;
  /** The addresses at both ends of the probes in it. */
  addresses: string[];
  /** Every address, of both families, of the hosts at both ends. */
  hostAddresses: string[];
}

export interface CaseReport {
  probes: number;
  open: number;
  /** Units compared with the oracle. */
  units: number;
  oracle: Difference[];
  analysis: Difference[];
  /** Against the analysis with --ipblock-matches-pods, for cases with ipBlocks. */
  analysisWithSwitch?: Difference[];
}

const familyOf = (p: Probe): 4 | 6 => (p.address.includes(':') ? 6 : 4);

function sourceAddress(h: HostRecord, family: 4 | 6): string {
  return (family === 6 ? h.ipv6 : h.ipv4)[0] ?? '';
}

const allAddresses = (h: HostRecord | undefined): string[] => (h === undefined ? [] : [...h.ipv4, ...h.ipv6]);

function hostOf(hosts: CaseHosts, key: string): HostRecord | undefined {
  return hosts.pods.get(key)?.host ?? hosts.outside.find((h) => h.key === key);
}

/** The oracle's name for one end of a probe: the pod's peer, or the outside host's IPv4 address. */
function refOf(hosts: CaseHosts, key: string, address: string): { ref: Ref; name: string } {
  const pod = hosts.pods.get(key);
  return pod === undefined ? { ref: { address: ipv4(address) }, name: key } : { ref: { peer: pod.pod.peer }, name: pod.pod.peer };
}

/** compareWithOracle: the packets of a case unit by unit against its connlist. */
export function compareWithOracle(c: OracleCase, hosts: CaseHosts, results: readonly CaseProbe[]): { units: number; differences: Difference[] } {
  const oracle = new OracleVerdicts(c.expected);
  const units = new Map<string, Difference>();
  for (const r of results) {
    const family = familyOf(r);
    const bothPods = hosts.pods.has(r.from) && hosts.pods.has(r.to);
    if (!bothPods && family === 6) continue;
    const srcHost = hostOf(hosts, r.from) as HostRecord;
    const src = refOf(hosts, r.from, sourceAddress(srcHost, family));
    const dst = refOf(hosts, r.to, r.address);
    if (src.name === dst.name) continue;
    const key = `${src.name} -> ${dst.name} IPv${family} ${r.protocol}/${r.port}`;
    const unit = units.get(key) ?? { key, packets: false, model: oracle.allows(src.ref, dst.ref, r.protocol, r.port), family, pods: bothPods, addresses: [], hostAddresses: [] };
    unit.packets ||= r.result.open;
    unit.addresses.push(sourceAddress(srcHost, family), r.address);
    unit.hostAddresses.push(...allAddresses(srcHost), ...allAddresses(hostOf(hosts, r.to)));
    units.set(key, unit);
  }
  return { units: units.size, differences: [...units.values()].filter((u) => u.packets !== u.model) };
}

/** compareWithAnalysis: the packets of a case probe by probe against explain --live. */
export function compareWithAnalysis(hosts: CaseHosts, results: readonly CaseProbe[], verdicts: AnalysisVerdicts): Difference[] {
  const out: Difference[] = [];
  for (const r of results) {
    const src = hostOf(hosts, r.from) as HostRecord;
    const allows = verdicts.allows(r, src, hostOf(hosts, r.to));
    if (allows === undefined || allows === r.result.open) continue;
    const family = familyOf(r);
    const hostAddresses = [...allAddresses(src), ...allAddresses(hostOf(hosts, r.to))];
    out.push({ key: probeKey(r), packets: r.result.open, model: allows, family, pods: hosts.pods.has(r.from) && hosts.pods.has(r.to), addresses: [sourceAddress(src, family), r.address], hostAddresses });
  }
  return out;
}
