// Convergence benchmark: the operator's time to converge W AIWorkloads from their creation, over a
// bare client's time to make the very same API requests (each AIWorkload's create, its objects'
// applies, its status and its Event), on one local control plane in one run. The ratio is the
// operator's overhead (informers, watches, queue, compile, status computation) over the requests it
// must make anyway. For comparison it also times a bare client applying only the objects.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { KubeConfig } from '../runtime/kubeconfig.js';
import { API_VERSION, FIELD_MANAGER, GROUP, KIND, PLURAL, VERSION } from '../api/constants.js';
import type { AIWorkloadStatus } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import type { GeneratedObject } from '../compile/objects.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import { Manager } from '../controller/manager.js';
import { buildRegistryEntry } from '../controller/identity-registry.js';
import { componentStatus } from '../controller/reconciler.js';
import { type AppliedOutcome, computeStatus } from '../controller/status.js';
import { APPLY_CONTENT_TYPE, eventBody } from '../kube/writer.js';
import { describeApply } from '../controller/write-plan.js';
import type { RestClient } from '../runtime/rest.js';
import { RESOURCES, type ResourceInfo, collectionPath, objectPath } from '../kube/resources.js';
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


async function createNamespace(rest: RestClient, name: string): Promise<void> {
  await rest.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/**
 * The AIWorkload CRD's twin in another API group: the same schema, CEL rules and status
 * subresource, so that a bare client's create and status write of one cost the API server what the
 * AIWorkload's do, while the operator (which watches bulkhead.dev only) never reconciles them.
 */
const TWIN_GROUP = 'bench.bulkhead.dev';
const TWIN: ResourceInfo = { group: TWIN_GROUP, version: VERSION, plural: PLURAL, kind: KIND };
const TWIN_API_VERSION = `${TWIN_GROUP}/${VERSION}`;

interface CrdDocument {
  metadata: { name: string };
  spec: { group: string; names: Record<string, unknown> };
  status?: { conditions?: { type: string; status: string }[] };
}

async function installTwinCrd(rest: RestClient): Promise<void> {
  const file = path.join(process.env['BULKHEAD_ROOT'] ?? process.cwd(), 'crds', `${GROUP}_${PLURAL}.yaml`);
  const crd = load(readFileSync(file, 'utf8')) as CrdDocument;
  crd.metadata = { name: `${PLURAL}.${TWIN_GROUP}` };
  crd.spec.group = TWIN_GROUP;
  // Short names and categories stay the AIWorkload's (kubectl would find two of each).
  delete crd.spec.names['shortNames'];
  delete crd.spec.names['categories'];
  const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  await rest.request('POST', crds, { body: crd });
  for (let i = 0; i < 300; i++) {
    const live = await rest.request<CrdDocument>('GET', `${crds}/${crd.metadata.name}`);
    if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true) {
      // The API server builds a CRD's handler (its schema, its compiled CEL rules) on first use, and
      // answers 429 while its watch cache fills: LIST until it answers, as the operator's informer
      // lists AIWorkloads before its clock starts.
      if (await rest.request('GET', collectionPath(TWIN)).then(() => true, () => false)) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${crd.metadata.name} was not Established and served within 30 s`);
}

/** What the operator writes for workload `i` of `ns`, as the bare client writes it, owned by a twin AIWorkload. */
interface BareWrites {
  name: string;
  /** The identity registry entry, then the compiled objects (their controller ownerReference to the twin). */
  objects: GeneratedObject[];
  status: AIWorkloadStatus;
  event: { type: string; reason: string; message: string };
}

function bareWrites(ns: string, i: number, uid: string): BareWrites {
  const name = `w${i}`;
  const v = validateSpec(benchSpec(i));
  if (!v.ok) throw new Error('bench spec invalid');
  const result = compile({ name, namespace: ns, uid, spec: v.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() });
  const entry = buildRegistryEntry(BARE_REGISTRY_NAMESPACE, { namespace: ns, name }, result.components.map((c) => c.serviceAccount));
  const ownedByTwin = (o: GeneratedObject): GeneratedObject => ({
    ...o,
    metadata: { ...o.metadata, ownerReferences: (o.metadata.ownerReferences ?? []).map((r) => ({ ...r, apiVersion: TWIN_API_VERSION })) },
  });
  const components = result.components.map((c) => componentStatus(c, v.spec, []).status);
  const outcome: AppliedOutcome = { kind: 'applied', audit: false, components, consentPending: [], identityDrift: [], exposed: [], ceiling: [] };
  return {
    name,
    objects: [entry, ...result.objects.map(ownedByTwin)],
    status: computeStatus(undefined, outcome, 1, new Date().toISOString()),
    event: { type: 'Normal', reason: 'Applied', message: `Applied: ${result.objects.map((obj) => describeApply({ obj, exists: false })).join(', ')}` },
  };
}

/** The bare client's field manager, in the query of each of its requests (the audit log tells its writes from the operator's by it). */
const BARE_MANAGER = `${FIELD_MANAGER}-bench`;
const BARE_QUERY = { fieldManager: BARE_MANAGER };

const withOwnerUid = (o: GeneratedObject, uid: string): GeneratedObject =>
  o.metadata.ownerReferences === undefined ? o : { ...o, metadata: { ...o.metadata, ownerReferences: o.metadata.ownerReferences.map((r) => ({ ...r, uid })) } };

const applyAsBare = (rest: RestClient, o: GeneratedObject): Promise<unknown> =>
  rest.request('PATCH', objectPath(RESOURCES[o.kind], o.metadata.namespace, o.metadata.name), { query: { ...BARE_QUERY, force: true }, body: o, contentType: APPLY_CONTENT_TYPE });

async function createTwin(rest: RestClient, ns: string, i: number): Promise<string> {
  const created = await rest.request<{ metadata?: { uid?: string } }>('POST', collectionPath(TWIN, ns), { query: BARE_QUERY, body: { apiVersion: TWIN_API_VERSION, kind: KIND, metadata: { name: `w${i}`, namespace: ns }, spec: benchSpec(i) } });
  return created.metadata?.uid ?? '';
}

/** A queue that workers wait on until it is closed. */
class Channel<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((v: T | undefined) => void)[] = [];
  private closed = false;

  push(v: T): void {
    const w = this.waiting.shift();
    if (w === undefined) this.items.push(v);
    else w(v);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
  }

  next(): Promise<T | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiting.push(r));
  }
}

/**
 * A bare client making every request the operator's convergence makes, shaped as the operator's:
 * one loop creates the (twin) AIWorkloads one after the other, as the benchmark does for the
 * operator; two workers (the operator's default) each take a created workload and apply its registry
 * entry and compiled objects, then its status (what the operator's status code computes for it); one
 * background sender posts each workload's Event, as the operator's writer does. No informer, no
 * queue, no compile on the clock: the API server's own cost of the operator's requests.
 */
async function bareClientSameRequests(rest: RestClient, ns: string): Promise<{ ms: number; requests: number }> {
  // Compiled before the clock starts; each create's uid goes into its objects' ownerReferences.
  const writes = Array.from({ length: WORKLOADS }, (_v, i) => bareWrites(ns, i, ''));
  const created = new Channel<BareWrites & { uid: string }>();
  const events = new Channel<{ name: string; uid: string; event: BareWrites['event'] }>();
  let requests = 0;
  const started = performance.now();
  const creator = async (): Promise<void> => {
    for (const [i, w] of writes.entries()) {
      const uid = await createTwin(rest, ns, i);
      requests++;
      created.push({ ...w, uid, objects: w.objects.map((o) => withOwnerUid(o, uid)) });
    }
    created.close();
  };
  const worker = async (): Promise<void> => {
    for (let w = await created.next(); w !== undefined; w = await created.next()) {
      for (const o of w.objects) await applyAsBare(rest, o);
      await rest.request('PATCH', `${objectPath(TWIN, ns, w.name)}/status`, { query: { ...BARE_QUERY, force: true }, body: { apiVersion: TWIN_API_VERSION, kind: KIND, metadata: { name: w.name, namespace: ns }, status: w.status }, contentType: APPLY_CONTENT_TYPE });
      requests += w.objects.length + 1;
      events.push({ name: w.name, uid: w.uid, event: w.event });
    }
  };
  const sender = async (): Promise<void> => {
    for (let e = await events.next(); e !== undefined; e = await events.next()) {
      const involved = { apiVersion: TWIN_API_VERSION, kind: KIND, name: e.name, namespace: ns, uid: e.uid };
      await rest.request('POST', collectionPath(RESOURCES.Event, ns), { query: BARE_QUERY, body: eventBody(ns, involved, e.event, 'bench', new Date().toISOString()) });
      requests++;
    }
  };
  const sending = sender();
  await Promise.all([creator(), worker(), worker()]);
  events.close();
  await sending;
  return { ms: performance.now() - started, requests };
}

/**
 * A bare client applying only the objects: each AIWorkload's identity registry entry and compiled
 * objects, two at a time, owned by twin AIWorkloads made before the clock starts. What the same
 * segments cost written by hand, without an AIWorkload, its status or an Event.
 */
async function bareClientObjects(rest: RestClient, ns: string): Promise<{ ms: number; requests: number }> {
  const objects: GeneratedObject[] = [];
  for (let i = 0; i < WORKLOADS; i++) objects.push(...bareWrites(ns, i, await createTwin(rest, ns, i)).objects);
  const started = performance.now();
  const queue = [...objects];
  const worker = async (): Promise<void> => {
    for (let o = queue.shift(); o !== undefined; o = queue.shift()) await applyAsBare(rest, o);
  };
  await Promise.all([worker(), worker()]);
  return { ms: performance.now() - started, requests: objects.length };
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

/** The ratio's verdict against issue 12's target. */
const TARGET_RATIO = 1.3;
const verdict = (ratio: number): string => `${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x)${ratio <= TARGET_RATIO ? '' : ' MISSED'}`;

interface Phase {
  ms: number;
  requests: number;
}

const meanOf = (a: Phase, b: Phase): Phase => ({ ms: (a.ms + b.ms) / 2, requests: a.requests });

export async function runConvergenceBench(): Promise<string> {
  return withBenchCluster(async ({ cluster, kc, rest }) => {
    await installTwinCrd(rest);
    for (const ns of ['bench-bare', 'bench-bare-objects', 'bench-operator', 'bench-bare-objects-after', 'bench-bare-after', REGISTRY_NAMESPACE, BARE_REGISTRY_NAMESPACE]) await createNamespace(rest, ns);
    // Each bare client runs before and after the operator and its ratio is over the mean, so a
    // machine that gets busier or quieter during the run (it is shared) does not favour either side.
    const same1 = await measured(cluster, () => bareClientSameRequests(rest, 'bench-bare'));
    const objects1 = await measured(cluster, () => bareClientObjects(rest, 'bench-bare-objects'));
    const op = await measured(cluster, () => operator(kc, rest, 'bench-operator'));
    const objects2 = await measured(cluster, () => bareClientObjects(rest, 'bench-bare-objects-after'));
    const same2 = await measured(cluster, () => bareClientSameRequests(rest, 'bench-bare-after'));
    const same = meanOf(same1.result, same2.result);
    const objects = meanOf(objects1.result, objects2.result);
    const w = writesIn(cluster.auditEvents(), 'bench-operator');
    const per = (n: number): string => (n / WORKLOADS).toFixed(1);
    // The requests the API server served for the operator's side: its writes and the benchmark's
    // AIWorkload creates. Time per request says how much of a ratio is the operator's overhead and
    // how much the number of requests.
    const opRequests = w.objects + w.status + w.registry + w.events + w.other + WORKLOADS;
    const perRequest = (bare: Phase): string => (op.result / opRequests / (bare.ms / bare.requests)).toFixed(2);
    const ms = (p: Phase): string => `${p.ms.toFixed(0)} ms`;
    return [
      `Convergence benchmark (one run, one local control plane; ${WORKLOADS} AIWorkloads x 5 components: ${objects.requests} objects with the identity registry's entries)`,
      `   operator, from creating the AIWorkloads to all Ready (2 workers, --kube-api-qps ${API_QPS === 0 ? '0: no client-side limit, as the bare clients' : API_QPS}): ${op.result.toFixed(0)} ms`,
      `   bare client making the operator's requests (the create, ${objects.requests / WORKLOADS} applies, the status and the Event of each AIWorkload, on a twin of the CRD; creates one at a time, 2 workers, Events in the background): ${ms(same1.result)} before the operator, ${ms(same2.result)} after, mean ${ms(same)}`,
      `convergence, ${WORKLOADS.toLocaleString('en-US')} AIWorkloads: operator / bare client making the same requests: ${verdict(op.result / same.ms)}`,
      `   API writes per converged AIWorkload (audit log): ${per(w.objects)} object applies, ${per(w.registry)} identity registry, ${per(w.status)} status, ${per(w.events)} Events (sent in the background), ${per(w.other)} other;` +
        ` minimum ${objects.requests / WORKLOADS} applies (the compiled objects and the registry entry) + 1 status. Reads come from the informers' caches (one LIST and WATCH per watched collection)`,
      `   time per API request, operator / bare client making the same requests: ${perRequest(same)}x (${opRequests} requests with the benchmark's ${WORKLOADS} creates, against ${same.requests})`,
      `   for comparison, a bare client applying only the objects (2 in flight, no AIWorkload, status or Event): ${ms(objects1.result)} before, ${ms(objects2.result)} after, mean ${ms(objects)}; operator / it: ${(op.result / objects.ms).toFixed(2)}x, per request ${perRequest(objects)}x (${opRequests} requests against ${objects.requests}: ${(opRequests / objects.requests).toFixed(2)}x as many)`,
      cpuLine('bare client making the same requests, before', same1.cpu),
      cpuLine('bare client applying the objects, before', objects1.cpu),
      cpuLine('operator (and the benchmark creating the AIWorkloads)', op.cpu),
      cpuLine('bare client applying the objects, after', objects2.cpu),
      cpuLine('bare client making the same requests, after', same2.cpu),
      '',
    ].join('\n');
  });
}

runAsMain(import.meta.url, runConvergenceBench);
