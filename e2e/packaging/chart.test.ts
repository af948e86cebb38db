// The Helm chart against the real API server: it lints, its default render is the same install
// as manifests/ (object for object, minus Helm's own labels and the Namespace Helm does not own),
// and default and customised renders pass the server's strict schema validation.
//
// Needs a helm v3 binary (see findHelm). Without one, the helm part is skipped and says so, with
// the install command; the static checks of the chart files still run.
import { ensureCrd } from '../harness/operator.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { adminKubeconfig, deleteNamespace, freshNamespace, kubectl, kubectlOk, waitEstablished } from '../harness/cluster.js';
import {
  findHelm, HELM_INSTALL_HINT, INSTALL_NAMESPACE, installObjects, type KubeObject, objectKey, parseObjects, repoRoot, run, serverWarnings,
  withoutHelmLabels, ensureInstallNamespace } from './install-files.js';

const SLOW = 180_000;
const CHART = (): string => path.join(repoRoot(), 'charts', 'bulkhead');
const helm = findHelm();

if (helm === undefined) {
  process.stderr.write(`\n[packaging] SKIPPED the Helm chart tests: no helm binary found.\n[packaging] Install it with: ${HELM_INSTALL_HINT}\n\n`);
}

describe('charts/bulkhead files', () => {
  it('versions the chart with the operator (Chart.yaml appVersion = package.json version)', () => {
    const chart = load(readFileSync(path.join(CHART(), 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string; version: string };
    const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(pkg.version);
    expect(chart.version).toBe(pkg.version);
  });

  it('ships the generated CRDs unchanged in crds/', () => {
    for (const file of ['bulkhead.dev_aiworkloads.yaml', 'bulkhead.dev_threatfeeds.yaml']) {
      expect([file, readFileSync(path.join(CHART(), 'crds', file), 'utf8')]).toEqual([file, readFileSync(path.join(repoRoot(), 'crds', file), 'utf8')]);
    }
  });
});

interface Deployment extends KubeObject {
  spec: { replicas: number; template: { spec: { serviceAccountName: string; containers: { image: string; args: string[] }[] } } };
}

(helm === undefined ? describe.skip : describe)(`charts/bulkhead with helm (${helm ?? 'not installed'})`, () => {
  const bin = helm as string;
  let kubeVersion = '';
  const scratch: string[] = [];

  /** template renders the chart with `helm template`, for the test cluster's Kubernetes version. */
  async function template(release: string, namespace: string, extra: string[] = []): Promise<KubeObject[]> {
    const res = await run(bin, ['template', release, CHART(), '--namespace', namespace, '--kube-version', kubeVersion, ...extra]);
    if (res.code !== 0) throw new Error(`helm template exited ${res.code}: ${res.stderr}`);
    return parseObjects(res.stdout, 'helm template');
  }

  /** dryRun sends objects through the API server's validation and admission without persisting them. */
  async function dryRun(objects: KubeObject[]): Promise<string[]> {
    const res = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });
    if (res.code !== 0) throw new Error(`kubectl apply --dry-run=server: ${res.stderr}`);
    expect(serverWarnings(res.stderr)).toEqual([]);
    return res.stdout.trim().split('\n');
  }

  beforeAll(async () => {
    const version = JSON.parse(await kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    kubeVersion = version.serverVersion.gitVersion;
    // The default render targets the install namespace; dry runs need it to exist (see manifests.test.ts).
    await ensureInstallNamespace();
  }, SLOW);

  afterAll(async () => {
    for (const ns of scratch) await deleteNamespace(ns);
  }, SLOW);

  it('passes helm lint --strict', async () => {
    const res = await run(bin, ['lint', '--strict', CHART(), '--kube-version', kubeVersion]);
    expect(`${res.stdout}${res.stderr}`).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(res.code).toBe(0);
  }, SLOW);

  it('renders by default exactly what manifests/ installs (minus Helm labels and the Namespace)', async () => {
    const rendered = await template('bulkhead', INSTALL_NAMESPACE, ['--include-crds']);
    const byKey = (objects: KubeObject[]): Record<string, KubeObject> => Object.fromEntries(objects.map((o) => [objectKey(o), o]));
    const chart = byKey(rendered.map(withoutHelmLabels));
    expect(Object.keys(chart)).toHaveLength(rendered.length); // no object rendered twice
    const plain = byKey(installObjects().map((s) => s.object).filter((o) => o.kind !== 'Namespace'));
    expect(Object.keys(chart).sort()).toEqual(Object.keys(plain).sort());
    for (const key of Object.keys(plain)) expect([key, chart[key]]).toEqual([key, plain[key]]);
  }, SLOW);

  it('validates its default render on the API server (dry run, strict)', async () => {
    const rendered = await template('bulkhead', INSTALL_NAMESPACE, ['--include-crds']);
    const names = await dryRun(rendered);
    expect(names).toHaveLength(rendered.length);
    expect(names).toEqual(expect.arrayContaining(['deployment.apps/bulkhead', 'networkpolicy.networking.k8s.io/bulkhead', 'serviceaccount/bulkhead']));
  }, SLOW);

  it('renders and validates a customised install (other release and namespace, one replica, pinned API server, digest)', async () => {
    const ns = await freshNamespace('pkg-chart');
    scratch.push(ns);
    const digest = `sha256:${'a'.repeat(64)}`;
    const rendered = await template('acme', ns, [
      '--set', 'replicaCount=1', '--set', 'leaderElection.enabled=false',
      '--set', 'networkPolicy.apiServer.cidrs={10.0.0.1/32,10.0.0.2/32}', '--set', 'networkPolicy.apiServer.ports={6443}',
      '--set', 'podDisruptionBudget.enabled=false', '--set', 'metrics.service.enabled=false',
      '--set', `image.digest=${digest}`, '--set', 'platform.monitoring.namespace=observability',
      '--set', 'controller.workers=4', '--set', 'controller.kubeApiQps=50', '--set-json', 'controller.extraArgs=["--resync","60"]',
      '--set-json', 'platform.dns.podLabels={"k8s-app":null,"app.kubernetes.io/name":"coredns"}',
    ]);
    await dryRun(rendered);
    const mine = rendered.filter((o) => ['Deployment', 'NetworkPolicy', 'Service', 'PodDisruptionBudget', 'ServiceAccount'].includes(o.kind));
    expect(mine.map(objectKey).sort()).toEqual([
      `Deployment.apps/${ns}/acme-bulkhead`,
      `NetworkPolicy.networking.k8s.io/${ns}/acme-bulkhead`,
      `ServiceAccount./${ns}/acme-bulkhead`,
    ]);
    const d = mine.find((o) => o.kind === 'Deployment') as Deployment;
    const c = d.spec.template.spec.containers[0];
    expect(d.spec.replicas).toBe(1);
    expect(c?.image).toBe(`bulkhead@${digest}`);
    expect(c?.args).not.toContain('--leader-elect');
    expect(c?.args.join(' ')).toContain('--workers 4 --resync 600 --kube-api-qps 50 --kube-api-burst 400 --dns-namespace kube-system --dns-pod-labels app.kubernetes.io/name=coredns --monitoring-namespace observability --monitoring-pod-labels app.kubernetes.io/name=prometheus --resync 60');
    const np = mine.find((o) => o.kind === 'NetworkPolicy') as KubeObject & { spec: { ingress: { from: unknown[] }[]; egress: { to: unknown[]; ports: unknown[] }[] } };
    expect(np.spec.ingress[0]?.from).toEqual([expect.objectContaining({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } })]);
    expect(np.spec.egress[1]).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '10.0.0.2/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] });
  }, SLOW);

  it('renders threat feeds: the fetch allow-list, egress to the feed hosts on 443 only, ConfigMap sources elsewhere, and the enabled ThreatFeeds', async () => {
    await ensureCrd(); // the ThreatFeeds are validated against their CRD
    const ns = await freshNamespace('pkg-feeds');
    const sources = await freshNamespace('pkg-feed-src');
    scratch.push(ns, sources);
    const rendered = await template('acme', ns, [
      '--set', 'threatFeeds.allowedHosts={www.spamhaus.org,feeds.example.com:8443}',
      '--set', 'threatFeeds.egressCidrs={192.0.2.10/32,2001:db8::10/128}',
      '--set', `threatFeeds.configMapNamespaces={${sources}}`,
      '--set', 'threatFeeds.feeds.spamhaus-drop-v4.enabled=true',
    ]);
    await dryRun(rendered);
    const d = rendered.find((o) => o.kind === 'Deployment') as Deployment;
    expect(d.spec.template.spec.containers[0]?.args.join(' ')).toContain('--threatfeed-hosts www.spamhaus.org,feeds.example.com:8443');
    const np = rendered.find((o) => o.kind === 'NetworkPolicy') as KubeObject & { spec: { egress: { to: unknown[]; ports: unknown[] }[] } };
    expect(np.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '192.0.2.10/32' } }, { ipBlock: { cidr: '2001:db8::10/128' } }], ports: [{ protocol: 'TCP', port: 443 }] });
    const feeds = rendered.filter((o) => o.kind === 'ThreatFeed') as (KubeObject & { spec: { source: { https?: { url: string } }; format: string } })[];
    expect(feeds.map((f) => [f.metadata.name, f.spec.source.https?.url, f.spec.format])).toEqual([['spamhaus-drop-v4', 'https://www.spamhaus.org/drop/drop_v4.json', 'SpamhausDROPJSON']]);
    const roles = rendered.filter((o) => o.kind === 'Role' && o.metadata.name.startsWith('bulkhead-threatfeed')) as (KubeObject & { rules: { resources: string[]; verbs: string[] }[] })[];
    expect(roles.map((r) => [r.metadata.namespace, r.metadata.name, r.rules])).toEqual([
      [ns, 'bulkhead-threatfeeds', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch'] }]],
      [sources, 'bulkhead-threatfeed-sources', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]],
    ]);
    // Off by default: no ThreatFeed, no allow-list, no egress beyond DNS and the API server.
    const plain = await template('acme', ns);
    expect(plain.filter((o) => o.kind === 'ThreatFeed')).toEqual([]);
    expect((plain.find((o) => o.kind === 'Deployment') as Deployment).spec.template.spec.containers[0]?.args).not.toContain('--threatfeed-hosts');
  }, SLOW);

  it('refuses values that break values.schema.json, naming the value and what would be valid', async () => {
    const refusals: [string[], RegExp][] = [
      [['--set', 'controller.workers=0'], /at '\/controller\/workers': minimum: got 0, want 1/],
      [['--set', 'controller.kubeApiBurst=0'], /at '\/controller\/kubeApiBurst': minimum: got 0, want 1/],
      [['--set', 'replicacount=2'], /additional properties 'replicacount' not allowed/],
      [['--set', 'metrics.port=70000'], /at '\/metrics\/port': maximum: got 70,000, want 65,535/],
      [['--set', 'controller.logLevel=trace'], /at '\/controller\/logLevel': value must be one of 'error', 'warn', 'info', 'debug'/],
      [['--set', 'image.digest=sha256:abc'], /at '\/image\/digest': 'sha256:abc' does not match pattern/],
      // The operator holds the ceiling itself: wildcards or escalation verbs there would be its own.
      [['--set-json', 'ceiling.defaultRules=[{"apiGroups":[""],"resources":["secrets"],"verbs":["escalate"]}]'], /at '\/ceiling\/defaultRules\/0\/verbs\/0': value must be one of 'get', 'list', 'watch', 'update', 'patch', 'delete'/],
      [['--set-json', 'ceiling.defaultRules=[{"apiGroups":["*"],"resources":["secrets"],"verbs":["get"]}]'], /at '\/ceiling\/defaultRules\/0\/apiGroups\/0': '\*' does not match pattern/],
      [['--set-json', 'ceiling.defaultRules=[{"apiGroups":[""],"resources":["*"],"verbs":["get"]}]'], /at '\/ceiling\/defaultRules\/0\/resources\/0': '\*' does not match pattern/],
    ];
    for (const [values, message] of refusals) {
      const res = await run(bin, ['template', 'bulkhead', CHART(), '--kube-version', kubeVersion, ...values]);
      expect([values, res.code]).not.toEqual([values, 0]);
      expect([values, res.stderr]).toEqual([values, expect.stringMatching(message)]);
    }
    // A narrower ceiling that stays within the grantable verbs is fine.
    const narrow = await template('bulkhead', INSTALL_NAMESPACE, ['--set-json', 'ceiling.defaultRules=[{"apiGroups":[""],"resources":["pods/log"],"verbs":["get","list"]}]']);
    const member = narrow.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('grantable-default')) as KubeObject & { rules: unknown[] };
    expect(member.rules).toEqual([{ apiGroups: [''], resources: ['pods/log'], verbs: ['get', 'list'] }]);
  }, SLOW);

  it('uses an existing ServiceAccount when told not to create one', async () => {
    const rendered = await template('bulkhead', INSTALL_NAMESPACE, ['--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=platform-bulkhead']);
    expect(rendered.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === INSTALL_NAMESPACE)).toEqual([]);
    const d = rendered.find((o) => o.kind === 'Deployment') as Deployment;
    expect(d.spec.template.spec.serviceAccountName).toBe('platform-bulkhead');
    const refused = await run(bin, ['template', 'bulkhead', CHART(), '--kube-version', kubeVersion, '--set', 'serviceAccount.create=false']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/serviceAccount.name is required/);
  }, SLOW);

  it('renders the ServiceMonitor, the PrometheusRule and the dashboard only when enabled; the rules are the rules file, the dashboard the dashboard file', async () => {
    const monitoring = (objects: KubeObject[]): KubeObject[] =>
      objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule' || (o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')));
    expect(monitoring(await template('bulkhead', INSTALL_NAMESPACE))).toEqual([]);
    const ns = await freshNamespace('pkg-monitoring');
    const dashboards = await freshNamespace('pkg-grafana');
    scratch.push(ns, dashboards);
    const flags = {
      ServiceMonitor: ['--set', 'metrics.serviceMonitor.enabled=true', '--set-json', 'metrics.serviceMonitor.labels={"release":"kps"}', '--set', 'metrics.serviceMonitor.interval=15s'],
      PrometheusRule: ['--set', 'metrics.prometheusRule.enabled=true', '--set-json', 'metrics.prometheusRule.labels={"release":"kps"}'],
      ConfigMap: ['--set', 'metrics.grafanaDashboard.enabled=true', '--set', `metrics.grafanaDashboard.namespace=${dashboards}`, '--set-json', 'metrics.grafanaDashboard.annotations={"grafana_folder":"Security"}'],
    };
    // Each value turns on its own object and nothing else.
    for (const [kind, extra] of Object.entries(flags)) expect([kind, monitoring(await template('acme', ns, extra)).map((o) => o.kind)]).toEqual([kind, [kind]]);

    const lint = await run(bin, ['lint', '--strict', CHART(), '--kube-version', kubeVersion, ...Object.values(flags).flat()]);
    expect([lint.code, `${lint.stdout}${lint.stderr}`]).toEqual([0, expect.stringMatching(/1 chart\(s\) linted, 0 chart\(s\) failed/)]);
    const rendered = await template('acme', ns, Object.values(flags).flat());
    const rule = rendered.find((o) => o.kind === 'PrometheusRule') as KubeObject & { apiVersion: string; spec: unknown };
    expect([rule.apiVersion, rule.metadata.namespace, rule.metadata.labels?.['release']]).toEqual(['monitoring.coreos.com/v1', ns, 'kps']);
    expect(rule.spec).toEqual(load(readFileSync(path.join(CHART(), 'files', 'prometheus-rules.yaml'), 'utf8')));

    type ServiceMonitor = KubeObject & { apiVersion: string; spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string; interval: string }[] } };
    const monitor = rendered.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor;
    expect([monitor.apiVersion, monitor.metadata.namespace, monitor.metadata.labels?.['release']]).toEqual(['monitoring.coreos.com/v1', ns, 'kps']);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([ns]);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics', interval: '15s' })]);
    // It selects the metrics Service (and only Services of this release), by a port the Service names.
    const services = rendered.filter((o) => o.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    expect(services.map((o) => o.metadata.name)).toEqual(['acme-bulkhead-metrics']);
    expect((services[0] as KubeObject & { spec: { ports: { name: string }[] } }).spec.ports.map((p) => p.name)).toContain('metrics');

    const dashboard = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) as KubeObject & { data: Record<string, string> };
    expect([dashboard.metadata.name, dashboard.metadata.namespace, dashboard.metadata.labels?.['grafana_dashboard'], dashboard.metadata.annotations]).toEqual(['acme-bulkhead-dashboard', dashboards, '1', { grafana_folder: 'Security' }]);
    expect(Object.keys(dashboard.data)).toEqual(['bulkhead.json']);
    expect(JSON.parse(dashboard.data['bulkhead.json'] as string)).toEqual(JSON.parse(readFileSync(path.join(CHART(), 'files', 'grafana-dashboard.json'), 'utf8')));
    // The API server takes the ConfigMap (the monitoring.coreos.com CRDs are not on the test cluster).
    expect(await dryRun([dashboard])).toEqual([`configmap/acme-bulkhead-dashboard`]);

    const refusals: [string[], RegExp][] = [
      [[...flags.ServiceMonitor, '--set', 'metrics.service.enabled=false'], /metrics.serviceMonitor.enabled needs metrics.service.enabled/],
      [['--set', 'metrics.serviceMonitor.interval=often'], /at '\/metrics\/serviceMonitor\/interval': 'often' does not match pattern/],
      [['--set-json', 'metrics.grafanaDashboard.labels={"grafana_dashboard":null}'], /at '\/metrics\/grafanaDashboard\/labels': minProperties: got 0, want 1/],
      [['--set', 'metrics.prometheusRule.enable=true'], /additional properties 'enable' not allowed/],
    ];
    for (const [values, message] of refusals) {
      const res = await run(bin, ['template', 'bulkhead', CHART(), '--kube-version', kubeVersion, ...values]);
      expect([values, res.code]).not.toEqual([values, 0]);
      expect([values, res.stderr]).toEqual([values, expect.stringMatching(message)]);
    }
  }, SLOW);

  it('the API server accepts the rendered ServiceMonitor and PrometheusRule under the Prometheus Operator\'s CRDs, and refuses a misspelt field', async () => {
    // The CRDs as the Prometheus Operator generates them from its API types (hack/build-monitoring-crds.sh).
    const crds = await new Promise<string>((resolve, reject) => {
      execFile('bash', [path.join(repoRoot(), 'hack', 'build-monitoring-crds.sh')], { timeout: 900_000 }, (err, stdout, stderr) => (err === null ? resolve(stdout.trim()) : reject(new Error(`hack/build-monitoring-crds.sh: ${err.message} ${stderr}`))));
    });
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', crds]);
    for (const crd of ['servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com']) await waitEstablished(crd);
    const ns = await freshNamespace('pkg-monitoring-crd');
    scratch.push(ns);
    const rendered = await template('acme', ns, ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true']);
    const objects = rendered.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule');
    expect((await dryRun(objects)).sort()).toEqual(['prometheusrule.monitoring.coreos.com/acme-bulkhead', 'servicemonitor.monitoring.coreos.com/acme-bulkhead']);
    // The CRDs do validate: a misspelt endpoint field and a malformed duration are refused.
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as KubeObject & { spec: { endpoints: Record<string, unknown>[] } };
    const misspelt = { ...monitor, spec: { ...monitor.spec, endpoints: [{ ...monitor.spec.endpoints[0], scrapeTimout: '10s' }] } };
    const badInterval = { ...monitor, spec: { ...monitor.spec, endpoints: [{ ...monitor.spec.endpoints[0], interval: 'often' }] } };
    for (const [obj, message] of [[misspelt, /unknown field "spec.endpoints\[0\].scrapeTimout"/], [badInterval, /spec.endpoints\[0\].interval/]] as const) {
      const res = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(obj) });
      expect([res.code === 0, res.stderr]).toEqual([false, expect.stringMatching(message)]);
    }
  }, SLOW * 5);

  it('goes through helm install --dry-run=server and prints its NOTES', async () => {
    const ns = await freshNamespace('pkg-helm');
    scratch.push(ns);
    // Other suites install manifests/ (cluster-scoped RBAC and admission policies of the same
    // names) on this shared cluster; --take-ownership lets the dry run adopt them instead of
    // refusing, as it would when migrating a kubectl install to Helm.
    const res = await run(bin, ['install', 'bulkhead', CHART(), '--namespace', ns, '--dry-run=server', '--take-ownership'], { KUBECONFIG: adminKubeconfig() });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/STATUS: pending-install/);
    expect(res.stdout).toMatch(new RegExp(`kubectl -n ${ns} rollout status deployment/bulkhead`));
  }, SLOW);
});
