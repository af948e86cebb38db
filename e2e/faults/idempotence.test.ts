// Idempotence: once everything has converged, a resync of every AIWorkload makes zero write
// requests. The writes are counted from the API server's audit log by the operator's own user, not
// from the operator's code. The resync is forced the way production forces it, by the periodic
// resync (`--resync 2`), and its cycles are observed through bulkhead_reconcile_total: no extra
// endpoint or test hook that could behave differently from the real thing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { type AuditEvent, deleteNamespace, freshNamespace, waitFor } from '../harness/cluster.js';
import { OPERATOR_NAMESPACE } from '../harness/operator-identity.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';
import { applyWorkload, auditMark, auditSince, describeWrite, metric, operatorUser, report, smallSpec, waitConverged, writesBy } from './support.js';

const RESYNC_SECONDS = 2;
const CYCLES = 3;
const sample = load(readFileSync(path.join(repoRoot(), 'samples', 'fraud-detection.yaml'), 'utf8')) as { spec: Record<string, unknown> };
const NAMES = ['small', 'wide', 'fraud-detect'];

let operator: RunningOperator;
let user: string;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-idem');
  const u = await operatorUser('fault-idempotence-operator');
  user = u.username;
  operator = await startOperator({ kubeconfig: u.kubeconfig, args: ['--resync', String(RESYNC_SECONDS)] });
  await applyWorkload(ns, 'small', smallSpec());
  await applyWorkload(ns, 'wide', smallSpec({ extraComponents: 6, port: 9443 }));
  await applyWorkload(ns, 'fraud-detect', sample.spec);
  await waitConverged(ns, NAMES);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

const reconciles = (): Promise<number> => metric(operator, 'bulkhead_reconcile_total');

// The cluster is shared by the suites that ran before: an AIWorkload of theirs whose namespace is
// still being deleted goes away during this one, and the operator (which watches every namespace)
// rightly removes its identity registry entry. Those deletes are another workload's clean-up, not
// a resync's write; anything else the operator writes outside this suite's objects still fails.
const isOurs = (e: AuditEvent): boolean =>
  e.objectRef?.namespace === ns || (e.objectRef?.namespace === OPERATOR_NAMESPACE && (e.objectRef.name ?? '').startsWith(`${ns}.`));
const isForeignCleanUp = (e: AuditEvent): boolean =>
  !isOurs(e) && e.verb === 'delete' && e.objectRef?.resource === 'rolebindings' && e.objectRef.namespace === OPERATOR_NAMESPACE;
const resyncWrites = (events: readonly AuditEvent[]): AuditEvent[] => writesBy(events, user).filter((e) => !isForeignCleanUp(e));

test(`after convergence, ${CYCLES} periodic resyncs of every AIWorkload make zero write requests`, async () => {
  // Convergence has a tail: a reconcile that ran before the informer saw the operator's own
  // writes may repeat a write. Wait until a whole resync cycle of every workload passed with no
  // write, then measure over the next CYCLES cycles. A reconciler that writes on every resync
  // never gets past this wait, and the timeout names what it kept writing.
  let lastWrites: string[] = [];
  await waitFor(async () => {
    const mark = auditMark();
    const start = await reconciles();
    await waitFor(async () => (await reconciles()) >= start + NAMES.length, { timeoutMs: 4 * RESYNC_SECONDS * 1000, description: 'a resync cycle' });
    lastWrites = resyncWrites(auditSince(mark)).map(describeWrite);
    if (lastWrites.length > 0) throw new Error(`still writing: ${lastWrites.slice(0, 5).join('; ')}`);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 0, description: 'a resync cycle without writes' });

  const mark = auditMark();
  const start = await reconciles();
  const restartsBefore = await metric(operator, 'bulkhead_watch_restarts_total');
  const errorsBefore = await metric(operator, 'bulkhead_reconcile_total', { result: 'error' });
  await waitFor(async () => (await reconciles()) >= start + CYCLES * NAMES.length, {
    timeoutMs: (CYCLES + 3) * RESYNC_SECONDS * 1000,
    description: `${CYCLES} resync cycles`,
  });
  const done = await reconciles();
  const writes = resyncWrites(auditSince(mark));
  report(`idle resync: ${done - start} reconciles of ${NAMES.length} AIWorkloads (${CYCLES} cycles), ${writes.length} write requests`);
  expect(writes.map(describeWrite)).toEqual([]);
  // The cycles were real reconciles that succeeded, not errors that gave up before writing.
  expect(await metric(operator, 'bulkhead_reconcile_total', { result: 'error' })).toBe(errorsBefore);
  expect(await metric(operator, 'bulkhead_watch_restarts_total')).toBe(restartsBefore);
}, 120_000);
