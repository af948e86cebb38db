// Write failures reach status. The operator runs with a kubeconfig whose writes of generated
// objects RBAC refuses (it may read everything and write status and Events, as manifests/rbac.yaml
// allows): the AIWorkload must say Ready=False/ApplyFailed naming the object and quoting the API
// server, a Warning Event must say the same, bulkhead_reconcile_total must count result="error",
// and Argo CD's health check and kstatus must see a failure, not progress. Then the same for a
// drift repair after Ready=True, and recovery once the writes are allowed again.
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { readOnlyOperatorUser } from '../harness/operator-identity.js';
import { argoHealth } from '../gitops/lua.js';
import { HOSTILE_CASES, baseSpec } from '../security/hostile-cases.js';

type Condition = { type: string; status: string; reason: string; message?: string; observedGeneration?: number };
type Live = { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Condition[] } };
type EventList = { items: { type: string; reason: string; message: string; count?: number }[] };

const USER = 'bulkhead-writes-refused';
let ns = '';
let readOnly = '';
let operator: RunningOperator | undefined;

const workload = (name: string, spec: unknown): string => dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace: ns }, spec });
const modelSpec = { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] }] };
const live = async (name: string): Promise<Live> => JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', name, '-o', 'json'])) as Live;
const condition = (o: Live, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);

/**
 * kstatus's generic rules for a custom resource, as Flux's kustomize-controller applies them:
 * an unobserved generation or Reconciling=True is InProgress, Stalled=True is Failed, else Current.
 */
function kstatus(o: Live): 'InProgress' | 'Failed' | 'Current' {
  const observed = o.status?.observedGeneration;
  if (observed !== undefined && observed !== o.metadata.generation) return 'InProgress';
  if (condition(o, 'Reconciling')?.status === 'True') return 'InProgress';
  if (condition(o, 'Stalled')?.status === 'True') return 'Failed';
  return 'Current';
}

/** Polls until the AIWorkload's Ready condition is False with reason ApplyFailed at its generation. */
const applyFailed = (name: string): Promise<Live> =>
  waitFor(async () => {
    const o = await live(name);
    const ready = condition(o, 'Ready');
    return ready?.status === 'False' && ready.reason === 'ApplyFailed' && ready.observedGeneration === o.metadata.generation ? o : undefined;
  }, { timeoutMs: 30_000, description: `${name}: Ready=False/ApplyFailed` });

const warnings = async (name: string): Promise<EventList['items']> =>
  (JSON.parse(await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', `type=Warning,reason=ApplyFailed,involvedObject.name=${name}`, '-o', 'json'])) as EventList).items;

/** bulkhead_reconcile_total{result} as the operator serves it. */
async function reconciles(op: RunningOperator | undefined, result: string): Promise<number> {
  const body = (await op?.get('/metrics'))?.body ?? '';
  const m = new RegExp(`^bulkhead_reconcile_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(body);
  return m === null ? 0 : Number(m[1]);
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('write-failures');
  readOnly = (await readOnlyOperatorUser(USER)).kubeconfig;
  operator = await startOperator({ kubeconfig: readOnly });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== '') await deleteNamespace(ns);
  await kubectlOk(['delete', 'clusterrolebinding,clusterrole', USER, '--ignore-not-found']);
  await kubectlOk(['-n', 'default', 'delete', 'rolebinding', USER, '--ignore-not-found']);
});

test('writes RBAC refuses: Ready=False/ApplyFailed naming the object and the server, a Warning Event, result="error", Degraded and Failed', async () => {
  await kubectlOk(['apply', '-f', '-'], { input: workload('w', modelSpec) });
  const failed = await applyFailed('w');
  const ready = condition(failed, 'Ready');
  // The first write of the plan is the ServiceAccount; every write is refused, so the message names
  // both objects, each with the API server's own words.
  expect(ready?.message).toMatch(new RegExp(`^apply ServiceAccount ${ns}/w-model refused: 403 Forbidden: serviceaccounts "w-model" is forbidden: User "${USER}" cannot patch resource "serviceaccounts" in API group "" in the namespace "${ns}"`));
  expect(ready?.message).toContain(`apply NetworkPolicy ${ns}/w-model refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-model" is forbidden: User "${USER}" cannot patch`);
  // Refused: final for this generation until someone changes RBAC, admission or the spec.
  expect(failed.status?.observedGeneration).toBe(failed.metadata.generation);
  expect(condition(failed, 'Stalled')).toMatchObject({ status: 'True', reason: 'ApplyFailed', message: ready?.message });
  expect(condition(failed, 'Reconciling')).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
  expect(kstatus(failed)).toBe('Failed');
  expect(await argoHealth(failed)).toEqual({ status: 'Degraded', message: ready?.message });

  const events = await waitFor(async () => {
    const list = await warnings('w');
    return list.length > 0 ? list : undefined;
  }, { description: 'a Warning ApplyFailed Event' });
  expect(events.map((e) => e.message)).toEqual([ready?.message]);
  expect(await waitFor(async () => (await reconciles(operator, 'error')) >= 1 && reconciles(operator, 'error'), { description: 'result="error" counted' })).toBeGreaterThanOrEqual(1);
  expect(await kubectlOk(['-n', ns, 'get', 'serviceaccount,networkpolicy', '-l', 'bulkhead.dev/workload=w', '-o', 'name'])).toBe('');
}, 90_000);

test('an invalid spec counts as result="invalid"', async () => {
  const hostile = HOSTILE_CASES.find((c) => c.name === 'the cloud metadata address');
  if (hostile === undefined || hostile.by !== 'controller') throw new Error('hostile case "the cloud metadata address" (by: controller) is gone');
  const spec = baseSpec();
  hostile.mutate(spec);
  const before = await reconciles(operator, 'invalid');
  await kubectlOk(['apply', '-f', '-'], { input: workload('invalid', spec) });
  await waitFor(async () => condition(await live('invalid'), 'Stalled')?.reason === 'InvalidSpec', { description: 'invalid: Stalled=True/InvalidSpec' });
  await waitFor(async () => (await reconciles(operator, 'invalid')) > before, { description: 'result="invalid" counted' });
}, 60_000);

test('allowed again, it converges; a drift repair refused after Ready=True turns Ready false', async () => {
  // An admin fixes the operator's permissions: the failure clears (the refused write is retried on a timer).
  await operator?.stop();
  operator = await startOperator();
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/w', '--timeout=60s']);
  const converged = await live('w');
  expect(condition(converged, 'Stalled')).toMatchObject({ status: 'False', reason: 'Converged' });
  expect(await argoHealth(converged)).toEqual({ status: 'Healthy', message: '1 segment(s) enforced.' });

  // Then its writes are refused again, and someone deletes a segment's policy.
  await operator.stop();
  operator = await startOperator({ kubeconfig: readOnly });
  await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'w-model']);
  const failed = await applyFailed('w');
  const message = condition(failed, 'Ready')?.message ?? '';
  expect(message).toMatch(new RegExp(`^apply NetworkPolicy ${ns}/w-model refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-model" is forbidden: User "${USER}" cannot patch resource "networkpolicies"`));
  expect(kstatus(failed)).toBe('Failed');
  expect(await argoHealth(failed)).toEqual({ status: 'Degraded', message });
  await waitFor(async () => (await warnings('w')).some((e) => e.message === message), { description: 'a Warning Event for the refused repair' });
  expect(await reconciles(operator, 'error')).toBeGreaterThanOrEqual(1);
}, 150_000);
