// Issue 13, "alerts that fire": a real Prometheus (Debian's binary, on loopback, 1 s scrape and
// evaluation) scrapes the real operator's /metrics and loads the shipped rules file, the one the
// chart's PrometheusRule carries. An allow-all NetworkPolicy next to a segment makes
// BulkheadSegmentExposed fire; deleting it resolves the alert. A segment's NetworkPolicy deleted
// twelve times in a row holds BulkheadDriftStorm pending. The dashboard's queries run on the same
// Prometheus, and every metric the rules and the dashboard name is one the operator exports.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { ragWorkload } from '../harness/rag-workload.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { DASHBOARD_FILE, type PrometheusAlert, RULES_FILE, type RunningPrometheus, alertNames, loadRules, startPrometheus } from './prometheus.js';

const EXPOSED = 'BulkheadSegmentExposed';

let operator: RunningOperator;
let prometheus: RunningPrometheus;
let ns: string;

interface Dashboard {
  uid: string;
  templating: { list: { name: string }[] };
  panels: { id: number; title: string; type: string; description?: string; gridPos: { x: number; w: number }; targets?: { expr: string; datasource: { uid: string } }[] }[];
}

/** Every PromQL query of the dashboard, with Grafana's variables as a Prometheus would get them. */
function dashboardQueries(): { title: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE(), 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({
    title: p.title,
    expr: t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'bulkhead').replaceAll('$namespace', '.*'),
  })));
}

/** The bulkhead_* metric families an expression names (histogram series map to their family). */
const metricsNamed = (expr: string): string[] =>
  [...expr.matchAll(/\bbulkhead_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));

const active = (alerts: PrometheusAlert[], name: string): PrometheusAlert | undefined => alerts.find((a) => a.labels['alertname'] === name);

