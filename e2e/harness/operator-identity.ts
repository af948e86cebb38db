// The operator's own identity for integration suites: the ServiceAccount and RBAC of
// manifests/rbac.yaml, exactly as shipped, so that every suite runs the operator with the
// least-privilege ClusterRole and the grantable ceiling rather than as system:masters.
//
// operatorIdentity() applies the CRD, the operator's Namespace and ServiceAccount, and manifests/rbac.yaml to the run's cluster, asks the API
// server for a token of the ServiceAccount (TokenRequest, as a pod would get one) and writes a
// kubeconfig that authenticates with it. The result is cached per cluster and re-minted when the
// token stops working (the ServiceAccount was recreated, say).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { kubectl, kubectlOk, testCluster, userKubeconfig, waitEstablished } from './cluster.js';

/** Where the shipped manifests live (the repository root). */
export const REPO_ROOT = process.env['BULKHEAD_ROOT'] ?? process.cwd();
export const RBAC_MANIFEST = path.join(REPO_ROOT, 'manifests', 'rbac.yaml');
/** The operator's Namespace and ServiceAccount, which rbac.yaml binds. */
export const IDENTITY_MANIFESTS = ['00-namespace.yaml', 'serviceaccount.yaml'].map((f) => path.join(REPO_ROOT, 'manifests', f));
export const ADMISSION_MANIFEST = path.join(REPO_ROOT, 'manifests', 'admission-policies.yaml');
export const CRD_MANIFEST = path.join(REPO_ROOT, 'crds', 'bulkhead.dev_aiworkloads.yaml');
/** Every CRD the operator watches (AIWorkload, ThreatFeed). */
export const CRD_DIR = path.join(REPO_ROOT, 'crds');

/** The operator's namespace and ServiceAccount in manifests/rbac.yaml. */
export const OPERATOR_NAMESPACE = 'bulkhead-system';
export const OPERATOR_SERVICE_ACCOUNT = 'bulkhead';
export const OPERATOR_USERNAME = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

export interface OperatorIdentity {
  /** Path of a kubeconfig that authenticates as the operator's ServiceAccount (bearer token). */
  kubeconfig: string;
  /** The username the API server sees: system:serviceaccount:bulkhead-system:bulkhead. */
  username: string;
  namespace: string;
  serviceAccount: string;
}

export interface OperatorIdentityOptions {
  /** Token lifetime. @default 24 h */
  tokenSeconds?: number;
}

/**
 * operatorIdentity installs the CRD and manifests/rbac.yaml on the run's cluster (idempotent) and
 * returns a kubeconfig for the operator's ServiceAccount. Safe to call from every suite.
 */
