// `bulkhead check` against the real control plane: with the shipped CRD, RBAC and admission
// policies installed and a leading operator it finds nothing failed; it fails (exit 1), naming
// what is missing, once an admission policy is gone or the operator's Lease has gone stale. The
// local control plane has no CNI, so the CNI check always warns here.
import { dump } from 'js-yaml';
import { type CliResult, bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { operatorUser } from '../harness/operator-identity.js';
import { type RunningOperator, startOperator } from '../harness/operator.js';
import { installAdmissionPolicies, installIdentityPolicies, removeAdmissionPolicies, removeIdentityPolicies } from '../security/support.js';

type Finding = { check: string; status: 'ok' | 'warn' | 'fail'; detail: string };

let ns: string;
let operator: RunningOperator | undefined;

const check = (args: string[]): Promise<CliResult> => bulkhead(['check', ...args]);

async function findings(args: string[]): Promise<{ code: number; byCheck: Map<string, Finding> }> {
  const res = await check([...args, '-o', 'json']);
  const list = JSON.parse(res.stdout) as Finding[];
  return { code: res.code, byCheck: new Map(list.map((f) => [f.check, f])) };
}

beforeAll(async () => {
  ns = await freshNamespace('check');
  const user = await operatorUser('check-operator', { leaseNamespace: ns });
  // The operator runs in ns: its Lease, its identity registry and the registry's empty Role there.
  await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bulkhead-segment-identity', namespace: ns }, rules: [] }) });
  operator = await startOperator({ kubeconfig: user.kubeconfig, args: ['--leader-elect', 'true', '--leader-election-namespace', ns, '--identity', 'check-replica'], env: { POD_NAMESPACE: ns } });
  await installAdmissionPolicies(ns);
  await installIdentityPolicies(ns);
}, 180_000);

afterAll(async () => {
  await removeIdentityPolicies();
  await removeAdmissionPolicies(ns);
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
}, 180_000);

test('a complete installation with a leading operator passes; only the missing CNI warns', async () => {
  await waitFor(async () => (await findings(['-n', ns])).byCheck.get('operator')?.status === 'ok', { description: 'the operator to lead' });
  const { code, byCheck } = await findings(['-n', ns]);
  expect(code).toBe(0);
  expect([...byCheck.values()].filter((f) => f.status !== 'ok').map((f) => f.check)).toEqual(['cni']);
  expect(byCheck.get('crd')?.detail).toContain("its v1alpha1 schema is this bulkhead's");
  expect(byCheck.get('operator')?.detail).toMatch(new RegExp(`^check-replica leads \\(Lease ${ns}/bulkhead-operator renewed \\d+ s ago\\)$`));
  expect(byCheck.get('ceiling')?.detail).toBe('bulkhead-grantable: get configmaps,secrets');
  // The text form says the same, with a summary line.
  const txt = await check(['-n', ns]);
  expect(txt.stdout).toMatch(/^ok {4}admission\/bulkhead-no-escalation +bulkhead-no-escalation installed, bound, denying$/m);
  expect(txt.stdout).toMatch(/^WARN {2}cni +no known NetworkPolicy-enforcing CNI/m);
  expect(txt.stdout).toMatch(/^ok {4}admission\/bulkhead-identity-bindings +bulkhead-identity-bindings installed, bound, denying$/m);
  expect(txt.stdout).toMatch(/^ok {4}admission\/bulkhead-segment-adoption +not installed \(opt-in/m);
  expect(txt.stdout).toMatch(new RegExp(`^ok {4}identity-registry +Role ${ns}/bulkhead-segment-identity grants nothing, as it must$`, 'm'));
  expect(txt.stdout).toMatch(/^ok {4}crd\/threatfeeds +threatfeeds.bulkhead.dev established; its v1alpha1 schema is this bulkhead's$/m);
  expect(txt.stdout).toMatch(/\n\n14 ok, 1 warnings, 0 failed\n$/);
}, 60_000);

test('a stale Lease fails the operator check, naming its holder', async () => {
  const stale = new Date(Date.now() - 10 * 60_000).toISOString().replace('Z', '000Z');
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'gone', namespace: ns }, spec: { holderIdentity: 'old-replica', leaseDurationSeconds: 15, renewTime: stale, acquireTime: stale } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(lease) });
  const res = await check(['-n', ns, '--lease', 'gone']);
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(new RegExp(`^FAIL {2}operator +Lease ${ns}/gone held by old-replica was last renewed 6\\d\\d s ago \\(lease 15 s\\)`, 'm'));
});

test('without the no-escalation binding the admission check fails and says what is lost', async () => {
  await kubectlOk(['delete', 'validatingadmissionpolicybinding', 'bulkhead-no-escalation']);
  const { code, byCheck } = await findings(['-n', ns]);
  expect(code).toBe(1);
  expect(byCheck.get('admission/bulkhead-no-escalation')).toEqual({
    check: 'admission/bulkhead-no-escalation',
    status: 'fail',
    detail: 'bulkhead-no-escalation has no ValidatingAdmissionPolicyBinding bulkhead-no-escalation: it is installed but enforces nothing, so an AIWorkload can grant permissions its author does not hold',
  });
  expect(byCheck.get('admission/bulkhead-tamper-protection')?.status).toBe('ok');
});

test('without the segment-membership binding the admission check fails and says what is lost', async () => {
  await kubectlOk(['delete', 'validatingadmissionpolicybinding', 'bulkhead-segment-membership']);
  const { code, byCheck } = await findings(['-n', ns]);
  expect(code).toBe(1);
  expect(byCheck.get('admission/bulkhead-segment-membership')).toEqual({
    check: 'admission/bulkhead-segment-membership',
    status: 'fail',
    detail: 'bulkhead-segment-membership has no ValidatingAdmissionPolicyBinding bulkhead-segment-membership: it is installed but enforces nothing, so a pod that copies a segment\'s labels gets its network access under any ServiceAccount',
  });
  expect(byCheck.get('admission/bulkhead-segment-identity')?.status).toBe('ok');
});

test('a ThreatFeed with no set in force fails the check, naming it and why', async () => {
  const name = `check-feed-${ns}`;
  const feed = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name }, spec: { source: { configMap: { namespace: 'bulkhead-system', name: `missing-${ns}`, key: 'feed' } }, format: 'PlainList', scope: { namespaceSelector: { matchLabels: { 'bulkhead.dev/no-such-label': 'x' } } } } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(feed) });
  try {
    const finding = await waitFor(async () => {
      const f = (await findings(['-n', ns])).byCheck.get('threatfeeds');
      return f?.status === 'fail' && f.detail.includes('NoSetInForce') ? f : undefined;
    }, { timeoutMs: 30_000, description: 'the threatfeeds check to fail' });
    expect(finding.detail).toContain(`${name}: NoSetInForce: ConfigMap bulkhead-system/missing-${ns} does not exist; no set is in force`);
  } finally {
    await kubectlOk(['delete', 'threatfeed', name]);
  }
});

test('usage errors exit 2 naming the flag', async () => {
  const res = await check(['-o', 'yaml']);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('bulkhead check: -o must be txt or json, not "yaml"');
});
