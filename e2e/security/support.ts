// Shared pieces of the security suites: the shipped admission policies (installed, proven in
// effect, removed), the operator run under its own least-privilege identity, and small readers of
// AIWorkload status.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { kubectl, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';
import { ADMISSION_MANIFEST, OPERATOR_NAMESPACE, REPO_ROOT, operatorIdentity } from '../harness/operator-identity.js';
import { type RunningOperator, startOperator as startOperatorProcess } from '../harness/operator.js';

export const SLOW = 180_000;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { variables?: { name: string; expression: string }[] } & Record<string, unknown>;
  [k: string]: unknown;
}

/** The shipped policies, with `extraAllowedUsers` appended to tamper protection's allowed users. */
export function admissionManifests(extraAllowedUsers: readonly string[] = []): Manifest[] {
  const docs = loadAll(readFileSync(ADMISSION_MANIFEST, 'utf8')).filter((d): d is Manifest => d !== null && d !== undefined);
  for (const doc of docs) {
    const allowed = doc.spec?.variables?.find((v) => v.name === 'allowedUsers');
    if (allowed === undefined || extraAllowedUsers.length === 0) continue;
    const list = allowed.expression.trim();
    if (!list.endsWith(']')) throw new Error(`allowedUsers is not a list literal: ${list}`);
    allowed.expression = `${list.slice(0, -1)}, ${extraAllowedUsers.map((u) => `'${u}'`).join(', ')}]`;
  }
  return docs;
}

const POLICY_NAMES = ['bulkhead-no-escalation', 'bulkhead-tamper-protection'];

/** manifests/identity-policies.yaml (e2e/security/identity.test.ts proves them). */
export const IDENTITY_MANIFEST = path.join(REPO_ROOT, 'manifests', 'identity-policies.yaml');
const IDENTITY_POLICY_NAMES = ['bulkhead-segment-membership', 'bulkhead-segment-identity', 'bulkhead-identity-tokens', 'bulkhead-identity-bindings'];

/**
 * The shipped identity policies, with the identity registry read from `registryNamespace` (the
 * namespace the operator keeps it in; bulkhead-system as shipped).
 */
export function identityManifests(registryNamespace = OPERATOR_NAMESPACE): Manifest[] {
  const docs = loadAll(readFileSync(IDENTITY_MANIFEST, 'utf8')).filter((d): d is Manifest => d !== null && d !== undefined);
  for (const doc of docs) {
    const ref = (doc.spec as { paramRef?: { namespace?: string } } | undefined)?.paramRef;
    if (ref?.namespace !== undefined) ref.namespace = registryNamespace;
  }
  return docs;
}

/**
 * installIdentityPolicies applies the identity policies (their effect needs segments, which a
 * suite proves with its own probe) and removeIdentityPolicies deletes them.
 */
export async function installIdentityPolicies(registryNamespace?: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { input: identityManifests(registryNamespace).map((d) => dump(d)).join('---\n') });
}

export async function removeIdentityPolicies(): Promise<void> {
  for (const name of IDENTITY_POLICY_NAMES) {
    await kubectlOk(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name, '--ignore-not-found']);
  }
}

/**
 * installAdmissionPolicies applies manifests/admission-policies.yaml exactly as shipped and waits
 * until the API server enforces both: a server-side dry run that each must refuse is refused. The
 * local control plane runs kube-controller-manager as system:kube-controller-manager (its own
 * certificate), which the shipped policy allows, so the garbage-collection and namespace-deletion
 * tests exercise the shipped allow-list, not one widened for the test.
 */
export async function installAdmissionPolicies(probeNamespace: string): Promise<void> {
  const docs = admissionManifests();
  await kubectlOk(['apply', '-f', '-'], { input: docs.map((d) => dump(d)).join('---\n') });
  await waitFor(async () => (await probes(probeNamespace)).every((r) => r === 'refused'), {
    timeoutMs: 60_000,
    description: 'the admission policies to take effect',
  });
}

/** removeAdmissionPolicies deletes both policies and waits until neither refuses anything. */
export async function removeAdmissionPolicies(probeNamespace: string): Promise<void> {
  for (const name of POLICY_NAMES) {
    await kubectlOk(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name, '--ignore-not-found']);
  }
  await waitFor(async () => (await probes(probeNamespace)).every((r) => r === 'allowed'), {
    timeoutMs: 60_000,
    description: 'the admission policies to stop taking effect',
  });
}

type ProbeResult = 'refused' | 'allowed' | 'other';

