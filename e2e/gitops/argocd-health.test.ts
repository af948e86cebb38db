// Argo CD's health check for AIWorkloads (integrations/argocd/health.lua), run by gopher-lua, the
// interpreter Argo CD embeds: first on statuses built by the operator's own computeStatus for every
// reason it writes, then on AIWorkloads the real operator drove into each state on the real control
// plane, read back with `kubectl get -o json` as Argo CD would see them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { AIWorkloadStatus } from '../../src/api/types.js';
import { type AppliedOutcome, type Outcome, computeStatus } from '../../src/controller/status.js';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { HOSTILE_CASES, baseSpec } from '../security/hostile-cases.js';
import { type Health, HEALTH_SCRIPT, THREATFEED_HEALTH_SCRIPT, argoHealth, repoRoot, runLua, toLuaLiteral } from './lua.js';

type Condition = { type: string; status: string; reason: string; message?: string };
type Live = { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Condition[] } };

const NOW = '2030-01-01T00:00:00.000Z';

const applied = (over: Partial<AppliedOutcome> = {}): AppliedOutcome => ({
  kind: 'applied',
  audit: false,
  components: [{ name: 'api', networkPolicy: 'w-api', serviceAccount: 'w-api', matchedPods: 0, podsWithOtherServiceAccount: 0 }],
  consentPending: [],
  identityDrift: [],
  exposed: [],
  ceiling: [],
  ...over,
});

const object = (generation: number, status?: AIWorkloadStatus, spec: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'AIWorkload',
  metadata: { name: 'w', namespace: 'ns', generation },
  spec,
  ...(status !== undefined ? { status } : {}),
});

/** The status the operator writes for `outcome` at `generation`, after `prev`. */
const statusFor = (outcome: Outcome, generation: number, prev?: AIWorkloadStatus): AIWorkloadStatus => computeStatus(prev, outcome, generation, NOW);

describe('the Lua literal of an object', () => {
  test('keeps every string byte for byte and arrays as 1-based sequences', async () => {
    const tricky = 'quote " backslash \\ newline \n tab \t cr \r nul \u0000 del \u007f ]] [[ em dash \u2014 emoji \u{1F512} 9';
    const program = `local o = ${toLuaLiteral({ s: tricky, a: ['x', 'y'], n: 12, f: -1.5, t: true, z: null, 'odd "key"': { nested: [] } })}\n`
      + 'io.write(o.s, "|", #o.a, o.a[1], o.a[2], "|", o.n, "|", o.f, "|", tostring(o.t), "|", tostring(o.z), "|", type(o[\'odd "key"\'].nested))';
    expect(await runLua(program)).toBe(`${tricky}|2xy|12|-1.5|true|nil|table`);
  });
});

