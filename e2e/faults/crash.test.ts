// Crash mid-reconcile: SIGKILL the operator at random points of a large apply (many AIWorkloads,
// hundreds of generated objects), change the declared state while it is dead, restart it, and
// check that everything converges with no orphans and no duplicates.
//
// The kill points are random but not timed: each kill waits until the operator has made a
// randomly chosen number of write requests (counted in the audit log), so it always lands in the
// middle of the apply, between or during reconciles. The seed is printed to reproduce a run.
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { applyWorkload, auditMark, auditSince, managedObjects, operatorUser, report, smallSpec, waitConverged, workloadYaml, writesBy } from './support.js';
import { prng } from '../../src/bench/analysis.js';

const WORKLOADS = 30;
const EXTRA_COMPONENTS = 3; // 5 components: 5 NetworkPolicies, 5 ServiceAccounts, 1 Role, 1 RoleBinding each
const KILLS = 3;

let ns: string;
let operator: RunningOperator | undefined;


const names = Array.from({ length: WORKLOADS }, (_, i) => `w${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-crash');
}, 60_000);

afterAll(async () => {
  await operator?.stop('SIGKILL');
  if (ns !== undefined) await deleteNamespace(ns);
});

test(`SIGKILL at ${KILLS} random points of applying ${WORKLOADS} AIWorkloads: after a restart, everything converges with no orphans and no duplicates`, async () => {
  const seed = Number(process.env['BULKHEAD_FAULT_SEED'] ?? Date.now() % 2 ** 31);
  const random = prng(seed);
  report(`crash suite seed ${seed} (BULKHEAD_FAULT_SEED to replay)`);
  const u = await operatorUser('fault-crash-operator');
  // The whole batch at once, as `kubectl apply -f dir/` would.
  await kubectlOk(['apply', '-f', '-'], { input: names.map((n) => workloadYaml(ns, n, smallSpec({ extraComponents: EXTRA_COMPONENTS }))).join('\n') });
  const objectsPerWorkload = 12;
  const killedAfter: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const mark = auditMark();
    operator = await startOperator({ kubeconfig: u.kubeconfig, args: ['--workers', '4'] });
    // Kill after between 1 and ~a third of a full apply's writes: always mid-apply.
    const target = 1 + Math.floor(random() * ((WORKLOADS * objectsPerWorkload) / 3));
    await waitFor(() => writesBy(auditSince(mark), u.username).length >= target, { timeoutMs: 60_000, intervalMs: 20, description: `${target} writes before kill ${k + 1}` });
    await operator.stop('SIGKILL');
    killedAfter.push(writesBy(auditSince(mark), u.username).length);
    // While it is dead, the declared state moves: a component goes (its objects must be pruned),
    // a workload goes (the garbage collector removes its objects; they must not come back).
    await applyWorkload(ns, names[k] ?? 'w00', smallSpec({ extraComponents: EXTRA_COMPONENTS - 1 - k }));
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', names[WORKLOADS - 1 - k] ?? 'w29', '--wait=false']);
  }
  report(`crash suite: killed after ${killedAfter.join(', ')} write requests`);

  operator = await startOperator({ kubeconfig: u.kubeconfig, args: ['--workers', '4'] });
  const alive = names.slice(0, WORKLOADS - KILLS);
  const deleted = names.slice(WORKLOADS - KILLS);
  await waitConverged(ns, alive, 180_000);
  // No orphans: every managed object in the namespace belongs to a live workload (the deleted
  // ones' objects are collected by the garbage collector and never recreated).
  await waitFor(async () => {
    const strays = (await managedObjects(ns)).filter((o) => !alive.includes(o.metadata.labels?.['bulkhead.dev/workload'] ?? ''));
    if (strays.length > 0) throw new Error(`orphans: ${strays.slice(0, 5).map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
    return true;
  }, { timeoutMs: 60_000, description: 'no objects of deleted workloads' });
  for (const name of deleted) expect(await managedObjects(ns, name)).toEqual([]);
  // waitConverged already compared each workload's objects with the compiler's, one by name and
  // kind each, and each with one controller reference to the live AIWorkload.
  const total = (await managedObjects(ns)).length;
  const expected = alive.reduce((n, name) => {
    const i = names.indexOf(name);
    return n + (i < KILLS ? objectsPerWorkload - 2 * (i + 1) : objectsPerWorkload);
  }, 0);
  expect(total).toBe(expected);
}, 400_000);