export async function operatorIdentity(opts: OperatorIdentityOptions = {}): Promise<OperatorIdentity> {
  const cluster = testCluster();
  const identity: OperatorIdentity = {
    kubeconfig: path.join(cluster.dir, 'users', 'bulkhead-operator.kubeconfig'),
    username: OPERATOR_USERNAME,
    namespace: OPERATOR_NAMESPACE,
    serviceAccount: OPERATOR_SERVICE_ACCOUNT,
  };
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRD_DIR]);
  await waitEstablished('aiworkloads.bulkhead.dev');
  await waitEstablished('threatfeeds.bulkhead.dev');
  for (const file of [...IDENTITY_MANIFESTS, RBAC_MANIFEST]) await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', file]);
  if (existsSync(identity.kubeconfig) && (await whoami(identity.kubeconfig)) === identity.username) return identity;

  await mkdir(path.dirname(identity.kubeconfig), { recursive: true });
  const token = (
    await kubectlOk(['-n', OPERATOR_NAMESPACE, 'create', 'token', OPERATOR_SERVICE_ACCOUNT, `--duration=${opts.tokenSeconds ?? 86_400}s`])
  ).trim();
  const admin = load(await readFile(cluster.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const server = admin.clusters[0]?.cluster;
  if (server === undefined) throw new Error(`${cluster.kubeconfig} names no cluster`);
  const q = (s: string): string => JSON.stringify(s);
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: "bulkhead-local"',
    '  cluster:',
    `    server: ${q(server.server)}`,
    `    certificate-authority-data: ${q(server['certificate-authority-data'])}`,
    'users:',
    `- name: ${q(identity.username)}`,
    '  user:',
    `    token: ${q(token)}`,
    'contexts:',
    '- name: "bulkhead-operator"',
    '  context:',
    '    cluster: "bulkhead-local"',
    `    user: ${q(identity.username)}`,
    'current-context: "bulkhead-operator"',
    '',
  ].join('\n');
  // A temporary file of its own: replicas started together mint a token each, and with a shared
  // name the second rename finds the file already moved. The last rename wins; either token works.
  const tmp = `${identity.kubeconfig}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, identity.kubeconfig);
  const seen = await whoami(identity.kubeconfig);
  if (seen !== identity.username) throw new Error(`the operator kubeconfig authenticates as ${seen ?? 'nobody'}, not ${identity.username}`);
  return identity;
}

async function whoami(kubeconfig: string): Promise<string | undefined> {
  const res = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig });
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export interface OperatorUserOptions {
  /** Also grant the chart's leader-election Role in this namespace (for Leases outside bulkhead-system). */
  leaseNamespace?: string;
}

type RbacObject = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  rules?: unknown[];
};

/**
 * operatorUser returns a client-certificate user `name`, in no group, holding exactly the
 * permissions manifests/rbac.yaml gives the operator's ServiceAccount: every binding of the
 * ServiceAccount is copied with the user as its subject. Suites that run several operators (or
 * must tell one operator's requests from everyone else's in the audit log) use it instead of the
 * shared ServiceAccount; either way the operator never runs as system:masters.
 */
export async function operatorUser(name: string, opts: OperatorUserOptions = {}): Promise<{ username: string; kubeconfig: string }> {
  await operatorIdentity();
  // An empty YAML document (a stray `---`) loads as null.
  const docs = loadAll(await readFile(RBAC_MANIFEST, 'utf8')) as (RbacObject | null)[];
  const out = docs.filter(bindsOperator).flatMap((binding) => userGrants(binding, docs, name, opts.leaseNamespace));
  if (out.length === 0) throw new Error(`${RBAC_MANIFEST} binds nothing to ${OPERATOR_USERNAME}`);
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: out.map((o) => dump(o)).join('---\n') });
  return { username: name, kubeconfig: await userKubeconfig(name, []) };
}

const isOperatorSubject = (s: { kind: string; name: string; namespace?: string }): boolean =>
  s.kind === 'ServiceAccount' && s.name === OPERATOR_SERVICE_ACCOUNT && s.namespace === OPERATOR_NAMESPACE;

/** A RoleBinding or ClusterRoleBinding with the operator's ServiceAccount among its subjects. */
function bindsOperator(doc: RbacObject | null): doc is RbacObject {
  return doc !== null && (doc.kind === 'RoleBinding' || doc.kind === 'ClusterRoleBinding') && (doc.subjects ?? []).some(isOperatorSubject);
}

/**
 * userGrants copies one binding of the operator's ServiceAccount with `user` as its only subject.
 * With `leaseNamespace`, a RoleBinding in the operator's namespace is also copied there together
 * with its Role, so that leader election works in that namespace.
 */
function userGrants(binding: RbacObject, docs: readonly (RbacObject | null)[], user: string, leaseNamespace: string | undefined): RbacObject[] {
  const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }];
  const copy: RbacObject = { ...binding, metadata: { ...binding.metadata, name: `${binding.metadata.name}-${user}`.slice(0, 253) }, subjects };
  if (leaseNamespace === undefined || binding.kind !== 'RoleBinding' || binding.metadata.namespace !== OPERATOR_NAMESPACE) return [copy];
  const role = docs.find((d): d is RbacObject => d?.kind === 'Role' && d.metadata.name === binding.roleRef?.name && d.metadata.namespace === OPERATOR_NAMESPACE);
  if (role === undefined) return [copy];
  return [copy, { ...role, metadata: { ...role.metadata, namespace: leaseNamespace } }, { ...copy, metadata: { ...copy.metadata, namespace: leaseNamespace } }];
}

/** The kinds the operator generates: a read-only operator user may list and watch them, nothing more. */
const GENERATED_RESOURCES = new Set(['networkpolicies', 'serviceaccounts', 'roles', 'rolebindings']);

/**
 * readOnlyOperatorUser returns a client-certificate user `name` that holds the operator's
 * permissions from manifests/rbac.yaml except any write of a generated kind: its informers sync,
 * it writes status and Events, and every apply or prune is refused by RBAC (403). It reproduces an
 * operator whose writes the API server refuses.
 */
export async function readOnlyOperatorUser(name: string): Promise<{ username: string; kubeconfig: string }> {
  await operatorIdentity();
  const docs = loadAll(await readFile(RBAC_MANIFEST, 'utf8')) as (RbacObject | null)[];
  const role = docs.find((d): d is RbacObject => d?.kind === 'ClusterRole' && d.metadata.name === 'bulkhead-operator');
  if (role === undefined) throw new Error(`${RBAC_MANIFEST} has no ClusterRole bulkhead-operator`);
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
  const rules = (role.rules as Rule[]).map((r) => (r.resources.some((res) => GENERATED_RESOURCES.has(res)) ? { ...r, verbs: r.verbs.filter((v) => v === 'list' || v === 'watch') } : r));
  const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name }];
  const roleRef = (kind: string, ref: string): RbacObject['roleRef'] => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: ref });
  const objects: RbacObject[] = [
    { kind: 'ClusterRole', metadata: { name }, rules },
    { kind: 'ClusterRoleBinding', metadata: { name }, roleRef: roleRef('ClusterRole', name), subjects },
    // The default/kubernetes EndpointSlice, as manifests/rbac.yaml grants it.
    { kind: 'RoleBinding', metadata: { name, namespace: 'default' }, roleRef: roleRef('Role', 'bulkhead-kube-apiserver-endpoints'), subjects },
  ];
  const input = objects.map((o) => dump({ apiVersion: 'rbac.authorization.k8s.io/v1', ...o })).join('---\n');
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input });
  return { username: name, kubeconfig: await userKubeconfig(name, []) };
}
