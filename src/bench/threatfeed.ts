// Threat feed benchmark (issue 11): W AIWorkloads (BENCH_WORKLOADS, default 1,000), each with an
// egress to 0.0.0.0/0:443, converged by the operator on a fresh local control plane; then one
// ThreatFeed, read from a ConfigMap in the operator's namespace (PlainList), is given a DROP-sized
// list (about 1,500 networks) and later a FireHOL-level-1-sized one (20,000 entries). For each it
// prints
//   - the time from the change (the ThreatFeed created, then its ConfigMap replaced) until every
//     AIWorkload's status lists the feed's new digest, as a watch of this process sees it, and the
//     operator's own bulkhead_threatfeed_propagation_seconds (from the set in force changing to the
//     last AIWorkload written with it);
//   - the process's CPU time (operator, and this benchmark's watch) and peak RSS over that time;
//   - the writes the operator made meanwhile (audit log) and the API server's and etcd's RSS after;
//   - the largest generated NetworkPolicy as the API server returns it and as the operator sends it,
//     against the API server's limit on request bodies (3 MiB) and etcd's default limit on a
//     request (--max-request-bytes, 1.5 MiB), which is what a stored object must fit.
// A propagation that does not finish is reported with what the operator said (conditions), not
// hidden.
import { API_VERSION, KIND, MANAGED_SELECTOR } from '../api/constants.js';
import { THREAT_FEED_KIND, threatFeedSpecSchema } from '../api/threatfeed.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import type { NetworkPolicy } from '../api/kubernetes.js';
import { Manager } from '../controller/manager.js';
import type { AuditEvent } from '../devcluster/audit.js';
import type { DevCluster } from '../devcluster/index.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';
import { silentLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { Informer, kubeListWatch } from '../runtime/informer.js';
import type { KubeConfig } from '../runtime/kubeconfig.js';
import type { RestClient } from '../runtime/rest.js';
import { type FeedSummary, feedSummary, readFeed } from '../threatfeed/read.js';
import { type BenchCluster, createRetrying, runAsMain, withBenchCluster } from './bench-cluster.js';
import { dropLikeList, fireholLikeList } from './feed-lists.js';
import { benchSpec } from './workload-spec.js';

/** BENCH_WORKLOADS: how many AIWorkloads the feed covers (default 1,000). */
const WORKLOADS = Number(process.env['BENCH_WORKLOADS'] ?? 1000);
if (!Number.isInteger(WORKLOADS) || WORKLOADS < 1) throw new Error(`BENCH_WORKLOADS must be a positive integer, got ${process.env['BENCH_WORKLOADS'] ?? ''}`);
/** BENCH_API_QPS: the operator's client-side rate limit, as in the convergence benchmark (default 0: none). */
const API_QPS = Number(process.env['BENCH_API_QPS'] ?? 0);
const PER_NAMESPACE = 20;
const OPERATOR_NAMESPACE = 'bulkhead-system';
const FEED = 'bench-blocklist';
const SOURCE = 'bench-blocklist-source';
const DROP_ENTRIES = 1500;
const FIREHOL_ENTRIES = 20_000;
/** A propagation still running after this long is reported as not finished. */
const PROPAGATION_TIMEOUT_MS = 900_000;
/** kube-apiserver refuses request bodies over this (its MaxRequestBodyBytes default). */
const API_SERVER_BODY_LIMIT = 3 * 1024 * 1024;
/** etcd's default --max-request-bytes: the API server's write of one object must fit. */
const ETCD_REQUEST_LIMIT = 1.5 * 1024 * 1024;
const MiB = 1024 * 1024;

const nsOf = (i: number): string => `feed-${Math.floor(i / PER_NAMESPACE)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const jsonBytes = (o: unknown): number => Buffer.byteLength(JSON.stringify(o));
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const fmtS = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Runs `n` tasks `inFlight` at a time. */
async function pool(n: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`threat feed bench: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}


