// Convergence benchmark: the operator's time to converge W AIWorkloads from scratch, over a bare
// client's time to server-side-apply the very same objects, on one local control plane in one run.
// The ratio is the operator's overhead (informers, queue, status, Events) over the writes it must
// make anyway.
import { KubeConfig } from '../runtime/kubeconfig.js';
import { API_VERSION, FIELD_MANAGER, KIND } from '../api/constants.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import type { GeneratedObject } from '../compile/objects.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import { Manager } from '../controller/manager.js';
import { buildRegistryEntry } from '../controller/identity-registry.js';
import type { RestClient } from '../runtime/rest.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';
import { silentLogger } from '../observe/logger.js';
import { runAsMain, withBenchCluster } from './bench-cluster.js';
import { createMetrics } from '../observe/metrics.js';
import type { AuditEvent } from '../devcluster/audit.js';
import type { DevCluster } from '../devcluster/cluster.js';
import { cpuSeconds } from '../devcluster/processes.js';
import { benchSpec } from './workload-spec.js';

/**
 * BENCH_API_QPS: the operator's client-side rate limit (--kube-api-qps, burst twice that). Default 0,
 * none, as the bare client has none: the ratio is the operator's overhead, not its limiter's. With
 * the operator's default (200/s) 1,000 AIWorkloads take at least 14,000 / 200 = 70 s of writes.
 */
const API_QPS = Number(process.env['BENCH_API_QPS'] ?? 0);
/** BENCH_WORKLOADS sets the number of AIWorkloads (default 40); issue-scale runs use 200 and 1,000. */
const WORKLOADS = Number(process.env['BENCH_WORKLOADS'] ?? 40);
if (!Number.isInteger(WORKLOADS) || WORKLOADS < 1) throw new Error(`BENCH_WORKLOADS must be a positive integer, got ${process.env['BENCH_WORKLOADS'] ?? ''}`);


/** One ConfigMap per workload in `ns`, to own the bare client's objects: name and uid. */
async function createOwners(rest: RestClient, ns: string): Promise<{ name: string; uid: string }[]> {
  const owners: { name: string; uid: string }[] = [];
  for (let i = 0; i < WORKLOADS; i++) {
    const name = `owner-w${i}`;
    const created = await rest.request<{ metadata?: { uid?: string } }>('POST', `/api/v1/namespaces/${ns}/configmaps`, { query: { fieldManager: BARE_MANAGER }, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } } });
    owners.push({ name, uid: created.metadata?.uid ?? '' });
  }
  return owners;
}

async function createNamespace(rest: RestClient, name: string): Promise<void> {
  await rest.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/**
 * Applies every object the operator applies for the W workloads, two at a time (the operator's
 * default workers): what the compiler makes for each and its identity registry entry (a RoleBinding
 * in the registry namespace naming the segments' ServiceAccounts), which the operator must write
 * before the ServiceAccounts. The compiled objects carry their controller ownerReference, as the
 * operator's do (it costs the API server about 0.3 ms an apply): to a ConfigMap per workload made
 * before the clock starts, since an AIWorkload would be the operator's to reconcile and an owner
 * that does not exist would have the garbage collector delete the objects.
 */
async function bareClient(rest: RestClient, ns: string): Promise<{ ms: number; writes: number }> {
  const owners = await createOwners(rest, ns);
  const objects = Array.from({ length: WORKLOADS }, (_v, i) => {
    const v = validateSpec(benchSpec(i));
    if (!v.ok) throw new Error('bench spec invalid');
    const owner = owners[i] ?? { name: '', uid: '' };
    const result = compile({ name: `w${i}`, namespace: ns, uid: owner.uid, spec: v.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() });
    const entry = buildRegistryEntry(BARE_REGISTRY_NAMESPACE, { namespace: ns, name: `w${i}` }, result.components.map((c) => c.serviceAccount));
    const ownedByConfigMap = (o: GeneratedObject): GeneratedObject => ({
      ...o,
      metadata: { ...o.metadata, ownerReferences: (o.metadata.ownerReferences ?? []).map((r) => ({ ...r, apiVersion: 'v1', kind: 'ConfigMap', name: owner.name })) },
    });
    return [entry, ...result.objects.map(ownedByConfigMap)];
  }).flat();
  const started = performance.now();
  const queue = [...objects];
  const worker = async (): Promise<void> => {
    for (let o = queue.shift(); o !== undefined; o = queue.shift()) {
      await rest.request('PATCH', objectPath(RESOURCES[o.kind], o.metadata.namespace, o.metadata.name), {
        query: { fieldManager: BARE_MANAGER, force: true },
        body: o,
        contentType: 'application/apply-patch+yaml',
      });
    }
  };
  await Promise.all([worker(), worker()]);
  return { ms: performance.now() - started, writes: objects.length };
}

/**
 * The operator converging the W AIWorkloads: from the first create to every segment Ready. Readiness
 * is read from the operator's own bulkhead_segments gauge, which counts what its informer has seen
 * of the status it wrote, so watching costs the API server nothing (a LIST of 1,000 AIWorkloads
 * every few milliseconds would be the benchmark's load, not the operator's).
 */
async function operator(kc: KubeConfig, rest: RestClient, ns: string): Promise<number> {
  const metrics = createMetrics();
  // As installed: the identity registry kept in the operator's namespace (one RoleBinding per AIWorkload).
  const manager = new Manager({ kubeConfig: kc, logger: silentLogger(), metrics, platform: DEFAULT_PLATFORM, workers: 2, apiRate: { qps: API_QPS, burst: 2 * API_QPS }, identityRegistryNamespace: REGISTRY_NAMESPACE });
  await manager.startCaches();
  manager.startWorkers();
  const readySegments = async (): Promise<number> => (await metrics.segments.get()).values.find((v) => v.labels['condition'] === 'ready')?.value ?? 0;
  try {
    const started = performance.now();
    for (let i = 0; i < WORKLOADS; i++) {
      await rest.request('POST', collectionPath(RESOURCES.AIWorkload, ns), { body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: `w${i}`, namespace: ns }, spec: benchSpec(i) } });
    }
    while ((await readySegments()) < WORKLOADS * 5) await new Promise((r) => setTimeout(r, 20));
    return performance.now() - started;
  } finally {
    await manager.stop();
  }
}

