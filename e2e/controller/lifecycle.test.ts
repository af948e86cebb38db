// Issue 2: the first slice end to end against a real kube-apiserver + kube-controller-manager, with
// the operator running as a separate process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { compile } from '../../src/compile/compile.js';
import { DEFAULT_PLATFORM } from '../../src/compile/facts.js';
import { validateSpec } from '../../src/api/validate.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';

type Obj = { kind: string; metadata: Record<string, unknown> & { name: string; uid?: string }; [k: string]: unknown };
type Condition = { type: string; status: string; reason: string; message?: string };

const MANAGED = 'networkpolicies,serviceaccounts,roles,rolebindings';
const sample = load(readFileSync(path.join(repoRoot(), 'samples', 'fraud-detection.yaml'), 'utf8')) as Obj & { spec: Record<string, unknown> };

let operator: RunningOperator;
let ns: string;

function workload(spec: unknown = sample.spec, name = 'fraud-detect'): string {
  return dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace: ns }, spec });
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

async function managedObjects(): Promise<Obj[]> {
  const list = await getJson<{ items: Obj[] }>(['-n', ns, 'get', MANAGED, '-l', 'bulkhead.dev/workload=fraud-detect']);
  return list.items;
}

const conditions = async (name = 'fraud-detect'): Promise<Condition[]> =>
  (await getJson<{ status?: { conditions?: Condition[] } }>(['-n', ns, 'get', 'aiworkload', name])).status?.conditions ?? [];

const condition = async (type: string, name = 'fraud-detect'): Promise<Condition | undefined> => (await conditions(name)).find((c) => c.type === type);

/** The live object without what the API server adds (identity, bookkeeping). */
function strip(o: Obj): Obj {
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, generation: _g, ...metadata } = o.metadata;
  return { ...o, metadata };
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('lifecycle');
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

test('applying the sample creates exactly the objects the compiler renders', async () => {
  await kubectlOk(['apply', '-f', '-'], { input: workload() });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/fraud-detect', '--timeout=60s']);
  const live = await getJson<Obj>(['-n', ns, 'get', 'aiworkload', 'fraud-detect']);
  const validated = validateSpec((live as unknown as { spec: unknown }).spec);
  if (!validated.ok) throw new Error('sample must be valid');
  const expected = compile({ name: 'fraud-detect', namespace: ns, uid: live.metadata.uid, spec: validated.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() }).objects;
  const actual = await managedObjects();
  const key = (o: Obj): string => `${o.kind}/${o.metadata.name}`;
  expect(actual.map(key).sort()).toEqual(expected.map((o) => key(o as unknown as Obj)).sort());
  expect(actual.length).toBe(12); // 5 NetworkPolicies, 5 ServiceAccounts, 1 Role, 1 RoleBinding
  for (const want of expected) {
    const got = actual.find((o) => key(o) === key(want as unknown as Obj));
    expect(strip(got as Obj)).toEqual(JSON.parse(JSON.stringify(want)));
  }
  const status = (live as unknown as { status: { observedGeneration: number; componentCount: number } }).status;
  expect(status.observedGeneration).toBe(live.metadata['generation']);
  expect(status.componentCount).toBe(5);
  // The Role names its objects, the ServiceAccount of a component without permissions mounts no token.
  const role = actual.find((o) => o.kind === 'Role') as Obj & { rules: { resourceNames: string[] }[] };
  expect(role.rules[0]?.resourceNames).toEqual(['fraud-model-weights']);
  const gatewaySa = actual.find((o) => key(o) === 'ServiceAccount/fraud-detect-gateway') as Obj & { automountServiceAccountToken: boolean };
  expect(gatewaySa.automountServiceAccountToken).toBe(false);
}, 90_000);

test('changing the AIWorkload updates its objects, and removing a component prunes them', async () => {
  const spec = JSON.parse(JSON.stringify(sample.spec)) as { components: { name: string; ports?: { name: string; port: number }[] }[]; flows: { from: string; to: string }[] };
  const gateway = spec.components.find((c) => c.name === 'gateway');
  if (gateway?.ports?.[0] === undefined) throw new Error('sample changed');
  gateway.ports[0].port = 8443;
  await kubectlOk(['apply', '-f', '-'], { input: workload(spec) });
  await waitFor(async () => {
    const np = await getJson<{ spec: { ingress: { ports?: { port: number }[] }[] } }>(['-n', ns, 'get', 'networkpolicy', 'fraud-detect-gateway']);
    return np.spec.ingress.some((r) => r.ports?.some((p) => p.port === 8443));
  }, { description: 'gateway policy on port 8443' });

  // Drop the training component (and its flow): its policy and ServiceAccount go; the rest stays.
  spec.components = spec.components.filter((c) => c.name !== 'training');
  spec.flows = spec.flows.filter((f) => f.from !== 'training');
  const withoutTraining = { ...spec, egress: [] };
  await kubectlOk(['apply', '-f', '-'], { input: workload(withoutTraining) });
  await waitFor(async () => {
    const names = (await managedObjects()).map((o) => `${o.kind}/${o.metadata.name}`);
    return !names.some((n) => n.endsWith('fraud-detect-training')) && names.length === 10;
  }, { description: 'training objects pruned' });
  // The ServiceAccount of a surviving component is the same object (updated in place, never recreated).
  const before = (await managedObjects()).find((o) => o.metadata.name === 'fraud-detect-model' && o.kind === 'ServiceAccount')?.metadata.uid;
  await kubectlOk(['apply', '-f', '-'], { input: workload(sample.spec) });
  await waitFor(async () => (await managedObjects()).length === 12, { description: 'training objects back' });
  const after = (await managedObjects()).find((o) => o.metadata.name === 'fraud-detect-model' && o.kind === 'ServiceAccount')?.metadata.uid;
  expect(after).toBe(before);
}, 90_000);