/** Every AIWorkload of the cluster whose Exposed condition is True, as namespace/name. */
async function exposedWorkloads(): Promise<string> {
  const list = JSON.parse(await kubectlOk(['get', 'aiworkloads', '-A', '-o', 'json'])) as { items: { metadata: { namespace: string; name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
  const exposed = list.items.filter((w) => w.status?.conditions?.some((c) => c.type === 'Exposed' && c.status === 'True'));
  return exposed.map((w) => `${w.metadata.namespace}/${w.metadata.name}`).join(', ') || 'none';
}

const pod = (name: string, labels: Record<string, string>, serviceAccountName: string | undefined): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { ...(serviceAccountName !== undefined ? { serviceAccountName } : {}), containers: [{ name: 'main', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('alerts');
  operator = await startOperator();
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${operator.port}`], ruleFiles: [RULES_FILE()] });
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

describe('a real Prometheus with the shipped rules', () => {
  it('scrapes the operator and loads every alert of the rules file', async () => {
    await waitFor(async () => {
      const { activeTargets } = await prometheus.api<{ activeTargets: { health: string; lastError: string }[] }>('/api/v1/targets');
      return activeTargets.length === 1 && activeTargets[0]?.health === 'up';
    }, { timeoutMs: 30_000, description: 'the operator target up' });
    const { groups } = await prometheus.api<{ groups: { name: string; rules: { name: string; type: string; health: string }[] }[] }>('/api/v1/rules');
    const loaded = groups.flatMap((g) => g.rules.map((r) => [r.name, r.type, r.health]));
    expect(loaded).toEqual(alertNames(loadRules()).map((name) => [name, 'alerting', 'ok']));
  }, 60_000);

  it('has a dashboard Grafana can lay out: unique panel ids, the data source variable on every query, a 24-column grid, and only alerts that exist', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE(), 'utf8')) as Dashboard;
    expect(dashboard.uid).toBe('bulkhead-operator');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'namespace']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect([p.title, p.gridPos.x + p.gridPos.w <= 24]).toEqual([p.title, true]);
    const queries = dashboard.panels.flatMap((p) => p.targets ?? []);
    expect(queries.length).toBeGreaterThanOrEqual(14);
    expect(queries.filter((t) => t.datasource.uid !== '${datasource}')).toEqual([]);
    const named = dashboard.panels.flatMap((p) => [...(p.description ?? '').matchAll(/\bBulkhead[A-Z]\w+/g)].map((m) => m[0]));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((a) => !alertNames(loadRules()).includes(a))).toEqual([]);
  });

  it('names only metrics the operator exports, and runs every dashboard query', async () => {
    const families = new Set([...(await operator.get('/metrics')).body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const named = new Set([...loadRules().groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dashboardQueries().map((q) => q.expr)].flatMap(metricsNamed));
    expect([...named].filter((m) => !families.has(m))).toEqual([]);
    expect(named.size).toBeGreaterThanOrEqual(10);
    // Once a scrape is in, the gauges every panel family starts from have data.
    await waitFor(async () => (await prometheus.api<{ result: unknown[] }>('/api/v1/query?query=bulkhead_leader')).result.length === 1, { description: 'a first scrape' });
    for (const q of dashboardQueries()) {
      const data = await prometheus.api<{ resultType: string }>(`/api/v1/query?query=${encodeURIComponent(q.expr)}`);
      expect([q.title, data.resultType]).toEqual([q.title, 'vector']);
    }
    const leaders = await prometheus.api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent('sum(bulkhead_leader{job="bulkhead"})')}`);
    expect(leaders.result[0]?.value[1]).toBe('1');
  }, 60_000);

  it('fires BulkheadSegmentExposed when an allow-all NetworkPolicy is added next to a segment, and resolves it when it goes', async () => {
    const workload = ragWorkload(ns);
    await kubectlOk(['apply', '-f', '-'], { input: dump(workload) });
    await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/rag', '--timeout=60s']);
    const pods = [pod('api-0', { app: 'api' }, 'rag-api'), pod('vectors-0', { app: 'vectors' }, 'rag-vectors'), pod('intruder', { app: 'intruder' }, undefined)];
    await kubectlOk(['apply', '-f', '-'], { input: pods.map((p) => dump(p)).join('---\n') });
    // Before the policy: Prometheus has scraped "nothing exposed" and no exposure alert is active.
    // The operator sees the whole shared cluster: a failure here names what else is exposed.
    await waitFor(async () => {
      const q = await prometheus.api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent('max(bulkhead_exposed_segments)')}`);
      const value = q.result[0]?.value[1];
      if (value !== '0') throw new Error(`bulkhead_exposed_segments is ${value ?? 'not scraped yet'}; Exposed AIWorkloads: ${await exposedWorkloads()}`);
      return active(await prometheus.alerts(), EXPOSED) === undefined;
    }, { timeoutMs: 30_000, description: `no exposure and no ${EXPOSED} before the allow-all policy` });

    const applied = Date.now();
    const allowAll = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace: ns }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } };
    await kubectlOk(['apply', '-f', '-'], { input: dump(allowAll) });
    const alerts = await waitFor(async () => {
      const all = await prometheus.alerts();
      return active(all, EXPOSED)?.state === 'firing' ? all : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, description: `${EXPOSED} firing in Prometheus` });
    const firedMs = Date.now() - applied;
    const fired = active(alerts, EXPOSED) as PrometheusAlert;
    expect(fired.labels).toEqual({ alertname: EXPOSED, job: 'bulkhead', severity: 'critical' });
    expect(Number(fired.value)).toBeGreaterThanOrEqual(1);
    expect(fired.annotations['description']).toMatch(/^\d+ exposure finding\(s\): another NetworkPolicy widens a segment/);
    // The operator leads (no leader election here): the no-leader alert is not even pending.
    expect(active(alerts, 'BulkheadNoLeader')).toBeUndefined();

    await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'allow-all']);
    const removed = Date.now();
    await waitFor(async () => active(await prometheus.alerts(), EXPOSED) === undefined, { timeoutMs: 60_000, intervalMs: 500, description: `${EXPOSED} resolved` });
    process.stderr.write(`[measured] ${EXPOSED}: firing ${firedMs} ms after the allow-all policy was applied, resolved ${Date.now() - removed} ms after it was deleted (scrape and evaluation every 1 s)\n`);
  }, 180_000);

  it('holds BulkheadDriftStorm pending for NetworkPolicy after a segment\'s policy is deleted twelve times in a row', async () => {
    const storm = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'storm', namespace: ns }, spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] }] } };
    await kubectlOk(['apply', '-f', '-'], { input: dump(storm) });
    await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/storm', '--timeout=60s']);
    const uid = (): Promise<string> => kubectlOk(['-n', ns, 'get', 'networkpolicy', 'storm-model', '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found']);
    for (let i = 0; i < 12; i++) {
      const before = await uid();
      await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'storm-model', '--wait=false']);
      await waitFor(async () => {
        const now = await uid();
        return now !== '' && now !== before;
      }, { timeoutMs: 15_000, description: `storm-model recreated (${i + 1})` });
    }
    const pending = await waitFor(async () => (await prometheus.alerts()).find((a) => a.labels['alertname'] === 'BulkheadDriftStorm'), { timeoutMs: 30_000, intervalMs: 500, description: 'BulkheadDriftStorm active' });
    // Ten minutes of it would fire; twelve repairs in seconds are pending only.
    expect([pending.state, pending.labels]).toEqual(['pending', { alertname: 'BulkheadDriftStorm', job: 'bulkhead', kind: 'NetworkPolicy', severity: 'warning' }]);
    expect(Number(pending.value)).toBeGreaterThan(10);
    expect((await prometheus.alerts()).filter((a) => a.labels['alertname'] === 'BulkheadDriftStorm').map((a) => a.labels['kind'])).toEqual(['NetworkPolicy']);
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'storm']);
  }, 180_000);

  it('resolves BulkheadSegmentExposed when the exposed AIWorkload itself is deleted', async () => {
    const allowAll = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace: ns }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } };
    await kubectlOk(['apply', '-f', '-'], { input: dump(allowAll) });
    await waitFor(async () => active(await prometheus.alerts(), EXPOSED)?.state === 'firing', { timeoutMs: 60_000, intervalMs: 500, description: `${EXPOSED} firing` });
    await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'rag', '--wait=true']);
    // Nothing of that workload is left to be exposed: the gauge and the alert must follow.
    await waitFor(async () => active(await prometheus.alerts(), EXPOSED) === undefined, { timeoutMs: 60_000, intervalMs: 500, description: `${EXPOSED} resolved after the AIWorkload was deleted` });
    await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'allow-all']);
  }, 180_000);
});