type WorkloadStatus = {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  status?: { threatFeeds?: { name: string; digest?: string }[]; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

/**
 * What this benchmark's own watch of the AIWorkloads sees: the digest of FEED each status lists,
 * counted per digest, so a phase knows the moment the last AIWorkload lists the new one.
 */
class FeedDigests {
  private readonly byKey = new Map<string, string | undefined>();
  private readonly counts = new Map<string, number>();
  private readonly waiters: { digest: string; resolve: (at: number) => void }[] = [];
  readonly informer: Informer<WorkloadStatus>;
  latest = new Map<string, WorkloadStatus>();

  constructor(kc: KubeConfig) {
    const r = RESOURCES.AIWorkload;
    this.informer = new Informer<WorkloadStatus>({
      transport: kubeListWatch(kc, { group: r.group, version: r.version, plural: r.plural }),
      resource: 'bench aiworkloads',
      logger: silentLogger(),
      // Only what the benchmark reads: the object's key and its status.
      transform: (o) => ({ metadata: { name: o.metadata.name, namespace: o.metadata.namespace ?? '', resourceVersion: o.metadata.resourceVersion ?? '' }, status: o.status ?? {} }),
    });
    const seen = (o: WorkloadStatus): void => this.seen(o);
    this.informer.addEventHandler({ onAdd: seen, onUpdate: (_o, n) => seen(n) });
  }

  private seen(o: WorkloadStatus): void {
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    this.latest.set(key, o);
    const digest = o.status?.threatFeeds?.find((f) => f.name === FEED)?.digest;
    const before = this.byKey.get(key);
    if (this.byKey.has(key) && before === digest) return;
    this.byKey.set(key, digest);
    this.add(before, -1);
    if (this.add(digest, 1) < WORKLOADS) return;
    const at = performance.now();
    for (const w of this.waiters.filter((x) => x.digest === digest)) w.resolve(at);
  }

  /** Adds to the count of a digest (none: nothing); the new count. */
  private add(digest: string | undefined, n: number): number {
    if (digest === undefined) return 0;
    const count = (this.counts.get(digest) ?? 0) + n;
    this.counts.set(digest, count);
    return count;
  }

  count(digest: string): number {
    return this.counts.get(digest) ?? 0;
  }

  /** Resolves with the time the last AIWorkload listed `digest` (now, if all already do). */
  allList(digest: string): Promise<number> {
    if (this.count(digest) >= WORKLOADS) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.waiters.push({ digest, resolve }));
  }

  /** The conditions of AIWorkloads that do not list `digest` yet, each distinct message once. */
  stragglers(digest: string): string[] {
    const why = new Map<string, number>();
    for (const [key, o] of this.latest) {
      if (this.byKey.get(key) === digest) continue;
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      const text = ready === undefined ? 'no Ready condition' : `Ready=${ready.status} ${ready.reason ?? ''}: ${(ready.message ?? '').slice(0, 400)}`;
      why.set(text, (why.get(text) ?? 0) + 1);
    }
    return [...why].map(([text, n]) => `${n} x ${text}`);
  }
}

/** Samples the process's RSS every 100 ms while `during` runs; the peak. */
async function peakRss<T>(during: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    return { result: await during(), peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

/** The list a phase applies and what the operator should make of it (read as the operator reads it). */
interface FeedList {
  label: string;
  entries: number;
  document: string;
  summary: FeedSummary;
}

const FEED_SPEC = { source: { configMap: { namespace: OPERATOR_NAMESPACE, name: SOURCE, key: 'feed' } }, format: 'PlainList' };

function feedList(label: string, lines: string[]): FeedList {
  const document = `# ${label}, generated by the threat feed benchmark\n${lines.join('\n')}\n`;
  return { label, entries: lines.length, document, summary: feedSummary(readFeed(threatFeedSpecSchema.parse(FEED_SPEC), document)) };
}

/** What one propagation came to. */
interface Propagation {
  /** From the change to the last AIWorkload listing the digest; undefined when it did not finish. */
  ms?: number | undefined;
  listed: number;
  histogramSeconds?: number | undefined;
  cpuMs: number;
  peakRss: number;
  rssBefore: number;
  /** After the propagation, after forced GCs when the process has --expose-gc. */
  retained: { rss: number; heapUsed: number; gc: boolean };
  writes: Record<string, number>;
  stragglers: string[];
  rewrites: string[];
  feedStatus: Record<string, unknown>;
  servers: string;
}

async function histogram(metrics: ReturnType<typeof createMetrics>): Promise<{ count: number; sum: number }> {
  const values = (await metrics.threatFeed.propagation.get()).values.filter((v) => v.labels['feed'] === FEED);
  const of = (name: string): number => values.find((v) => v.metricName === name)?.value ?? 0;
  return { count: of('bulkhead_threatfeed_propagation_seconds_count'), sum: of('bulkhead_threatfeed_propagation_seconds_sum') };
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** resource or resource/subresource. */
const resourceOf = (ref: NonNullable<AuditEvent['objectRef']>): string => [ref.resource ?? '?', ...(ref.subresource === undefined ? [] : [ref.subresource])].join('/');

/** Where the operator writes for a feed, by what the audit log names (the benchmark's own writes are the ThreatFeed and its source). */
function feedWrite(ref: NonNullable<AuditEvent['objectRef']>): string | undefined {
  const what = resourceOf(ref);
  const ns = ref.namespace ?? '';
  if (ns.startsWith('feed-') || what === 'threatfeeds/status') return what;
  if (ns === OPERATOR_NAMESPACE && ref.name !== SOURCE) return `${what} in ${OPERATOR_NAMESPACE}`;
  return ns === 'default' && what === 'events' ? 'events of the ThreatFeed' : undefined;
}

/** The AIWorkloads whose status was written more than once between two moments (a propagation needs one write each). */
function statusRewrites(events: readonly AuditEvent[], fromMs: number, toMs: number): string[] {
  const writes = new Map<string, number>();
  for (const e of events) {
    const at = Date.parse(e.requestReceivedTimestamp);
    const ref = e.objectRef;
    if (at < fromMs || at > toMs || ref?.resource !== 'aiworkloads' || ref.subresource !== 'status') continue;
    const key = `${ref.namespace ?? ''}/${ref.name ?? ''}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  }
  return [...writes].filter(([, n]) => n > 1).map(([key, n]) => `${key} ${n}x`);
}

const withRefusal = (what: string, code: number): string => (code >= 400 ? `${what} refused with ${code}` : what);

/** The operator's writes between two moments, by resource, and those refused by status code (the audit log). */
function writesBetween(events: readonly AuditEvent[], fromMs: number, toMs: number): Record<string, number> {
  const counts: Record<string, number> = {};
  const during = (e: AuditEvent): boolean => {
    const at = Date.parse(e.requestReceivedTimestamp);
    return at >= fromMs && at <= toMs && WRITE_VERBS.has(e.verb);
  };
  for (const e of events.filter(during)) {
    const what = e.objectRef === undefined ? undefined : feedWrite(e.objectRef);
    const key = what === undefined ? undefined : withRefusal(what, e.responseStatus?.code ?? 0);
    if (key !== undefined) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function serverMemory(cluster: DevCluster): string {
  return cluster
    .processes()
    .filter((p) => p.component !== 'controllerManager')
    .map((p) => `${p.component} ${p.rssBytes === undefined ? '?' : `${(p.rssBytes / MiB).toFixed(0)} MiB`}`)
    .join(', ');
}

/** The process's memory now, after a few forced GCs when --expose-gc allows them. */
async function retainedMemory(): Promise<Propagation['retained']> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; gc !== undefined && i < 4; i++) {
    gc();
    await sleep(50);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, gc: gc !== undefined };
}

/** Makes the change, then waits for every AIWorkload to list the digest and for the histogram. */
async function propagate(bench: BenchCluster, ctx: { metrics: ReturnType<typeof createMetrics>; digests: FeedDigests }, list: FeedList, change: () => Promise<void>): Promise<Propagation> {
  const { rest, cluster } = bench;
  const digest = list.summary.digest;
  const before = await histogram(ctx.metrics);
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = cpuMs();
  const wallFrom = Date.now();
  const started = performance.now();
  const { result: done, peak } = await peakRss(async () => {
    await change();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, PROPAGATION_TIMEOUT_MS, undefined);
    });
    return Promise.race([ctx.digests.allList(digest), timeout]).finally(() => clearTimeout(timer));
  });
  const cpu = cpuMs() - cpuBefore;
  const wallTo = Date.now();
  // The histogram is observed once the last status write returned; the watch may see it first.
  await until('the propagation histogram', async () => (await histogram(ctx.metrics)).count > before.count, done === undefined ? 1 : 60_000).catch(() => undefined);
  const after = await histogram(ctx.metrics);
  const retained = await retainedMemory();
  await sleep(1500); // the audit log is written as requests complete; the last writes are in it by now
  const feed = await rest.request<{ status?: Record<string, unknown> }>('GET', objectPath(RESOURCES.ThreatFeed, undefined, FEED));
  const { conditions: _c, rejections: _r, ...feedStatus } = feed.status ?? {};
  return {
    ms: done === undefined ? undefined : done - started,
    listed: ctx.digests.count(digest),
    histogramSeconds: after.count > before.count ? after.sum - before.sum : undefined,
    cpuMs: cpu,
    peakRss: peak,
    rssBefore,
    retained,
    writes: writesBetween(cluster.auditEvents(), wallFrom, wallTo),
    rewrites: statusRewrites(cluster.auditEvents(), wallFrom, wallTo),
    stragglers: done === undefined ? ctx.digests.stragglers(digest) : [],
    feedStatus,
    servers: serverMemory(cluster),
  };
}

/** The largest generated NetworkPolicy as the API server returns it, listing 100 at a time. */
async function largestStored(rest: RestClient): Promise<{ bytes: number; name: string; except: number; count: number }> {
  let best = { bytes: 0, name: '', except: 0, count: 0 };
  let count = 0;
  let cont: string | undefined;
  do {
    const page = await rest.request<{ items: NetworkPolicy[]; metadata: { continue?: string } }>('GET', '/apis/networking.k8s.io/v1/networkpolicies', {
      query: { labelSelector: MANAGED_SELECTOR, limit: 100, continue: cont },
      timeoutMs: 120_000,
    });
    for (const np of page.items) {
      count++;
      const bytes = jsonBytes(np);
      if (bytes > best.bytes) best = { bytes, name: `${np.metadata?.namespace ?? ''}/${np.metadata?.name ?? ''}`, except: exceptCount(np), count: 0 };
    }
    cont = page.metadata.continue === '' ? undefined : page.metadata.continue;
  } while (cont !== undefined);
  return { ...best, count };
}

function exceptCount(np: NetworkPolicy): number {
  const rules = [...(np.spec?.egress ?? []).flatMap((r) => r.to ?? []), ...(np.spec?.ingress ?? []).flatMap((r) => r.from ?? [])];
  return rules.reduce((n, p) => n + (p.ipBlock?.except?.length ?? 0), 0);
}

/** The largest NetworkPolicy the compiler makes of workload 0 under the list: the body of its apply. */
function largestApplyBody(list: FeedList): number {
  const v = validateSpec(benchSpec(0, { internetEgress: true }));
  if (!v.ok) throw new Error('bench spec invalid');
  const { blocked } = readFeed(threatFeedSpecSchema.parse(FEED_SPEC), list.document);
  const objects = compile({ name: 'w0', namespace: nsOf(0), uid: '00000000-0000-0000-0000-000000000000', spec: v.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map(), threatFeeds: { names: [FEED], blocked } }).objects;
  return Math.max(...objects.filter((o) => o.kind === 'NetworkPolicy').map(jsonBytes));
}

function limitsLine(stored: number, body: number): string {
  const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
  const verdict = stored > ETCD_REQUEST_LIMIT || body > API_SERVER_BODY_LIMIT ? 'OVER A LIMIT' : `fits: ${(ETCD_REQUEST_LIMIT / stored).toFixed(1)}x headroom under etcd's`;
  return `      against the limits: stored object ${pct(stored, ETCD_REQUEST_LIMIT)} of etcd's 1.5 MiB (--max-request-bytes, the limit a stored object meets first; etcd holds it as protobuf, normally smaller than this JSON) and apply body ${pct(body, API_SERVER_BODY_LIMIT)} of the API server's 3 MiB: ${verdict}`;
}

function phaseLines(list: FeedList, p: Propagation, sizes: { stored: Awaited<ReturnType<typeof largestStored>>; body: number }): string[] {
  const s = list.summary;
  const writes = Object.entries(p.writes).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [
    `   ${list.label}: ${list.entries} entries, ${s.accepted} accepted, ${s.rejected} rejected, ${s.networks} networks after merging (${list.entries - s.networks} fewer); ConfigMap value ${kb(Buffer.byteLength(list.document))}`,
    p.ms === undefined
      ? `      NOT PROPAGATED: after ${fmtS(PROPAGATION_TIMEOUT_MS)} ${p.listed} of ${WORKLOADS} AIWorkloads list digest ${s.digest.slice(0, 19)}…; the others say: ${p.stragglers.join(' | ')}`
      : `      to every AIWorkload's status listing the digest: ${fmtS(p.ms)} (${(p.ms / WORKLOADS).toFixed(1)} ms an AIWorkload); bulkhead_threatfeed_propagation_seconds: ${p.histogramSeconds === undefined ? 'not observed' : `${p.histogramSeconds.toFixed(1)} s`}`,
    `      process CPU (operator and this benchmark's watch) ${fmtS(p.cpuMs)}; RSS ${mib(p.rssBefore)} before, peak ${mib(p.peakRss)}, after ${mib(p.retained.rss)} (heap used ${mib(p.retained.heapUsed)}${p.retained.gc ? ', after GC' : ', no GC: run with --expose-gc'}); API server and etcd after: ${p.servers}`,
    `      writes meanwhile (audit log): ${writes}${p.rewrites.length === 0 ? '' : `; status written more than once: ${p.rewrites.slice(0, 5).join(', ')}`}`,
    `      ThreatFeed status: ${JSON.stringify(p.feedStatus)}${p.feedStatus['digest'] === s.digest ? '' : ` (the benchmark computed ${s.digest})`}`,
    `      largest generated NetworkPolicy: ${sizes.stored.name}, ${sizes.stored.except} except entries, ${kb(sizes.stored.bytes)} as stored (JSON, of ${sizes.stored.count} generated NetworkPolicies), apply body ${kb(sizes.body)}`,
    limitsLine(sizes.stored.bytes, sizes.body),
  ];
  return lines;
}

async function convergeWorkloads(rest: RestClient, metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const started = performance.now();
  await pool(WORKLOADS, 4, (i) => createRetrying(rest, collectionPath(RESOURCES.AIWorkload, nsOf(i)), { apiVersion: API_VERSION, kind: KIND, metadata: { name: `w${i}` }, spec: benchSpec(i, { internetEgress: true }) }));
  const ready = async (): Promise<number> => (await metrics.segments.get()).values.find((v) => v.labels['condition'] === 'ready')?.value ?? 0;
  await until(`${WORKLOADS} AIWorkloads to be Ready`, async () => (await ready()) >= WORKLOADS * 5, 1_800_000, 200);
  return performance.now() - started;
}

const sourceConfigMap = (list: FeedList): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SOURCE, namespace: OPERATOR_NAMESPACE }, data: { feed: list.document } });

export async function runThreatFeedBench(): Promise<string> {
  return withBenchCluster(async (bench) => {
    const { kc, rest } = bench;
    const drop = feedList(`DROP-sized list (${DROP_ENTRIES} networks, /16 to /24)`, dropLikeList(DROP_ENTRIES));
    const firehol = feedList(`FireHOL-level-1-sized list (${FIREHOL_ENTRIES} entries, mostly single hosts and /24s)`, fireholLikeList(FIREHOL_ENTRIES));
    const namespaces = [OPERATOR_NAMESPACE, ...Array.from({ length: Math.ceil(WORKLOADS / PER_NAMESPACE) }, (_v, n) => `feed-${n}`)];
    await pool(namespaces.length, 4, (n) => createRetrying(rest, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaces[n] } }));
    const metrics = createMetrics();
    const manager = new Manager({ kubeConfig: kc, logger: silentLogger(), metrics, platform: DEFAULT_PLATFORM, workers: 2, apiRate: { qps: API_QPS, burst: 2 * API_QPS }, identityRegistryNamespace: OPERATOR_NAMESPACE });
    const digests = new FeedDigests(kc);
    await manager.startCaches();
    manager.startWorkers();
    try {
      const converged = await convergeWorkloads(rest, metrics);
      digests.informer.start();
      await digests.informer.waitForSync();
      await until('the operator to go idle', () => manager.idle(), 600_000);
      const lines = [
        `Threat feed benchmark (one run, one local control plane; ${WORKLOADS} AIWorkloads x 5 components, ${PER_NAMESPACE} per namespace, each gateway with an egress to 0.0.0.0/0:443;` +
          ` one ThreatFeed covering every namespace, format PlainList, from a ConfigMap in ${OPERATOR_NAMESPACE}; 2 workers, --kube-api-qps ${API_QPS === 0 ? '0: no client-side limit' : API_QPS})`,
        `   ${WORKLOADS} AIWorkloads converged without a feed in ${fmtS(converged)}`,
      ];
      const ctx = { metrics, digests };
      await rest.request('POST', collectionPath(RESOURCES.ConfigMap, OPERATOR_NAMESPACE), { body: sourceConfigMap(drop) });
      const first = await propagate(bench, ctx, drop, async () => {
        await rest.request('POST', collectionPath(RESOURCES.ThreatFeed, undefined), { body: { apiVersion: API_VERSION, kind: THREAT_FEED_KIND, metadata: { name: FEED }, spec: FEED_SPEC } });
      });
      lines.push(...phaseLines(drop, first, { stored: await largestStored(rest), body: largestApplyBody(drop) }));
      await until('the operator to go idle', () => manager.idle(), 600_000);
      const second = await propagate(bench, ctx, firehol, async () => {
        await rest.request('PUT', objectPath(RESOURCES.ConfigMap, OPERATOR_NAMESPACE, SOURCE), { body: sourceConfigMap(firehol), timeoutMs: 60_000 });
      });
      lines.push(...phaseLines(firehol, second, { stored: await largestStored(rest), body: largestApplyBody(firehol) }));
      lines.push(`   (the change is the ThreatFeed's create, then the PUT of its ConfigMap; the histogram starts when the operator has read and merged the set)`);
      return `${lines.join('\n')}\n`;
    } finally {
      await digests.informer.stop();
      await manager.stop();
    }
  });
}

runAsMain(import.meta.url, runThreatFeedBench);
