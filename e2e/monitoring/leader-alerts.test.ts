// BulkheadNoLeader on real metrics: two replicas with leader election (default 15 s lease), both
// scraped by a real Prometheus with the shipped rules. While one leads nothing is active; when the
// leader is SIGKILLed the alert goes pending, and it clears without firing once the follower takes
// the Lease (a failover is not an outage: the rule waits a minute). With every replica gone from
// the scrape it is pending again: no leader because nobody is there.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { operatorUser } from '../harness/operator-identity.js';
import { type PrometheusAlert, RULES_FILE, type RunningPrometheus, startPrometheus } from './prometheus.js';

const NO_LEADER = 'BulkheadNoLeader';
const replicas = new Map<string, RunningOperator>();
let prometheus: RunningPrometheus | undefined;
let ns = '';

const noLeader = async (): Promise<PrometheusAlert | undefined> => (await (prometheus as RunningPrometheus).alerts()).find((a) => a.labels['alertname'] === NO_LEADER);
const leaders = async (): Promise<string | undefined> =>
  (await (prometheus as RunningPrometheus).api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent('sum(bulkhead_leader)')}`)).result[0]?.value[1];

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('leader-alerts');
  for (const name of ['replica-a', 'replica-b']) {
    const user = await operatorUser(`alerts-leader-${name}`, { leaseNamespace: ns });
    replicas.set(name, await startOperator({ kubeconfig: user.kubeconfig, args: ['--leader-elect', 'true', '--leader-election-namespace', ns, '--identity', name] }));
  }
  prometheus = await startPrometheus({ targets: [...replicas.values()].map((op) => `127.0.0.1:${op.port}`), ruleFiles: [RULES_FILE()] });
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const op of replicas.values()) await op.stop();
  if (ns !== '') await deleteNamespace(ns);
}, 60_000);

it('a failover makes BulkheadNoLeader pending and it clears without firing; with every replica gone it is pending again', async () => {
  // One leader, both scraped: nothing active.
  await waitFor(async () => (await leaders()) === '1' && (await noLeader()) === undefined, { timeoutMs: 60_000, description: 'one leader in Prometheus and no alert' });
  const holder = await kubectlOk(['-n', ns, 'get', 'lease', 'bulkhead-operator', '-o', 'jsonpath={.spec.holderIdentity}']);
  const leader = replicas.get(holder);
  expect(leader).toBeDefined();

  const killed = Date.now();
  await leader?.stop('SIGKILL');
  replicas.delete(holder);
  const pending = await waitFor(noLeader, { timeoutMs: 30_000, intervalMs: 250, description: `${NO_LEADER} pending after the leader was killed` });
  expect([pending.state, pending.labels, Number(pending.value)]).toEqual(['pending', { alertname: NO_LEADER, job: 'bulkhead', severity: 'critical' }, 0]);
  let fired = false;
  await waitFor(async () => {
    const a = await noLeader();
    fired ||= a?.state === 'firing';
    return a === undefined && (await leaders()) === '1';
  }, { timeoutMs: 45_000, intervalMs: 250, description: `the follower to lead and ${NO_LEADER} to clear` });
  expect(fired).toBe(false);
  const clearedMs = Date.now() - killed;

  // The last replica stops: its series go stale and nothing is scraped; that is no leader too.
  for (const op of replicas.values()) await op.stop();
  replicas.clear();
  const gone = await waitFor(noLeader, { timeoutMs: 30_000, intervalMs: 250, description: `${NO_LEADER} pending with no replica scraped` });
  expect([gone.state, gone.labels]).toEqual(['pending', { alertname: NO_LEADER, job: 'bulkhead', severity: 'critical' }]);
  process.stderr.write(`[measured] ${NO_LEADER}: pending ${Date.parse(pending.activeAt) - killed} ms after the leader was SIGKILLed, cleared ${clearedMs} ms after (failover), never firing\n`);
}, 180_000);