describe('the health script on statuses the operator computes', () => {
  const applied1 = statusFor(applied(), 1);
  const cases: { name: string; obj: unknown; want: Health }[] = [
    { name: 'no status yet', obj: object(1), want: { status: 'Progressing', message: 'waiting for the operator to observe generation 1' } },
    { name: 'observedGeneration behind (Ready still True from generation 1)', obj: object(2, applied1), want: { status: 'Progressing', message: 'waiting for the operator to observe generation 2' } },
    {
      name: 'generation 2 failed to apply, transiently (ApplyFailed keeps observedGeneration at 1)',
      obj: object(2, statusFor({ kind: 'failed', refused: false, message: 'apply NetworkPolicy ns/w-api failed: connect ECONNREFUSED' }, 2, applied1)),
      want: { status: 'Degraded', message: 'apply NetworkPolicy ns/w-api failed: connect ECONNREFUSED' },
    },
    {
      name: 'a drift repair failing at the observed generation (ApplyFailed, retried)',
      obj: object(1, statusFor({ kind: 'failed', refused: false, message: 'apply ServiceAccount ns/w-api failed: 500 InternalError: etcdserver: request timed out' }, 1, applied1)),
      want: { status: 'Degraded', message: 'apply ServiceAccount ns/w-api failed: 500 InternalError: etcdserver: request timed out' },
    },
    {
      name: 'a write refused by RBAC or admission (ApplyFailed, Stalled)',
      obj: object(2, statusFor({ kind: 'failed', refused: true, message: 'apply NetworkPolicy ns/w-api refused: 403 Forbidden: denied by bulkhead-tamper-protection' }, 2, applied1)),
      want: { status: 'Degraded', message: 'apply NetworkPolicy ns/w-api refused: 403 Forbidden: denied by bulkhead-tamper-protection' },
    },
    {
      name: 'a failure of generation 1 while generation 2 is not observed yet',
      obj: object(2, statusFor({ kind: 'failed', refused: false, message: 'apply NetworkPolicy ns/w-api failed: timed out' }, 1, applied1)),
      want: { status: 'Progressing', message: 'waiting for the operator to observe generation 2' },
    },
    { name: 'Applied', obj: object(1, applied1), want: { status: 'Healthy', message: '1 segment(s) enforced.' } },
    {
      name: 'Audited',
      obj: object(1, statusFor(applied({ audit: true }), 1), { enforcement: 'Audit' }),
      want: { status: 'Healthy', message: 'Audit mode, nothing enforced. Audit mode: 1 segment(s) computed; nothing written. Enforcing would block no current connection.' },
    },
    {
      name: 'InvalidSpec (Stalled)',
      obj: object(1, statusFor({ kind: 'invalid', message: 'spec.egress[0].to.cidr: the cloud metadata address' }, 1)),
      want: { status: 'Degraded', message: 'spec.egress[0].to.cidr: the cloud metadata address' },
    },
    {
      name: 'PermissionsOutsideCeiling',
      obj: object(1, statusFor(applied({ ceiling: ['api: get secrets/weights'] }), 1)),
      want: { status: 'Degraded', message: "1 segment(s) enforced, but these permissions are outside the operator's grantable ceiling and were not granted: api: get secrets/weights" },
    },
    {
      name: 'Exposed, Ready True',
      obj: object(1, statusFor(applied({ exposed: ['api: ns/intruder[Pod] can reach ns/api-0[Pod] (via ns/allow-all)'] }), 1)),
      want: { status: 'Degraded', message: 'Exposed: api: ns/intruder[Pod] can reach ns/api-0[Pod] (via ns/allow-all)' },
    },
    {
      name: 'ConsentPending and IdentityDrift are informational',
      obj: object(1, statusFor(applied({ consentPending: ['api: b/server/s has not declared ingress from a/w/api'], identityDrift: ['api: 1 pod(s) not running as w-api: api-0 (as default)'] }), 1)),
      want: { status: 'Healthy', message: '1 segment(s) enforced. ConsentPending: api: b/server/s has not declared ingress from a/w/api IdentityDrift: api: 1 pod(s) not running as w-api: api-0 (as default)' },
    },
    {
      name: 'IdentityWidened is informational',
      obj: object(1, statusFor(applied({ identityWidened: ['api (ServiceAccount w-api): ClusterRoleBinding sa-view binds ClusterRole view through group system:serviceaccounts'] }), 1)),
      want: { status: 'Healthy', message: '1 segment(s) enforced. IdentityWidened: api (ServiceAccount w-api): ClusterRoleBinding sa-view binds ClusterRole view through group system:serviceaccounts' },
    },
    {
      name: 'ThreatFeedUnavailable is informational: the platform team owns the feed',
      obj: object(1, statusFor(applied({ feedsUnavailable: ['ThreatFeed drop has no set in force: ConfigMap bulkhead-system/drop does not exist'] }), 1)),
      want: { status: 'Healthy', message: '1 segment(s) enforced. ThreatFeedUnavailable: ThreatFeed drop has no set in force: ConfigMap bulkhead-system/drop does not exist' },
    },
    {
      name: 'ThreatFeedUnavailable does not hide Exposed',
      obj: object(1, statusFor(applied({ feedsUnavailable: ['ThreatFeed drop has no set in force: not read yet'], exposed: ['api: ns/intruder[Pod] can reach ns/api-0[Pod] (via ns/allow-all)'] }), 1)),
      want: { status: 'Degraded', message: 'Exposed: api: ns/intruder[Pod] can reach ns/api-0[Pod] (via ns/allow-all)' },
    },
    {
      name: 'a status without conditions at the current generation',
      obj: object(1, { observedGeneration: 1 }),
      want: { status: 'Progressing', message: 'waiting for the Ready condition' },
    },
  ];

  test.each(cases)('$name', async ({ obj, want }) => {
    expect(await argoHealth(obj)).toEqual(want);
  });
});

