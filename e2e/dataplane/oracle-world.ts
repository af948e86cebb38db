// Oracle cases made real, a batch at a time: their namespaces (renamed, with their labels), a
// dataplane pod per case pod, listeners behind their ipBlocks and on the internet, their policies;
// and a canary that tells when the enforcer has seen all of it.
//
// Cases of one batch run side by side: a verdict between two hosts of a case depends only on the
// policies of the case's namespaces and on the labels and addresses of the case's hosts, so the
// other cases' objects change nothing; and every case probes only its own hosts.
import { kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import type { Dataplane, HostRecord, Probe } from '../harness/dataplane.js';
import { type CaseHosts } from './oracle-compare.js';
import { type CasePod, type OracleCase, Renamed, probePorts } from './oracle-cases.js';

/** The internet as the cases see it (TEST-NET-3 and the IPv6 documentation range). */
export const INTERNET = { ipv4: '203.0.113.99', ipv6: '2001:db8::99' };
/** Every namespace of a run carries this label with the run's name. */
export const RUN_LABEL = 'bulkhead.dev/oracle-on-packets';

export interface BatchCase {
  c: OracleCase;
  renamed: Renamed;
  hosts: CaseHosts;
  probes: Probe[];
}

export interface Batch {
  cases: BatchCase[];
  namespaces: string[];
  outside: HostRecord[];
}

const asList = (items: unknown[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

/**
 * makeBatch creates the world of `cases` (prefixes: `<run>-<index>-`) into `batch`, policies
 * last. What it made stays recorded in `batch` when it fails, for removeBatch.
 */
export async function makeBatch(dp: Dataplane, run: string, cases: readonly { c: OracleCase; index: number }[], batch: Batch): Promise<void> {
  const renamed = cases.map(({ c, index }) => ({ c, renamed: new Renamed(`${run}-${index}-`) }));
  const namespaces = renamed.flatMap(({ c, renamed: r }) => r.namespaceObjects(c, { [RUN_LABEL]: run }));
  batch.namespaces = namespaces.map((n) => (n as { metadata: { name: string } }).metadata.name);
  await kubectlOk(['apply', '-f', '-'], { input: asList(namespaces) });
  await waitForServiceAccounts(batch.namespaces);
  await addOutside(dp, renamed.map((x) => x.c), batch.outside);
  for (const { c, renamed: r } of renamed) await addCase(dp, c, r, batch);
  const policies = renamed.flatMap(({ c, renamed: r }) => c.policies.map((np) => r.policy(np)));
  if (policies.length > 0) await kubectlOk(['apply', '-f', '-'], { input: asList(policies) });
}

export const emptyBatch = (): Batch => ({ cases: [], namespaces: [], outside: [] });

/** A Pod needs its namespace's default ServiceAccount: one list answers for every namespace. */
async function waitForServiceAccounts(namespaces: readonly string[]): Promise<void> {
  await waitFor(async () => {
    const have = new Set((await kubectlOk(['get', 'serviceaccounts', '-A', '--field-selector', 'metadata.name=default', '-o', 'jsonpath={.items[*].metadata.namespace}'])).split(' '));
    return namespaces.every((n) => have.has(n));
  }, { timeoutMs: 60_000, description: `the default ServiceAccount of ${namespaces.length} namespaces` });
}

/** One listener per address any case's ipBlocks need, and the internet, on every case port. */
async function addOutside(dp: Dataplane, cases: readonly OracleCase[], into: HostRecord[]): Promise<void> {
  const ports = [...new Set(cases.flatMap((c) => c.ports.map((p) => p.port)))];
  into.push(await dp.addOutside({ name: 'internet', ipv4: [INTERNET.ipv4], ipv6: [INTERNET.ipv6], ports }));
  for (const address of new Set(cases.flatMap((c) => c.outside))) into.push(await dp.addOutside({ name: `outside-${address}`, ipv4: [address], ports }));
}

async function addCase(dp: Dataplane, c: OracleCase, r: Renamed, batch: Batch): Promise<void> {
  const bc: BatchCase = { c, renamed: r, hosts: { pods: new Map(), outside: batch.outside.filter((h) => h.key === 'internet' || c.outside.includes(h.ipv4[0] ?? '')) }, probes: [] };
  batch.cases.push(bc);
  const listen = c.ports.map((p) => p.port);
  for (const pod of c.pods) {
    const host = await dp.addPod({ namespace: r.ns(pod.namespace), name: pod.name, labels: pod.labels, ports: pod.ports, listen });
    bc.hosts.pods.set(host.key, { host, pod });
  }
  bc.probes = caseProbes(c, bc.hosts);
}

/** Every pod to every other host of the case, and every outside host to every pod. */
function caseProbes(c: OracleCase, hosts: CaseHosts): Probe[] {
  const all: End[] = [...[...hosts.pods.values()].map((p) => ({ host: p.host, pod: p.pod })), ...hosts.outside.map((host) => ({ host, pod: undefined }))];
  return all.flatMap((src) => all.filter((dst) => src.host.key !== dst.host.key && (src.pod !== undefined || dst.pod !== undefined)).flatMap((dst) => pairProbes(c, src, dst)));
}

interface End {
  host: HostRecord;
  pod: CasePod | undefined;
}

function pairProbes(c: OracleCase, src: End, dst: End): Probe[] {
  const addresses = [...(src.host.ipv4.length > 0 ? dst.host.ipv4 : []), ...(src.host.ipv6.length > 0 ? dst.host.ipv6 : [])];
  return addresses.flatMap((address) => probePorts(c, dst.pod).map((p): Probe => ({ from: src.host.key, to: dst.host.key, address, protocol: p.protocol, port: p.port })));
}

/** removeBatch removes the hosts, then the namespaces (and with them the policies). */
export async function removeBatch(dp: Dataplane, batch: Batch): Promise<void> {
  for (const bc of batch.cases) {
    for (const { host } of bc.hosts.pods.values()) await dp.removePod(host.pod?.namespace ?? '', host.pod?.name ?? '');
  }
  for (const h of batch.outside) await dp.removeHost(h.key);
  if (batch.namespaces.length > 0) await kubectlOk(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...batch.namespaces]);
}

/**
 * Canary: the enforcer learns pods and policies from two watches, so before a batch is probed it
 * must have seen both. `close(round)` relabels the canary's target `round=<round>` and adds a
 * policy that isolates exactly that label; the target refuses only once the enforcer has seen the
 * new label and the new policy, and so (each watch being in order) everything written before
 * them. `open()` deletes the policy and waits until the target answers again, so the next close
 * cannot be satisfied by a stale view.
 */
export class Canary {
  static readonly PORT = 7_070;

  private constructor(private readonly dp: Dataplane, readonly namespace: string, private readonly src: HostRecord, private readonly dst: HostRecord) {}

  static async create(dp: Dataplane, run: string): Promise<Canary> {
    const namespace = `${run}-canary`;
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [RUN_LABEL]: run } } }) });
    await waitForServiceAccounts([namespace]);
    const src = await dp.addPod({ namespace, name: 'src', labels: { app: 'canary-src' }, ports: [] });
    const dst = await dp.addPod({ namespace, name: 'dst', labels: { app: 'canary-dst', round: '0' }, ports: [{ port: Canary.PORT }] });
    const canary = new Canary(dp, namespace, src, dst);
    await canary.waitFor(true);
    return canary;
  }

  async close(round: number): Promise<void> {
    await kubectlOk(['-n', this.namespace, 'label', 'pod', 'dst', `round=${round}`, '--overwrite']);
    const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'sentinel', namespace: this.namespace }, spec: { podSelector: { matchLabels: { round: String(round) } }, policyTypes: ['Ingress'] } };
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(policy) });
    await this.waitFor(false);
  }

  async open(): Promise<void> {
    await kubectl(['-n', this.namespace, 'delete', 'networkpolicy', 'sentinel', '--ignore-not-found']);
    await this.waitFor(true);
  }

  async remove(): Promise<void> {
    await this.dp.removePod(this.namespace, 'src');
    await this.dp.removePod(this.namespace, 'dst');
  }

  private async waitFor(open: boolean): Promise<void> {
    await waitFor(async () => (await this.dp.probe(this.src.key, this.dst.ipv4[0] ?? '', 'TCP', Canary.PORT, { timeoutMs: 300, retry: false })).open === open,
      { timeoutMs: 30_000, intervalMs: 50, description: `the canary to ${open ? 'answer' : 'refuse'}` });
  }
}