test('a deleted NetworkPolicy comes back', async () => {
  const old = await getJson<Obj>(['-n', ns, 'get', 'networkpolicy', 'fraud-detect-model']);
  await kubectlOk(['-n', ns, 'delete', 'networkpolicy', 'fraud-detect-model']);
  const back = await waitFor(async () => {
    const r = await kubectl(['-n', ns, 'get', 'networkpolicy', 'fraud-detect-model', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
  }, { description: 'NetworkPolicy restored' });
  expect(back.metadata.uid).not.toBe(old.metadata.uid);
  expect(strip(back)['spec']).toEqual(strip(old)['spec']);
}, 60_000);

test('malformed input is refused by the API server through the CRD schema, naming the field', async () => {
  const cases: { spec: unknown; field: RegExp }[] = [
    { spec: { components: [{ name: 'a', selector: {} }] }, field: /spec\.components\[0\]\.selector.*must not be empty/ },
    { spec: { components: [{ name: 'a', selector: { matchLabels: { x: 'y' } } }, { name: 'a', selector: { matchLabels: { x: 'z' } } }] }, field: /spec\.components.*component names must be unique/ },
    { spec: { components: [{ name: 'a', selector: { matchLabels: { x: 'y' } } }], flows: [{ from: 'a', to: 'nope' }] }, field: /spec\.flows.*name components/ },
    { spec: { components: [{ name: 'a', role: 'Database', selector: { matchLabels: { x: 'y' } } }] }, field: /spec\.components\[0\]\.role.*Unsupported value.*"Model"/ },
    { spec: { components: [{ name: 'a', selector: { matchLabels: { x: 'y' } } }], egress: [{ from: 'a', to: { cidr: '10.0.0.1/8' } }] }, field: /spec\.egress\[0\]\.to\.cidr.*canonical/ },
    { spec: { components: [{ name: 'a', selector: { matchLabels: { x: 'y' } }, ports: [{ name: 'http', port: 80 }] }], flows: [{ from: 'a', to: 'a', ports: ['grpc'] }] }, field: /spec\.flows.*declared port of its to component/ },
  ];
  for (const c of cases) {
    const r = await kubectl(['apply', '-f', '-'], { input: workload(c.spec, 'malformed') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(c.field);
  }
  expect((await kubectl(['-n', ns, 'get', 'aiworkload', 'malformed'])).code).not.toBe(0);
}, 60_000);

test('a spec valid for the CRD but not for the controller is Stalled and keeps the last good objects', async () => {
  const before = (await managedObjects()).map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.uid}`).sort();
  const spec = JSON.parse(JSON.stringify(sample.spec)) as { flows: { from: string; to: string; ports?: string[] }[]; components: unknown[] };
  // Role presets are the controller's to check: a Dataset has no egress (no exfiltration path).
  spec.flows[0] = { from: 'transactions', to: 'model', ports: ['grpc'] };
  spec.components = spec.components.filter((c) => (c as { name: string }).name !== 'training');
  spec.flows = spec.flows.filter((f) => f.from !== 'training');
  await kubectlOk(['apply', '-f', '-'], { input: workload({ ...spec, egress: [] }) });
  const stalled = await waitFor(async () => {
    const c = await condition('Stalled');
    return c?.status === 'True' ? c : undefined;
  }, { description: 'Stalled=True' });
  expect(stalled.reason).toBe('InvalidSpec');
  expect(stalled.message).toMatch(/spec\.flows\[0\]\.from: component transactions has role Dataset, which allows no egress/);
  expect((await condition('Ready'))?.status).toBe('False');
  const events = await kubectlOk(['-n', ns, 'get', 'events', '--field-selector', 'reason=InvalidSpec', '-o', 'name']);
  expect(events.trim()).not.toBe('');
  // Nothing generated from the last valid spec was deleted, although the new spec drops a component.
  const after = (await managedObjects()).map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.uid}`).sort();
  expect(after).toEqual(before);
  // Fixing the spec clears Stalled.
  await kubectlOk(['apply', '-f', '-'], { input: workload(sample.spec) });
  await waitFor(async () => (await condition('Stalled'))?.status === 'False' && (await condition('Ready'))?.status === 'True', { description: 'recovered' });
}, 60_000);

test('deleting the AIWorkload lets the garbage collector remove everything it owned', async () => {
  expect((await managedObjects()).length).toBe(12);
  await kubectlOk(['-n', ns, 'delete', 'aiworkload', 'fraud-detect']);
  await waitFor(async () => (await managedObjects()).length === 0, { timeoutMs: 60_000, description: 'garbage collection' });
}, 90_000);
