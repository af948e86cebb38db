// The real dataplane for suites about traffic: pods as network namespaces on the run's control
// plane, enforced by kube-network-policies (src/dataplane). Each suite starts its own in beforeAll
// and stops it in afterAll; a run killed half-way leaves a slot whose owner is dead, which the next
// start (or `make dataplane-down`) sweeps.
//
// Where the dataplane cannot run (not root, no network namespaces, no iptables), startDataplane
// throws naming what is missing, so the suites fail: they never pass by skipping.
import { Dataplane, findEnforcer, openWindow, probeLoop, type Attempt, type HostRecord, type ProbeLoop, type ProbeResult, type Protocol } from '../../src/dataplane/index.js';
import { testCluster } from './cluster.js';

export { Dataplane, openWindow, probeLoop };
export type { Attempt, HostRecord, ProbeLoop, ProbeResult, Protocol };

export async function startDataplane(): Promise<Dataplane> {
  const cluster = testCluster();
  return Dataplane.start({
    server: cluster.server,
    tls: cluster.adminTls(),
    enforcer: await findEnforcer(),
    log: (line) => void process.stderr.write(`[dataplane] ${line}\n`),
  });
}

/** One probe of a matrix: a new connection from a host to one address, protocol and port. */
export interface Probe {
  from: string;
  /** The destination host's key, or the address itself for addresses no host holds. */
  to: string;
  address: string;
  protocol: Protocol;
  port: number;
}

/** probeKey names a probe in failure messages and comparisons. */
export const probeKey = (p: Probe): string => `${p.from} -> ${p.to} ${p.address} ${p.protocol}/${p.port}`;

/**
 * matrixProbes is every source to every destination port it listens on, each protocol, each of the
 * destination's addresses (both families).
 */
export function matrixProbes(sources: readonly HostRecord[], destinations: readonly HostRecord[]): Probe[] {
  return sources.flatMap((src) => destinations.filter((dst) => dst.key !== src.key).flatMap((dst) => hostProbes(src, dst)));
}

function hostProbes(src: HostRecord, dst: HostRecord): Probe[] {
  // A pod reaches the other family's addresses only if it has one of that family itself.
  const addresses = [...(src.ipv4.length > 0 ? dst.ipv4 : []), ...(src.ipv6.length > 0 ? dst.ipv6 : [])];
  return addresses.flatMap((address) => [
    ...dst.tcp.map((port): Probe => ({ from: src.key, to: dst.key, address, protocol: 'TCP', port })),
    ...dst.udp.map((port): Probe => ({ from: src.key, to: dst.key, address, protocol: 'UDP', port })),
  ]);
}

/** runMatrix probes everything and returns the keys of the probes that connected. */
export async function runMatrix(dp: Dataplane, probes: readonly Probe[]): Promise<{ open: Set<string>; results: (Probe & { result: ProbeResult })[] }> {
  const results = await dp.probeAll(probes, { concurrency: 64 });
  const open = new Set(results.filter((r) => r.result.open).map(probeKey));
  // A connection that answered from the wrong pod would make every verdict meaningless.
  for (const r of results) {
    if (r.result.open && r.result.peer !== undefined && r.result.peer !== r.to && !r.to.includes('.') && !r.to.includes(':')) {
      throw new Error(`${probeKey(r)} was answered by ${r.result.peer}`);
    }
  }
  return { open, results };
}
