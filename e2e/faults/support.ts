// Shared pieces of the fault suites (e2e/faults/*.test.ts). Everything here observes the operator
// from outside: the API server's objects, its audit log (who wrote what, when, by the server's own
// clock), and the operator's /metrics. Nothing asks the operator's code what it did.
import { validateSpec } from '../../src/api/validate.js';
import { compile } from '../../src/compile/compile.js';
import { DEFAULT_PLATFORM } from '../../src/compile/facts.js';
import type { GeneratedObject } from '../../src/compile/objects.js';
import { type AuditEvent, kubectl, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';
import type { RunningOperator } from '../harness/operator.js';
import { operatorUser as leastPrivilegeUser } from '../harness/operator-identity.js';

export type Obj = {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; labels?: Record<string, string>; ownerReferences?: { uid: string; controller?: boolean; name: string }[] } & Record<string, unknown>;
  [k: string]: unknown;
};

export const MANAGED = 'networkpolicies,serviceaccounts,roles,rolebindings';
export const GENERATED_KINDS = ['NetworkPolicy', 'ServiceAccount', 'Role', 'RoleBinding'] as const;
export type Kind = (typeof GENERATED_KINDS)[number];
export const PLURAL: Record<Kind, string> = { NetworkPolicy: 'networkpolicies', ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings' };

/**
 * A small AIWorkload spec that generates every kind: `api` (with permissions: NetworkPolicy,
 * ServiceAccount, Role, RoleBinding) talks to `db` (NetworkPolicy, ServiceAccount). `port`
 * varies the spec so a test can make a change that shows up in the generated objects.
 */
export function smallSpec(opts: { port?: number; extraComponents?: number } = {}): Record<string, unknown> {
  const extra = Array.from({ length: opts.extraComponents ?? 0 }, (_, i) => ({
    name: `worker${i}`,
    role: 'Training',
    selector: { matchLabels: { app: `worker${i}` } },
  }));
  return {
    enforcement: 'Enforce',
    components: [
      {
        name: 'api',
        role: 'Model',
        selector: { matchLabels: { app: 'api' } },
        ports: [{ name: 'http', port: opts.port ?? 8080 }],
        identity: { annotations: { 'example.com/role': 'api' } },
        permissions: [{ resource: 'secrets', names: ['api-weights'], verbs: ['get'] }],
      },
      { name: 'db', role: 'FeatureStore', selector: { matchLabels: { app: 'db' } }, ports: [{ name: 'redis', port: 6379 }] },
      ...extra,
    ],
    flows: [{ from: 'api', to: 'db', ports: ['redis'] }],
  };
}

export function workloadYaml(namespace: string, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name, namespace }, spec });
}

export async function applyWorkload(namespace: string, name: string, spec: Record<string, unknown>, kubeconfig?: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], { input: workloadYaml(namespace, name, spec), ...(kubeconfig !== undefined ? { kubeconfig } : {}) });
}

export async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

export async function getOrUndefined<T = Obj>(args: string[]): Promise<T | undefined> {
  const r = await kubectl([...args, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}

/** Managed objects in `namespace` (optionally of one workload). */
export async function managedObjects(namespace: string, workload?: string): Promise<Obj[]> {
  const selector = workload === undefined ? 'app.kubernetes.io/managed-by=bulkhead' : `bulkhead.dev/workload=${workload}`;
  return (await getJson<{ items: Obj[] }>(['-n', namespace, 'get', MANAGED, '-l', selector])).items;
}

/** The objects the compiler renders for the live AIWorkload `namespace/name` (its uid included). */
export async function desiredObjects(namespace: string, name: string): Promise<GeneratedObject[]> {
  const live = await getJson<Obj & { spec: unknown }>(['-n', namespace, 'get', 'aiworkload', name]);
  const v = validateSpec(live.spec);
  if (!v.ok) throw new Error(`${namespace}/${name} is not valid`);
  return compile({ name, namespace, uid: live.metadata.uid ?? '', spec: v.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() }).objects;
}

/**
 * jsonCopy is `x` as the API server would store it: fields whose value is undefined are dropped,
 * so that they do not count as fields `isSubset` must find.
 */
export function jsonCopy(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x)) as unknown;
}

/** Lists and maps (parsed JSON has no other objects). */
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** True when every field of `want` has the same value in `got` (lists element by element). */
export function isSubset(want: unknown, got: unknown): boolean {
  if (want === undefined) return true;
  if (!isObject(want)) return want === got;
  // The API server omits empty lists and maps (omitempty): `ingress: []` reads back as absent.
  if (got === undefined && Object.keys(want).length === 0) return true;
  if (!isObject(got)) return false;
  if (Array.isArray(want)) return isListSubset(want as unknown[], got);
  return Object.entries(want).every(([k, v]) => isSubset(v, got[k]));
}

function isListSubset(want: readonly unknown[], got: unknown): boolean {
  if (!Array.isArray(got) || want.length !== got.length) return false;
  const items = got as unknown[];
  return want.every((w, i) => isSubset(w, items[i]));
}

const key = (o: { kind: string; metadata: { name: string } }): string => `${o.kind}/${o.metadata.name}`;

/**
 * convergenceProblems compares the live managed objects of one workload with what the compiler
 * renders for its live spec: missing, different, extra (orphans) and duplicated objects, and
 * objects without exactly one controller reference to the live AIWorkload. Empty when converged.
 */
export async function convergenceProblems(namespace: string, name: string): Promise<string[]> {
  const want = await desiredObjects(namespace, name);
  const live = await managedObjects(namespace, name);
  return [...duplicates(live), ...extras(want, live), ...want.flatMap((w) => objectProblems(w, live))];
}

