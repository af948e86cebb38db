// Every sample on packets: the generated segments, enforced by kube-network-policies, connect
// exactly where the AIWorkload declares a flow and nowhere else (reverse directions, wrong ports,
// wrong protocols, the data stores' egress, intruders, look-alikes in another namespace, impostors
// in a namespace that is allowed in, the metadata address), in both address families; and
// `bulkhead explain --live` computes the same matrix, probe by probe.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, startDataplane } from '../harness/dataplane.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';
import { applyWorkloads, buildWorld, checkMatrix, publishApiServerEndpoint, readSample, removeWorld } from './support.js';
import { LOOKALIKE_NAMESPACE } from './world.js';

// A sample with workload peers in another sample is probed together with it.
const PARTNERS: Record<string, string[]> = { 'rag-vector-db.yaml': ['llm-serving-vllm.yaml'] };
const PARTNERED = new Set(Object.values(PARTNERS).flat());
const GROUPS = readdirSync(path.join(repoRoot(), 'samples')).filter((f) => f.endsWith('.yaml') && !PARTNERED.has(f)).sort()
  .map((f) => [f, ...(PARTNERS[f] ?? [])]);

let dp: Dataplane;
let operator: RunningOperator;

beforeAll(async () => {
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