/**
 * Server-side dry runs by a probe user who may create AIWorkloads and ServiceAccounts in `ns` and
 * nothing else: an AIWorkload granting get on a Secret (no-escalation must refuse it) and a
 * ServiceAccount forging the managed-by label (tamper protection must refuse it).
 */
async function probes(ns: string): Promise<[ProbeResult, ProbeResult]> {
  const probeUser = await testCluster().userKubeconfig('bulkhead-probe');
  await grant(ns, 'bulkhead-probe', 'bulkhead-probe', [
    { apiGroups: ['bulkhead.dev'], resources: ['aiworkloads'], verbs: ['create'] },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
  ]);
  const escalation = await kubectl(['create', '--dry-run=server', '-f', '-'], {
    kubeconfig: probeUser,
    input: dump(workload(ns, 'probe', [{ name: 'c', selector: { matchLabels: { app: 'c' } }, permissions: [{ resource: 'secrets', names: ['s'], verbs: ['get'] }] }])),
  });
  const forged = await kubectl(['create', '--dry-run=server', '-f', '-'], {
    kubeconfig: probeUser,
    input: dump({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'probe', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'bulkhead' } },
    }),
  });
  const result = (r: { code: number; stderr: string }, policy: string): ProbeResult =>
    r.code === 0 ? 'allowed' : r.stderr.includes(policy) ? 'refused' : 'other';
  return [result(escalation, 'bulkhead-no-escalation'), result(forged, 'bulkhead-tamper-protection')];
}

/** An AIWorkload object. */
export function workload(namespace: string, name: string, components: unknown[], rest: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace }, spec: { components, ...rest } };
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message?: string;
  observedGeneration?: number;
}

export interface WorkloadState {
  generation: number;
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    components?: { name: string; consentPending?: string[]; unresolvedPeers?: string[]; role?: string }[];
  };
}

export async function getWorkload(namespace: string, name: string): Promise<WorkloadState> {
  const obj = JSON.parse(await kubectlOk(['-n', namespace, 'get', 'aiworkload', name, '-o', 'json'])) as {
    metadata: { generation: number };
    spec: Record<string, unknown>;
    status?: WorkloadState['status'];
  };
  return { generation: obj.metadata.generation, spec: obj.spec, ...(obj.status !== undefined ? { status: obj.status } : {}) };
}

/** Waits until the operator has reported on the current generation, and returns the condition `type`. */
export async function reportedCondition(namespace: string, name: string, type: string, timeoutMs = 30_000): Promise<Condition | undefined> {
  const state = await waitFor(async () => {
    const w = await getWorkload(namespace, name);
    return w.status?.observedGeneration === w.generation && w.status.conditions?.some((c) => c.type === 'Ready') === true && w;
  }, { timeoutMs, description: `${namespace}/${name} to be reconciled` });
  return state.status?.conditions?.find((c) => c.type === type);
}

/** Names of objects of `kind` in `namespace` labelled as generated for `workload`. */
export async function generated(kind: string, namespace: string, workloadName: string): Promise<string[]> {
  const out = await kubectlOk(['-n', namespace, 'get', kind, '-l', `bulkhead.dev/workload=${workloadName}`, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out.split(' ').filter((s) => s !== '').sort();
}

export type { RunningOperator };

/** startOperator runs `bulkhead run` (dist/) as the operator's ServiceAccount from manifests/rbac.yaml. */
export async function startOperator(): Promise<RunningOperator> {
  const identity = await operatorIdentity();
  return startOperatorProcess({ kubeconfig: identity.kubeconfig, env: { BULKHEAD_LOG_LEVEL: 'info' } });
}

/** Grants `user` a namespaced Role with `rules` in `namespace`. */
export async function grant(namespace: string, user: string, name: string, rules: unknown[]): Promise<void> {
  const objects = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }],
    },
  ];
  await kubectlOk(['apply', '-f', '-'], { input: objects.map((o) => dump(o)).join('---\n') });
  // The authorizer sees RBAC changes through an informer: wait until every rule is in effect.
  for (const rule of rules as { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[]) {
    const group = rule.apiGroups[0] === '' ? '' : `.${rule.apiGroups[0] ?? ''}`;
    const [resource, sub] = (rule.resources[0] ?? '').split('/');
    const target = `${resource ?? ''}${group}${rule.resourceNames?.[0] !== undefined ? `/${rule.resourceNames[0]}` : ''}`;
    const args = ['auth', 'can-i', rule.verbs[0] ?? 'get', target, '-n', namespace, `--as=${user}`, ...(sub !== undefined ? [`--subresource=${sub}`] : [])];
    await waitFor(async () => (await kubectl(args)).stdout.trim() === 'yes', { description: `${user} to hold ${args.join(' ')}` });
  }
}