/** The operator's namespace in the benchmark, where it keeps the identity registry. */
const REGISTRY_NAMESPACE = 'bench-registry';
/**
 * Where the bare client writes its registry entries: not the operator's registry, whose entries
 * without an AIWorkload the operator rightly deletes (which would be work the bare client made it do).
 */
const BARE_REGISTRY_NAMESPACE = 'bench-bare-registry';

type WriteKind = 'objects' | 'status' | 'events' | 'registry' | 'other';

const GENERATED_RESOURCES = new Set(['networkpolicies', 'serviceaccounts', 'roles', 'rolebindings']);

/** The bare client's field manager: its applies carry it in the request's query. */
const BARE_MANAGER = `${FIELD_MANAGER}-bench`;

/**
 * What one write of the operator was for; undefined when it is not the operator's (the benchmark's
 * creates, the bare client's applies). A write the operator made to the bare client's objects (it
 * lists them too) is `other`.
 */
function writeKind(e: AuditEvent, ns: string): WriteKind | undefined {
  // The control plane's own writes (kube-controller-manager's default ServiceAccount and CA
  // ConfigMap of each new namespace) are nobody's in the benchmark.
  if (e.user.username.startsWith('system:')) return undefined;
  const { namespace, resource = '', subresource } = e.objectRef ?? {};
  if (namespace === REGISTRY_NAMESPACE && resource === 'rolebindings') return 'registry';
  if (namespace === ns) return kindIn(resource, subresource);
  const bareClients = namespace?.startsWith('bench-bare') === true;
  return bareClients && !e.requestURI.includes(`fieldManager=${BARE_MANAGER}`) ? 'other' : undefined;
}

/** A write in the workloads' namespace: status, an Event, a generated object, or the benchmark's own create (undefined). */
function kindIn(resource: string, subresource: string | undefined): WriteKind | undefined {
  if (resource === 'aiworkloads') return subresource === undefined ? undefined : 'status';
  if (resource === 'events') return 'events';
  return GENERATED_RESOURCES.has(resource) ? 'objects' : 'other';
}

/** The operator's writes in its namespace (and its registry's), by what they were for, from the API server's audit log. */
function writesIn(events: readonly AuditEvent[], ns: string): Record<WriteKind, number> {
  const counts: Record<WriteKind, number> = { objects: 0, status: 0, events: 0, registry: 0, other: 0 };
  for (const e of events) {
    const kind = writeKind(e, ns);
    if (kind !== undefined) counts[kind]++;
  }
  return counts;
}

/** CPU seconds used so far by the control plane's processes and by this one (bench and operator). */
interface CpuSample {
  apiServer: number;
  etcd: number;
  self: number;
}

