// Failover and graceful shutdown with leader election on, at the default durations (15 s lease,
// 10 s renew deadline, 2 s retry): the figures are the ones a user gets.
//
// Each replica runs as its own client-certificate user, so the API server's audit log tells their
// writes apart; "at no time do two replicas write" is checked on that log (the server's clock and
// order), not on what the replicas say about themselves.
import type { AuditEvent } from '../harness/cluster.js';
import { deleteNamespace, freshNamespace, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import {
  applyWorkload,
  auditMark,
  auditSince,
  auditTime,
  describeWrite,
  getOrUndefined,
  isSuccess,
  operatorUser,
  report,
  smallSpec,
  waitConverged,
  writesBy,
} from './support.js';

const LEASE_MS = 15_000;
const RETRY_MS = 2_000;
const LEASE = 'bulkhead-operator';

let ns: string;
let suiteMark: number;
const replicas = new Map<string, { op: RunningOperator; user: string }>();

async function startReplica(name: string): Promise<{ op: RunningOperator; user: string }> {
  const u = await operatorUser(`fault-failover-${name}`, { leaseNamespace: ns });
  const op = await startOperator({ kubeconfig: u.kubeconfig, args: ['--leader-elect', 'true', '--leader-election-namespace', ns, '--identity', name] });
  const r = { op, user: u.username };
  replicas.set(name, r);
  return r;
}

type Lease = { spec: { holderIdentity?: string; leaseTransitions?: number } };
const holder = async (): Promise<string | undefined> => (await getOrUndefined<Lease>(['-n', ns, 'get', 'lease', LEASE]))?.spec.holderIdentity;

/** The first successful Lease write by `user` at or after `since` (ms): when it took the Lease. */
function leaseTakeover(events: readonly AuditEvent[], user: string, since: number): AuditEvent | undefined {
  return events.find((e) => e.user.username === user && e.objectRef?.resource === 'leases' && isSuccess(e) && auditTime(e) >= since);
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-failover');
  suiteMark = auditMark();
  // allSettled, not all: if one start fails, the other must be registered before afterAll runs,
  // or it outlives the suite.
  const started = await Promise.allSettled([startReplica('replica-a'), startReplica('replica-b')]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  await applyWorkload(ns, 'w', smallSpec());
  await waitConverged(ns, ['w']);
}, 120_000);

afterAll(async () => {
  for (const r of replicas.values()) await r.op.stop('SIGKILL');
  if (ns !== undefined) await deleteNamespace(ns);
});

test('SIGKILL of the leader: the follower takes over within the lease duration, converges the pending change, and the two never both write', async () => {
  const leaderName = await waitFor(holder, { description: 'a leader' });
  const followerName = leaderName === 'replica-a' ? 'replica-b' : 'replica-a';
  const leader = replicas.get(leaderName);
  const follower = replicas.get(followerName);
  if (leader === undefined || follower === undefined) throw new Error(`unknown holder ${leaderName}`);

  const killedAt = Date.now();
  await leader.op.stop('SIGKILL');
  // A change the dead leader cannot have seen: only the successor can converge it.
  await applyWorkload(ns, 'w', smallSpec({ port: 8443 }));
  await waitFor(async () => (await holder()) === followerName, { timeoutMs: LEASE_MS + 4 * RETRY_MS + 10_000, intervalMs: 100, description: `${followerName} to take the Lease` });
  await waitConverged(ns, ['w']);
  const convergedAt = Date.now();

  const events = auditSince(suiteMark);
  const takeover = leaseTakeover(events, follower.user, killedAt - 1000);
  if (takeover === undefined) throw new Error('no audit event for the takeover');
  const failoverMs = auditTime(takeover) - killedAt;
  report(`failover (SIGKILL of the leader, defaults 15s/10s/2s): Lease taken after ${failoverMs} ms; pending change converged after ${convergedAt - killedAt} ms`);
  // client-go's algorithm: the follower takes over once the record has not changed for a lease
  // duration as it observed it, checking every retry period with up to 120 % jitter. It may not
  // be sooner than the lease duration after the leader's last renewal (which precedes the kill),
  // nor much later than a lease duration plus one jittered retry period after the kill.
  expect(failoverMs).toBeLessThanOrEqual(LEASE_MS + RETRY_MS * 2.2 + 2000);
  expect(failoverMs).toBeGreaterThan(LEASE_MS - RETRY_MS * 2.2);

  // At no time did two replicas write: the dead leader's last successful write precedes the
  // kill, and the follower wrote nothing but failed Lease attempts before it held the Lease.
  const leaderWrites = writesBy(events, leader.user, { successOnly: true });
  const followerWrites = writesBy(events, follower.user, { successOnly: true });
  expect(leaderWrites.length).toBeGreaterThan(0);
  expect(leaderWrites.filter((e) => auditTime(e) > killedAt).map(describeWrite)).toEqual([]);
  expect(followerWrites.filter((e) => auditTime(e) < auditTime(takeover)).map(describeWrite)).toEqual([]);
  expect(followerWrites.some((e) => e.objectRef?.resource !== 'leases')).toBe(true); // it did converge the change
}, 120_000);

test('SIGTERM of the leader: it exits 0 after releasing the Lease, a follower takes over at once, and it writes nothing after exiting', async () => {
  const leaderName = await waitFor(holder, { description: 'a leader' });
  const leader = replicas.get(leaderName);
  if (leader === undefined) throw new Error(`unknown holder ${leaderName}`);
  const successor = await startReplica('replica-c');
  await waitFor(async () => (await successor.op.get('/readyz')).status === 200, { description: 'replica-c ready as a follower' });
  await applyWorkload(ns, 'w', smallSpec({ port: 8000 }));

  const mark = auditMark();
  const termAt = Date.now();
  const code = await leader.op.stop('SIGTERM');
  const exitedAt = Date.now();
  expect(code).toBe(0);
  await waitFor(async () => (await holder()) === 'replica-c', { timeoutMs: LEASE_MS + 10_000, intervalMs: 100, description: 'replica-c to take the Lease' });
  await waitConverged(ns, ['w']);

  const events = auditSince(mark);
  const takeover = leaseTakeover(events, successor.user, termAt);
  if (takeover === undefined) throw new Error('no audit event for the takeover');
  const handoverMs = auditTime(takeover) - termAt;
  report(`graceful hand-over (SIGTERM of the leader): exited after ${exitedAt - termAt} ms, Lease taken by the successor ${handoverMs} ms after SIGTERM`);
  // Released, not expired: the successor did not wait out the lease duration.
  expect(handoverMs).toBeLessThan(LEASE_MS);
  // The release is the old leader's last write to the Lease, and it wrote nothing after exiting.
  expect(writesBy(events, leader.user).filter((e) => e.objectRef?.resource === 'leases' && isSuccess(e)).length).toBeGreaterThan(0);
  expect(writesBy(events, leader.user).filter((e) => auditTime(e) > exitedAt).map(describeWrite)).toEqual([]);
}, 120_000);

test('SIGTERM of the only replica: exit 0 with no open handles, Lease released (empty holder), nothing written after exit', async () => {
  const last = replicas.get('replica-c');
  if (last === undefined) throw new Error('replica-c is not running');
  await waitFor(async () => (await holder()) === 'replica-c', { description: 'replica-c leading' });
  const mark = auditMark();
  // The process exits by itself (no process.exit in the CLI): an open handle would keep it alive
  // and the stop below would time out.
  const code = await last.op.stop('SIGTERM');
  const exitedAt = Date.now();
  expect(code).toBe(0);
  const lease = await getOrUndefined<Lease>(['-n', ns, 'get', 'lease', LEASE]);
  expect(lease?.spec.holderIdentity ?? '').toBe('');
  expect(writesBy(auditSince(mark), last.user).filter((e) => auditTime(e) > exitedAt).map(describeWrite)).toEqual([]);
  expect(last.op.logs()).toMatch(/Released lease/);
}, 60_000);