describe('the health script on AIWorkloads the operator reconciled', () => {
  let operator: RunningOperator | undefined;
  let ns: string;

  const workload = (name: string, spec: unknown): string => dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace: ns }, spec });
  const live = async (name: string): Promise<Live> => JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', name, '-o', 'json'])) as Live;
  const condition = (obj: Live, type: string): Condition | undefined => obj.status?.conditions?.find((c) => c.type === type);
  /** Polls until the live object satisfies `ready`, then returns the health Argo CD computes for that object. */
  const healthWhen = async (name: string, ready: (o: Live) => boolean, description: string): Promise<Health> => {
    const obj = await waitFor(async () => {
      const o = await live(name);
      return ready(o) ? o : undefined;
    }, { timeoutMs: 30_000, description });
    return argoHealth(obj);
  };
  const observed = (o: Live): boolean => o.status?.observedGeneration === o.metadata.generation;
  // Each workload selects its own pods (app: <workload>-<component>), so that no two overlap.
  const ragSpec = (workloadName: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
    components: [
      { name: 'api', role: 'Gateway', selector: { matchLabels: { app: `${workloadName}-api` } }, ports: [{ name: 'http', port: 8080 }] },
      { name: 'vectors', role: 'VectorStore', selector: { matchLabels: { app: `${workloadName}-vectors` } }, ports: [{ name: 'http', port: 8080 }] },
    ],
    flows: [{ from: 'api', to: 'vectors', ports: ['http'] }],
    ...over,
  });

  beforeAll(async () => {
    await ensureCrd();
    ns = await freshNamespace('gitops');
    operator = await startOperator();
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns !== undefined) await deleteNamespace(ns);
  });

  test('argocd-cm.yaml patches argocd-cm with exactly health.lua and threatfeed-health.lua', async () => {
    await kubectlOk(['-n', ns, 'create', 'configmap', 'argocd-cm']);
    await kubectlOk(['-n', ns, 'patch', 'configmap', 'argocd-cm', '--patch-file', path.join(repoRoot(), 'integrations', 'argocd', 'argocd-cm.yaml')]);
    const cm = JSON.parse(await kubectlOk(['-n', ns, 'get', 'configmap', 'argocd-cm', '-o', 'json'])) as { data?: Record<string, string> };
    expect(cm.data).toEqual({
      'resource.customizations.health.bulkhead.dev_AIWorkload': readFileSync(path.join(repoRoot(), HEALTH_SCRIPT), 'utf8'),
      'resource.customizations.health.bulkhead.dev_ThreatFeed': readFileSync(path.join(repoRoot(), THREATFEED_HEALTH_SCRIPT), 'utf8'),
    });
  }, 30_000);

  test('Ready is Healthy; a generation the operator has not observed is Progressing until it has', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: workload('rag', ragSpec('rag')) });
    expect(await healthWhen('rag', (o) => observed(o) && condition(o, 'Ready')?.status === 'True', 'rag Ready')).toEqual({ status: 'Healthy', message: '2 segment(s) enforced.' });

    // With the operator stopped, a spec change stays unobserved for as long as we look. The
    // operator is back for the next tests even when an expectation here fails.
    await operator?.stop();
    operator = undefined;
    try {
      await kubectlOk(['apply', '-f', '-'], { input: workload('rag', ragSpec('rag', { flows: [] })) });
      const behind = await live('rag');
      expect(behind.metadata.generation).toBe(2);
      expect(behind.status?.observedGeneration).toBe(1);
      expect(condition(behind, 'Ready')?.status).toBe('True');
      expect(await argoHealth(behind)).toEqual({ status: 'Progressing', message: 'waiting for the operator to observe generation 2' });
    } finally {
      operator = await startOperator();
    }
    expect(await healthWhen('rag', observed, 'rag generation 2 observed')).toEqual({ status: 'Healthy', message: '2 segment(s) enforced.' });
  }, 120_000);

  test('a spec the CRD accepts but the controller refuses is Degraded, naming the field', async () => {
    const hostile = HOSTILE_CASES.find((c) => c.name === 'the cloud metadata address');
    if (hostile === undefined || hostile.by !== 'controller') throw new Error('hostile case "the cloud metadata address" (by: controller) is gone');
    const spec = baseSpec();
    hostile.mutate(spec);
    await kubectlOk(['apply', '-f', '-'], { input: workload('metadata-egress', spec) });
    const health = await healthWhen('metadata-egress', (o) => observed(o) && condition(o, 'Stalled')?.status === 'True', 'Stalled=True');
    expect(health.status).toBe('Degraded');
    expect(health.message).toContain(`${hostile.field}: `);
  }, 60_000);

  test('an allow-all ingress policy beside the segments is Degraded (Exposed)', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: workload('exposed', ragSpec('exposed')) });
    await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/exposed', '--timeout=60s']);
    // Exposure is computed for pods a segment selects: one per component, and a pod outside them.
    const pod = (name: string, labels: Record<string, string>): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels },
      spec: { containers: [{ name: 'main', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
    });
    const allowAll = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace: ns }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } };
    await kubectlOk(['apply', '-f', '-'], { input: [pod('api-0', { app: 'exposed-api' }), pod('vectors-0', { app: 'exposed-vectors' }), pod('intruder', { app: 'intruder' }), allowAll].map((o) => dump(o)).join('---\n') });
    const health = await healthWhen('exposed', (o) => condition(o, 'Exposed')?.status === 'True', 'Exposed=True');
    expect(health.status).toBe('Degraded');
    expect(health.message).toMatch(new RegExp(`^Exposed: .*${ns}/intruder\\[Pod\\] can reach .*\\(via ${ns}/allow-all\\)`));

    await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'allow-all']);
    const cleared = await healthWhen('exposed', (o) => observed(o) && condition(o, 'Exposed') === undefined, 'Exposed cleared');
    // The pods above do not run as their segments' ServiceAccounts: IdentityDrift, informational,
    // naming each pod and the ServiceAccount it runs as.
    expect(cleared.status).toBe('Healthy');
    expect(cleared.message).toBe('2 segment(s) enforced. IdentityDrift: api: 1 pod(s) not running as exposed-api: api-0 (as default); vectors: 1 pod(s) not running as exposed-vectors: vectors-0 (as default)');
  }, 90_000);

  test('audit mode is Healthy and says nothing is enforced', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: workload('audited', ragSpec('audited', { enforcement: 'Audit' })) });
    const health = await healthWhen('audited', (o) => observed(o) && condition(o, 'Ready')?.status === 'True', 'audited Ready');
    expect(health.status).toBe('Healthy');
    expect(health.message).toMatch(/^Audit mode, nothing enforced\. Audit mode: 2 segment\(s\) computed; nothing written\./);
  }, 60_000);
});