function sampleCpu(cluster: DevCluster): CpuSample {
  const of = (component: 'apiServer' | 'etcd'): number => {
    const pid = cluster.processes().find((p) => p.component === component)?.pid;
    return (pid === undefined ? undefined : cpuSeconds(pid)) ?? Number.NaN;
  };
  const self = process.cpuUsage();
  return { apiServer: of('apiServer'), etcd: of('etcd'), self: (self.user + self.system) / 1e6 };
}

/** What a phase of the benchmark cost in CPU, and its result. */
async function measured<T>(cluster: DevCluster, phase: () => Promise<T>): Promise<{ result: T; cpu: CpuSample }> {
  const before = sampleCpu(cluster);
  const result = await phase();
  const after = sampleCpu(cluster);
  return { result, cpu: { apiServer: after.apiServer - before.apiServer, etcd: after.etcd - before.etcd, self: after.self - before.self } };
}

const cpuLine = (label: string, c: CpuSample): string =>
  `   CPU, ${label}: kube-apiserver ${c.apiServer.toFixed(1)} s, etcd ${c.etcd.toFixed(1)} s, this process ${c.self.toFixed(1)} s`;

export async function runConvergenceBench(): Promise<string> {
  return withBenchCluster(async ({ cluster, kc, rest }) => {
    for (const ns of ['bench-bare', 'bench-operator', 'bench-bare-after', REGISTRY_NAMESPACE, BARE_REGISTRY_NAMESPACE]) await createNamespace(rest, ns);
    // The bare client runs before and after the operator and the ratio is over their mean, so a
    // machine that gets busier or quieter during the run (it is shared) does not favour either side.
    const { result: before, cpu: cpuBefore } = await measured(cluster, () => bareClient(rest, 'bench-bare'));
    const { result: op, cpu: cpuOp } = await measured(cluster, () => operator(kc, rest, 'bench-operator'));
    const { result: after, cpu: cpuAfter } = await measured(cluster, () => bareClient(rest, 'bench-bare-after'));
    const bare = { ms: (before.ms + after.ms) / 2, writes: before.writes };
    const w = writesIn(cluster.auditEvents(), 'bench-operator');
    const per = (n: number): string => (n / WORKLOADS).toFixed(1);
    const minimum = bare.writes / WORKLOADS;
    // The requests the API server served for each side: the operator's writes and the benchmark's
    // AIWorkload creates, against the bare client's applies. Time per request says how much of the
    // ratio is the operator's overhead and how much the work a controller cannot skip.
    const opRequests = w.objects + w.status + w.registry + w.events + w.other + WORKLOADS;
    const perRequest = op / opRequests / (bare.ms / bare.writes);
    return [
      `Convergence benchmark (one run, one local control plane; ${WORKLOADS} AIWorkloads x 5 components = ${bare.writes} objects with the identity registry's entries)`,
      `   bare client, server-side apply of the compiled objects and registry entries (2 in flight): ${before.ms.toFixed(0)} ms before the operator, ${after.ms.toFixed(0)} ms after, mean ${bare.ms.toFixed(0)} ms`,
      `   operator, from creating the AIWorkloads to all Ready (2 workers, --kube-api-qps ${API_QPS === 0 ? '0: no client-side limit, as the bare client' : API_QPS}): ${op.toFixed(0)} ms`,
      `   ratio operator / bare client: ${(op / bare.ms).toFixed(2)}x (target <= 1.3x; the operator's side includes the status writes, the Events and the benchmark's AIWorkload creates)`,
      `   API writes per converged AIWorkload (audit log): ${per(w.objects)} object applies, ${per(w.registry)} identity registry, ${per(w.status)} status, ${per(w.events)} Events (sent in the background), ${per(w.other)} other;` +
        ` minimum ${minimum.toFixed(0)} applies (the bare client's: the compiled objects and the registry entry) + 1 status. Reads come from the informers' caches (one LIST and WATCH per watched collection)`,
      `   time per API request, operator / bare client: ${perRequest.toFixed(2)}x (${opRequests} requests with the benchmark's ${WORKLOADS} creates, against ${bare.writes}: ${(opRequests / bare.writes).toFixed(2)}x as many)`,
      cpuLine('bare client before', cpuBefore),
      cpuLine('operator (and the benchmark creating the AIWorkloads)', cpuOp),
      cpuLine('bare client after', cpuAfter),
      '',
    ].join('\n');
  });
}

runAsMain(import.meta.url, runConvergenceBench);
