// Every sample on packets: the generated segments, enforced by kube-network-policies, connect
// exactly where the AIWorkload declares a flow and nowhere else (reverse directions, wrong ports,
// wrong protocols, the data stores' egress, intruders, look-alikes in another namespace, impostors
// in a namespace that is allowed in, the cloud metadata endpoints), in both address families; and
// `bulkhead explain --live` computes the same matrix, probe by probe. Without the identity
// admission policies (beforeAll checks that no bulkhead-segment-* binding is in force), a pod that
// copies a component's labels under the default ServiceAccount connects exactly as the component
// does: what bulkhead-segment-membership takes away.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';
import type { HostRecord, Probe } from '../harness/dataplane.js';
import type { WorkloadSpec } from './declared.js';
import { applyWorkloads, buildWorld, checkMatrix, publishApiServerEndpoint, readSample, removeWorld } from './support.js';
import { LOOKALIKE_NAMESPACE, impostorOf } from './world.js';

const family = (address: string): string => (address.includes(':') ? 'v6' : 'v4');

/** The connections `key` opens and accepts, each named by its other end, leaving out those between `real` and `fake`. */
function connectionsOf(key: string, pair: readonly string[], opened: readonly Probe[]): [Set<string>, Set<string>] {
  const others = (p: Probe): boolean => !pair.includes(p.from) || !pair.includes(p.to);
  return [
    new Set(opened.filter((p) => p.from === key && others(p)).map((p) => `to ${p.to} ${p.address} ${p.protocol}/${p.port}`)),
    new Set(opened.filter((p) => p.to === key && others(p)).map((p) => `from ${p.from} ${family(p.address)} ${p.protocol}/${p.port}`)),
  ];
}

/** What `fake` can and cannot do that `real` cannot and can. */
function compare(real: string, fake: string, opened: readonly Probe[]): { gained: number; differences: string[] } {
  const mine = connectionsOf(real, [real, fake], opened);
  const theirs = connectionsOf(fake, [real, fake], opened);
  const differences: string[] = [];
  mine.forEach((m, i) => {
    const t = theirs[i] ?? new Set<string>();
    differences.push(...[...m].filter((k) => !t.has(k)).map((k) => `${fake} cannot ${k} as ${real} can`));
    differences.push(...[...t].filter((k) => !m.has(k)).map((k) => `${fake} can ${k} though ${real} cannot`));
  });
  return { gained: theirs[0].size + theirs[1].size, differences };
}

/**
 * impostorGains compares each component's pod with its label impostor: the connections each opens
 * and accepts, with the other end named and the own address left out (each pod has its own), must
 * be the same. Returns how many the impostors got, and every connection that differs.
 */
function impostorGains(workloads: readonly WorkloadSpec[], hosts: readonly HostRecord[], opened: readonly Probe[]): { gained: number; differences: string[] } {
  const pairs = workloads.flatMap((w) => w.spec.components.map((c) => [`${w.namespace}/${w.name}-${c.name}`, `${w.namespace}/${impostorOf(w.name, c.name)}`] as const));
  const results = pairs.filter(([, fake]) => hosts.some((h) => h.key === fake)).map(([real, fake]) => compare(real, fake, opened));
  return { gained: results.reduce((n, r) => n + r.gained, 0), differences: results.flatMap((r) => r.differences) };
}

// A sample with workload peers in another sample is probed together with it.
const PARTNERS: Record<string, string[]> = { 'rag-vector-db.yaml': ['llm-serving-vllm.yaml'] };
const PARTNERED = new Set(Object.values(PARTNERS).flat());
const GROUPS = readdirSync(path.join(repoRoot(), 'samples')).filter((f) => f.endsWith('.yaml') && !PARTNERED.has(f)).sort()
  .map((f) => [f, ...(PARTNERS[f] ?? [])]);

let dp: Dataplane;
let operator: RunningOperator;

beforeAll(async () => {
  // impostorGains is what an impostor gains without the identity admission policies: a claim about
  // this cluster only while none of bulkhead-segment-* is bound, so check it instead of assuming it.
  const bound = (await kubectlOk(['get', 'validatingadmissionpolicybindings', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter((n) => n.startsWith('bulkhead-segment-'));
  expect(bound).toEqual([]);
  await ensureCrd();
  await publishApiServerEndpoint();
  dp = await startDataplane();
  operator = await startOperator();
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await dp?.stop();
}, 60_000);

test('every sample is probed (and each partner with the sample that names it)', () => {
  expect(GROUPS.flat().sort()).toEqual(readdirSync(path.join(repoRoot(), 'samples')).filter((f) => f.endsWith('.yaml')).sort());
});

describe.each(GROUPS)('%s on packets', (...files: string[]) => {
  test('connects exactly as declared, and as explain --live says', async () => {
    const workloads = files.flatMap(readSample);
    for (const f of files) await applyWorkloads(f, workloads.filter((w) => readSample(f).some((x) => x.name === w.name)));
    const world = await buildWorld(dp, workloads);
    try {
      const report = await checkMatrix(dp, world);
      process.stderr.write(`[dataplane] ${files.join(' + ')}: ${world.hosts.length} hosts, ${report.probes} probes, ${report.open} connected\n`);
      expect(report.undeclared).toEqual([]);
      expect(report.analysisDisagrees).toEqual([]);
      // The matrix is not trivially closed: every component's declared flows connect somewhere.
      expect(report.open).toBeGreaterThan(0);
      // What an impostor gains without bulkhead-segment-membership: a pod with a component's labels
      // under the default ServiceAccount connects exactly as the component's own pod, both ways.
      const gains = impostorGains(workloads, world.hosts, report.opened);
      process.stderr.write(`[dataplane] ${files.join(' + ')}: label impostors gained ${gains.gained} connections, the same as their segments'\n`);
      expect(gains.differences).toEqual([]);
      expect(gains.gained).toBeGreaterThan(0);
    } finally {
      await removeWorld(dp, world);
      for (const f of files) await kubectlOk(['delete', '-f', path.join(repoRoot(), 'samples', f), '--wait=true']);
      for (const w of workloads) {
        await waitFor(async () => (await kubectlOk(['-n', w.namespace, 'get', 'networkpolicies', '-o', 'name'])).trim() === '', { timeoutMs: 60_000, description: `${w.namespace} to have no NetworkPolicy left` });
      }
    }
  }, 300_000);
});

afterAll(async () => {
  if ((await kubectl(['get', 'namespace', LOOKALIKE_NAMESPACE])).code === 0) await kubectlOk(['delete', 'namespace', LOOKALIKE_NAMESPACE, '--wait=false']);
}, 30_000);
