// BulkheadWriteFailures on real metrics: an operator whose writes RBAC refuses (the harness's
// read-only identity) reconciles an AIWorkload into ApplyFailed, and a real Prometheus that
// scrapes it and loads the shipped rules holds the alert pending from the first refused write
// (bulkhead_reconcile_total{result="error"} starts at 0, so that first error is an increase). It
// does not fire: it waits 15 minutes for the failure to last (the promtool tests cover that part).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { readOnlyOperatorUser } from '../harness/operator-identity.js';
import { RULES_FILE, type RunningPrometheus, startPrometheus } from './prometheus.js';

const USER = 'bulkhead-alerts-writes-refused';
let operator: RunningOperator | undefined;
let prometheus: RunningPrometheus | undefined;
let ns = '';

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('write-alerts');
  operator = await startOperator({ kubeconfig: (await readOnlyOperatorUser(USER)).kubeconfig });
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${operator.port}`], ruleFiles: [RULES_FILE()] });
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await operator?.stop();
  if (ns !== '') await deleteNamespace(ns);
  await kubectlOk(['delete', 'clusterrolebinding,clusterrole', USER, '--ignore-not-found']);
  await kubectlOk(['-n', 'default', 'delete', 'rolebinding', USER, '--ignore-not-found']);
}, 60_000);

it('a refused write (ApplyFailed) holds BulkheadWriteFailures pending in a real Prometheus', async () => {
  const p = prometheus as RunningPrometheus;
  // Scraped before anything fails: the error series is there, at 0, and nothing is pending.
  await waitFor(async () => {
    const q = await p.api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent('bulkhead_reconcile_total{result="error"}')}`);
    return q.result[0]?.value[1] === '0';
  }, { timeoutMs: 30_000, description: 'bulkhead_reconcile_total{result="error"} 0 in Prometheus' });
  expect((await p.alerts()).find((a) => a.labels['alertname'] === 'BulkheadWriteFailures')).toBeUndefined();

  const workload = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'w', namespace: ns }, spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] }] } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(workload) });
  await waitFor(async () => (await kubectlOk(['-n', ns, 'get', 'aiworkload', 'w', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}'])) === 'ApplyFailed', { timeoutMs: 30_000, description: 'Ready=False/ApplyFailed' });
  const pending = await waitFor(async () => (await p.alerts()).find((a) => a.labels['alertname'] === 'BulkheadWriteFailures'), { timeoutMs: 30_000, intervalMs: 500, description: 'BulkheadWriteFailures active' });
  expect([pending.state, pending.labels]).toEqual(['pending', { alertname: 'BulkheadWriteFailures', job: 'bulkhead', severity: 'warning' }]);
  expect(Number(pending.value)).toBeGreaterThan(0);
}, 120_000);
