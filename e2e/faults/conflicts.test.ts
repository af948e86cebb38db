// Conflicts: other writers fight over the same objects while the operator runs: a second field
// manager force-applies our fields, read-modify-write clients race each other and the operator
// (and get 409 Conflict when they lose), and two writers keep changing the AIWorkload itself.
// When they stop, the operator must converge to the declared state and own its fields again.
//
// The operator itself applies with force and writes status with server-side apply, so it does not
// get 409s from these races; the 409s land on the other writers, and the test checks they really
// happened (in the audit log), so the race was real.
import { deleteNamespace, freshNamespace, kubectl, kubectlOk } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { type Obj, applyWorkload, auditMark, auditSince, getJson, operatorUser, report, smallSpec, waitConverged, workloadYaml } from './support.js';

const ROUNDS = 8;

let operator: RunningOperator;
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('fault-conflict');
  const u = await operatorUser('fault-conflicts-operator');
  operator = await startOperator({ kubeconfig: u.kubeconfig });
  await applyWorkload(ns, 'c', smallSpec());
  await waitConverged(ns, ['c']);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

const forceApply = (manager: string, obj: unknown): Promise<unknown> =>
  kubectl(['apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, '-f', '-'], { input: JSON.stringify(obj) });

/** A field manager that takes our fields by force. */
async function intruder(round: number): Promise<void> {
  await Promise.all([
    forceApply('intruder', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'c-api', namespace: ns },
      spec: { podSelector: { matchLabels: { app: `intruder-${round}` } }, ingress: [{}], policyTypes: ['Ingress'] },
    }),
    forceApply('intruder', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'c-api', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }],
    }),
    forceApply('intruder', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c-db', namespace: ns }, automountServiceAccountToken: true }),
  ]);
}

/** A read-modify-write client (PUT with the resourceVersion it read): loses races with 409. */
async function readModifyWrite(round: number): Promise<void> {
  for (const [resource, name] of [['networkpolicies', 'c-db'], ['rolebindings', 'c-api']] as const) {
    const o = await getJson<Obj & { spec?: { podSelector?: unknown }; subjects?: unknown[] }>(['-n', ns, 'get', resource, name]);
    if (resource === 'networkpolicies') o.spec = { ...o.spec, podSelector: { matchLabels: { app: `rmw-${round}` } } };
    else o.subjects = [{ kind: 'ServiceAccount', name: 'default', namespace: ns }];
    // Lose the race on purpose half of the time: replace with a resourceVersion someone else has
    // already moved past.
    if (round % 2 === 1) await kubectl(['-n', ns, 'annotate', resource, name, `race=${round}`, '--overwrite']);
    await kubectl(['replace', '-f', '-'], { input: JSON.stringify(o) });
  }
}

/** Two writers of the AIWorkload: client-side apply by admin, and a second server-side field manager. */
async function specWriters(round: number): Promise<void> {
  await Promise.all([
    kubectl(['apply', '-f', '-'], { input: workloadYaml(ns, 'c', smallSpec({ port: 9000 + round })) }),
    forceApply('team-b', JSON.parse(workloadYaml(ns, 'c', smallSpec({ port: 9100 + round })))),
  ]);
}

test('concurrent writers and a second field manager on our fields: the operator converges to the declared state and owns its fields', async () => {
  const mark = auditMark();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all([intruder(round), readModifyWrite(round), specWriters(round)]);
  }
  // The declared state at the end: one last write of the spec.
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=team-b', '-f', '-'], { input: workloadYaml(ns, 'c', smallSpec({ port: 8081 })) });
  await waitConverged(ns, ['c'], 60_000);

  const conflicts = auditSince(mark).filter((e) => e.responseStatus?.code === 409);
  report(`conflicts suite: ${conflicts.length} requests answered 409 Conflict during ${ROUNDS} rounds`);
  expect(conflicts.length).toBeGreaterThan(0);
  // The operator owns what it declares again: its field manager holds the fields the intruder took.
  const np = await getJson<Obj & { metadata: { managedFields?: { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[] } }>(['-n', ns, 'get', 'networkpolicy', 'c-api', '--show-managed-fields']);
  const ours = np.metadata.managedFields?.find((f) => f.manager === 'bulkhead');
  expect(Object.keys(ours?.fieldsV1?.['f:spec'] ?? {})).toEqual(expect.arrayContaining(['f:podSelector', 'f:policyTypes']));
  const theirs = np.metadata.managedFields?.find((f) => f.manager === 'intruder');
  expect(theirs?.fieldsV1?.['f:spec']?.['f:podSelector']).toBeUndefined();
}, 240_000);