function duplicates(live: readonly Obj[]): string[] {
  const seen = new Map<string, number>();
  for (const o of live) seen.set(key(o), (seen.get(key(o)) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `duplicate ${k} (${n})`);
}

/** Orphans: live managed objects of the workload that the compiler no longer renders. */
function extras(want: readonly GeneratedObject[], live: readonly Obj[]): string[] {
  const wantKeys = new Set(want.map(key));
  return live.filter((o) => !wantKeys.has(key(o))).map((o) => `extra ${key(o)}`);
}

/** What is wrong with the live copy of one rendered object: missing, different, or not owned by exactly the workload. */
function objectProblems(w: GeneratedObject, live: readonly Obj[]): string[] {
  const got = live.find((o) => key(o) === key(w));
  if (got === undefined) return [`missing ${key(w)}`];
  const problems: string[] = [];
  if (!isSubset(jsonCopy(w), got)) problems.push(`differs ${key(w)}`);
  const owners = (got.metadata.ownerReferences ?? []).filter((r) => r.controller === true);
  if (owners.length !== 1 || owners[0]?.uid !== w.metadata.ownerReferences?.[0]?.uid) problems.push(`owner of ${key(w)}`);
  return problems;
}

/** waitConverged waits until every named workload is Ready for its generation with exact objects. */
export async function waitConverged(namespace: string, names: readonly string[], timeoutMs = 60_000): Promise<void> {
  let last: string[] = [];
  await waitFor(async () => {
    last = [];
    for (const name of names) {
      const w = await getJson<Obj & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }>(['-n', namespace, 'get', 'aiworkload', name]);
      const ready = w.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!ready || w.status?.observedGeneration !== w.metadata.generation) last.push(`${name}: not Ready for generation ${String(w.metadata.generation)}`);
      else last.push(...(await convergenceProblems(namespace, name)).map((p) => `${name}: ${p}`));
    }
    if (last.length > 0) throw new Error(last.slice(0, 8).join('; '));
    return true;
  }, { timeoutMs, intervalMs: 300, description: `workloads ${names.join(', ')} in ${namespace} to converge` });
}

// --- identities ---------------------------------------------------------------------------------

/**
 * operatorUser mints a client-certificate user for one operator process, so that the audit log
 * attributes every request to that process, bound to exactly the roles manifests/rbac.yaml gives
 * the operator.
 */
export async function operatorUser(name: string, opts: { leaseNamespace?: string } = {}): Promise<{ username: string; kubeconfig: string }> {
  // Its own user, so the audit log tells this operator's requests apart, with exactly the
  // permissions the chart's RBAC gives the operator (never system:masters).
  return leastPrivilegeUser(name, opts);
}

// --- the audit log ------------------------------------------------------------------------------

export const isSuccess = (e: AuditEvent): boolean => (e.responseStatus?.code ?? 0) >= 200 && (e.responseStatus?.code ?? 0) < 300;

/** auditMark is the number of audit events so far; events after it are `auditSince(mark)`. */
export function auditMark(): number {
  return testCluster().auditEvents().length;
}

export function auditSince(mark: number): AuditEvent[] {
  return testCluster().auditEvents().slice(mark);
}

/** Write requests by `user` (optionally excluding Leases, which a leader renews every retry period). */
export function writesBy(events: readonly AuditEvent[], user: string, opts: { leases?: boolean; successOnly?: boolean } = {}): AuditEvent[] {
  return events.filter(
    (e) => e.user.username === user && (opts.leases !== false || e.objectRef?.resource !== 'leases') && (opts.successOnly !== true || isSuccess(e)),
  );
}

/** `resource[/subresource] namespace/name` of an audit event's object, '' for each part it lacks. */
function describeObject(ref: AuditEvent['objectRef'] = {}): string {
  const subresource = ref.subresource !== undefined ? `/${ref.subresource}` : '';
  return `${ref.resource ?? ''}${subresource} ${ref.namespace ?? ''}/${ref.name ?? ''}`;
}

export const describeWrite = (e: AuditEvent): string =>
  `${e.stageTimestamp} ${e.verb} ${describeObject(e.objectRef)} -> ${e.responseStatus?.code ?? '?'}`;

export const auditTime = (e: AuditEvent): number => Date.parse(e.stageTimestamp);

// --- metrics ------------------------------------------------------------------------------------

/** metricSum sums every sample of `name` whose labels include `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

export async function metric(op: RunningOperator, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum((await op.get('/metrics')).body, name, labels);
}

// --- statistics ---------------------------------------------------------------------------------

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** report prints a measured figure so that it shows in the jest output and the CI log. */
export function report(line: string): void {
  process.stderr.write(`[measured] ${line}\n`);
}

// --- etcd ---------------------------------------------------------------------------------------

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function etcd(path: string, body: unknown): Promise<unknown> {
  const port = testCluster().state().ports.etcdClient;
  const res = await fetch(`http://127.0.0.1:${port}/v3/kv/${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** etcdGetJson reads a JSON-encoded object (custom resources are stored as JSON) straight from etcd. */
export async function etcdGetJson<T>(key: string): Promise<T | undefined> {
  const r = (await etcd('range', { key: b64(key) })) as { kvs?: { value: string }[] };
  const v = r.kvs?.[0]?.value;
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as T);
}

export async function etcdPutJson(key: string, value: unknown): Promise<void> {
  await etcd('put', { key: b64(key), value: b64(JSON.stringify(value)) });
}

export async function etcdDelete(key: string): Promise<number> {
  const r = (await etcd('deleterange', { key: b64(key) })) as { deleted?: string };
  return Number(r.deleted ?? 0);
}
