// The manager wires informers, the work queue, the reconciler, leader election and the health
// server together. Event handlers only map an object to AIWorkload keys and enqueue them.
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '../runtime/kubeconfig.js';
import { LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_SELECTOR, MANAGED_BY_VALUE } from '../api/constants.js';
import type { PlatformConfig } from '../compile/facts.js';
import type { EndpointSlice, Labels, NetworkPolicy, Pod, Stored, StoredObject } from '../api/kubernetes.js';
import { apiServerEndpoints, podsThatCount } from '../compile/live-facts.js';
import { GENERATED_KINDS, type GeneratedKind, type GeneratedObject } from '../compile/objects.js';
import type { ClusterFacts as AnalysisFacts } from '../analysis/index.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { type NamespaceFacts, analyseWorkload, mayBeExposed } from './exposure.js';
import { ExposureLoop, type ExposureResult } from './exposure-loop.js';
import { SegmentTally } from './segment-tally.js';
import { WorkloadIndex } from './workload-index.js';
import { slimNetworkPolicy, slimPod, withoutManagedFields } from './slim.js';
import { createRestClient } from '../runtime/rest.js';
import { type RateLimit, type RateLimiter, tokenBucket } from '../runtime/rate-limit.js';
import { RESOURCES, type ResourceInfo } from '../kube/resources.js';
import { createWriter } from '../kube/writer.js';
import { EventCorrelator } from '../observe/event-correlator.js';
import type { Logger } from '../observe/logger.js';
import { type Metrics, observeReconcile, workQueueMetricsHooks } from '../observe/metrics.js';
import { ALL_ENDPOINTS, type Endpoint, type HealthServer, readinessCheck, startHealthServer } from '../observe/health.js';
import { type Clock, realClock } from '../runtime/clock.js';
import { Informer, kubeListWatch, objectKey } from '../runtime/informer.js';
import { type Cache, MultiNamespaceCache } from '../runtime/multi-namespace.js';
import { type AIWorkloadObject, type ClusterView, type ClusterWriter, Reconciler } from './reconciler.js';
import { EXPOSURE_WATCHES, WATCHES, type Watch, updateKeys } from './watches.js';
import { type Binding, BindingIndex } from './identity-bindings.js';
import { queueResult, resultLabel } from './outcome.js';
import { StartupError, listFailure, syncTimeout } from './startup.js';
import { WorkQueue } from '../runtime/workqueue.js';
import { fetchFeed } from '../threatfeed/fetch.js';
import { createFeedStore, getConfigMapData } from '../kube/feed-store.js';
import { type FeedSources, ThreatFeedController, type ThreatFeedObject } from './threatfeeds.js';
import type { RestClient } from '../runtime/rest.js';

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: Metrics;
  platform: PlatformConfig;
  clock?: Clock;
  workers?: number;
  /** Re-reconcile every AIWorkload this often (level-based safety net). @default 10 min */
  resyncMs?: number;
  /**
   * Client-side limit on the operator's API requests (reads, writes, status, Events, list and
   * watch set-up); leader election has a client of its own, so a busy operator still renews its
   * Lease on time. @default DEFAULT_API_RATE
   */
  apiRate?: RateLimit;
  /** Label and annotation keys left on generated objects (see planWrites). */
  keepMetadata?: readonly string[];
  /** The metrics listener (also /healthz and /readyz unless `probes` is set); omit to not serve. */
  health?: { host: string; port: number };
  /** A listener of its own for /healthz and /readyz. */
  probes?: { host: string; port: number };
  /** Give up starting when the caches have not synced in this time. @default 120 000 */
  cacheSyncTimeoutMs?: number;
  /** Identity of this replica (Events, Lease). */
  identity?: string;
  /** When set, only write while this returns true (leader election). */
  mayWrite?: () => boolean;
  quietTimeoutMs?: number;
  /** Election state for /readyz, when electing. */
  election?: { isLeader: () => boolean; hasObservedLease: () => boolean };
  /**
   * Watch only these namespaces (--watch-namespaces): AIWorkloads, the generated kinds and pods
   * elsewhere are not seen, and a Role in each of them is all the RBAC they need. Unset: all.
   */
  watchNamespaces?: readonly string[] | undefined;
  /** The operator's namespace, where it keeps the identity registry and the threat feed caches; unset: none is kept. */
  identityRegistryNamespace?: string | undefined;
  /** Hosts HTTPS threat feeds may be fetched from (--threatfeed-hosts). @default none */
  threatFeedHosts?: readonly string[];
}

/** How often the segments each threat feed covers are recounted for its status. */
const FEED_RECOUNT_MS = 30_000;

type AnyInformer = Cache<StoredObject>;
type Indexers = Record<string, (obj: StoredObject) => string[]>;

/**
 * The generated objects of one AIWorkload, found without scanning its namespace: by the workload
 * label Bulkhead sets (`label:ns/value`) and by controlling owner (`uid:…`), the two ways the
 * reconciler recognises its own (only owned objects are ever pruned).
 */
const OWNER_INDEX = 'owner';
function ownerIndexValues(obj: StoredObject): string[] {
  const label = obj.metadata.labels?.[LABEL_WORKLOAD];
  const owners = (obj.metadata.ownerReferences ?? []).filter((o) => o.controller === true && o.uid !== undefined).map((o) => `uid:${o.uid ?? ''}`);
  return label === undefined ? owners : [`label:${obj.metadata.namespace ?? 'default'}/${label}`, ...owners];
}

/** The default client-side rate limit (--kube-api-qps, --kube-api-burst): docs/operations.md says why. */
export const DEFAULT_API_RATE: RateLimit = Object.freeze({ qps: 200, burst: 400 });


/**
 * indexWorkloads keeps a WorkloadIndex of the informer's AIWorkloads. It is registered before the
 * watches, so the index is current when any map function reads it (handlers run in the order added).
 */
function indexWorkloads(workloads: AnyInformer, index: WorkloadIndex, onDelete: (key: string) => void): WorkloadIndex {
  workloads.addEventHandler({
    onAdd: (w) => index.upsert(w),
    onUpdate: (_old, w) => index.upsert(w),
    onDelete: (w) => {
      index.remove(w);
      onDelete(`${w.metadata.namespace ?? 'default'}/${w.metadata.name}`);
    },
  });
  return index;
}

/** The watches and their map functions are declared in watches.ts; here they only meet informers. */
function wireWatches(informersOf: Record<Watch['resource'], AnyInformer[]>, index: WorkloadIndex, enqueue: (key: string) => void): void {
  for (const w of WATCHES) {
    const add = (obj: StoredObject): void => {
      for (const key of w.map(obj, index)) enqueue(key);
    };
    const update = (o: StoredObject, n: StoredObject): void => {
      for (const key of updateKeys(w, o, n, index)) enqueue(key);
    };
    for (const inf of informersOf[w.resource]) inf.addEventHandler(w.updatesOnly === true ? { onUpdate: update } : { onAdd: add, onUpdate: update, onDelete: add });
  }
}

/** The exposure watches (watches.ts): each event marks the workloads it may change and every wide one. */
function wireExposureWatches(informersOf: Partial<Record<Watch['resource'], AnyInformer[]>>, index: WorkloadIndex, loop: ExposureLoop): void {
  for (const w of EXPOSURE_WATCHES) {
    const mark = (...objs: StoredObject[]): void => {
      for (const obj of objs) loop.markKeys(w.map(obj, index));
      loop.markWide();
    };
    for (const inf of informersOf[w.resource] ?? []) inf.addEventHandler({ onAdd: (o) => mark(o), onUpdate: (o, n) => mark(o, n), onDelete: (o) => mark(o) });
  }
}

/**
 * The label selector of a generated kind's informer. NetworkPolicies are watched unfiltered:
 * exposure detection needs everyone's policies; and RoleBindings: anyone's may widen a segment's
 * identity (IdentityWidened).
 */
const managedSelector = (kind: GeneratedKind): string | undefined => (kind === 'NetworkPolicy' || kind === 'RoleBinding' ? undefined : MANAGED_SELECTOR);

/** indexBindings keeps a BindingIndex current from the RoleBinding and ClusterRoleBinding informers. */
function indexBindings(informers: readonly AnyInformer[]): BindingIndex {
  const index = new BindingIndex();
  for (const inf of informers) {
    inf.addEventHandler({ onAdd: (o) => index.upsert(o as Binding), onUpdate: (_o, n) => index.upsert(n as Binding), onDelete: (o) => index.remove(o as Binding) });
  }
  return index;
}

export class Manager {
  readonly queue: WorkQueue;
  private readonly informers = new Map<string, Informer<StoredObject>>();
  private readonly reconciler: Reconciler;
  private readonly clock: Clock;
  private readonly servers: HealthServer[] = [];
  /** Set while startCaches waits: ends the wait with a startup failure. */
  private failStartup: ((message: string) => void) | undefined;
  /** The last list error of each informer that has not synced yet, for the sync-timeout message. */
  private readonly listErrors = new Map<string, string>();
  private workers: Promise<void> | undefined;
  private stopResync: (() => void) | undefined;
  private readonly exposure: ExposureLoop;
  private readonly feeds: ThreatFeedController;
  private readonly writer: ClusterWriter;
  private stopRecount: (() => void) | undefined;
  readonly identity: string;

  constructor(private readonly opts: ManagerOptions) {
    this.clock = opts.clock ?? realClock;
    this.identity = opts.identity ?? `bulkhead-${randomUUID().slice(0, 8)}`;
    this.queue = new WorkQueue({ clock: this.clock, metrics: workQueueMetricsHooks(opts.metrics) });
    const kc = opts.kubeConfig;
    const limiter = tokenBucket(opts.apiRate ?? DEFAULT_API_RATE, this.clock);
    const make = (name: string, r: ResourceInfo, labelSelector?: string, namespace?: string, indexers?: Indexers): AnyInformer =>
      this.makeInformer(limiter, { name, r, labelSelector, namespace, indexers });
    // Namespaced kinds: cluster-wide, or one informer per watched namespace (--watch-namespaces).
    const scoped = (name: string, r: ResourceInfo, labelSelector?: string, indexers?: Indexers, also: readonly string[] = []): AnyInformer => {
      const watched = opts.watchNamespaces;
      if (watched === undefined) return make(name, r, labelSelector, undefined, indexers);
      const namespaces = [...new Set([...watched, ...also])];
      return new MultiNamespaceCache(new Map(namespaces.map((ns) => [ns, this.makeInformer(limiter, { name: `${name}@${ns}`, r, labelSelector, namespace: ns, indexers })])));
    };
    const workloads = scoped('aiworkloads', RESOURCES.AIWorkload);
    const managed = new Map<GeneratedKind, AnyInformer>();
    // The identity registry's entries are RoleBindings in the operator's namespace, watched too.
    const registry = opts.identityRegistryNamespace === undefined ? [] : [opts.identityRegistryNamespace];
    for (const kind of GENERATED_KINDS) managed.set(kind, scoped(RESOURCES[kind].plural, RESOURCES[kind], managedSelector(kind), { [OWNER_INDEX]: ownerIndexValues }, kind === 'RoleBinding' ? registry : []));
    const bindingInformers = [managed.get('RoleBinding'), make('clusterrolebindings', RESOURCES.ClusterRoleBinding)].filter((i): i is AnyInformer => i !== undefined);
    const bindings = indexBindings(bindingInformers);
    const pods = scoped('pods', RESOURCES.Pod);
    // The pods of a namespace that take part in networking: what every reader of the pod cache counts.
    const podsIn = (ns: string): Stored<Pod>[] => podsThatCount(pods.listByNamespace(ns) as Stored<Pod>[]);
    const podLabelsIn = (ns: string): Labels[] => podsIn(ns).map((p) => p.metadata.labels ?? {});
    // A deleted AIWorkload's findings leave the exposed-segments gauge with it.
    const index = indexWorkloads(workloads, new WorkloadIndex({ podLabelsIn }), (key) => {
      this.exposure.remove(key);
      this.feeds.forgetWorkload(key);
      this.countExposed();
    });
    const namespaces = make('namespaces', RESOURCES.Namespace);
    const slices = make('endpointslices', RESOURCES.EndpointSlice, 'kubernetes.io/service-name=kubernetes', 'default');

    const view: ClusterView = {
      getWorkload: (ns, name) => workloads.get(ns, name) as AIWorkloadObject | undefined,
      listWorkloads: () => workloads.list() as AIWorkloadObject[],
      validation: (w) => index.validation(w),
      peerWorkloads: () => index.peerWorkloads(),
      workloadsSelecting: (ns, labels) => index.selecting(ns, labels),
      listOwned: (kind, ns, workloadLabel, uid) => {
        const inf = managed.get(kind);
        const objs = new Set([...(inf?.byIndex(OWNER_INDEX, `label:${ns}/${workloadLabel}`) ?? []), ...(inf?.byIndex(OWNER_INDEX, `uid:${uid}`) ?? [])]);
        return [...objs].filter((o) => o.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE);
      },
      listPods: podsIn,
      namespaceTerminating: (ns) => {
        const n = namespaces.get(undefined, ns) as (StoredObject & { status?: { phase?: string } }) | undefined;
        // Not in the (synced) cache: the namespace is gone, and its AIWorkloads' deletions are on
        // their way; there is nothing to write there either.
        if (n === undefined) return namespaces.hasSynced();
        return n.metadata.deletionTimestamp !== undefined || n.status?.phase === 'Terminating';
      },
      kubeAPIServer: () => apiServerEndpoints(slices.list() as EndpointSlice[]),
      bindingsCovering: (ns) => bindings.covering(ns),
      registryEntry: (ns, name) => managed.get('RoleBinding')?.get(ns, name),
      threatFeeds: (ns) => this.feeds.forNamespace(ns),
    };

    const rest = createRestClient(kc, { limiter });
    this.feeds = this.makeFeedController(rest, limiter, {
      namespaceLabels: (ns) => namespaces.get(undefined, ns)?.metadata.labels,
      workloads: () => index.segmentCounts(),
      changed: (inScope) => {
        for (const key of workloads.listKeys()) if (inScope(key.slice(0, key.indexOf('/')))) this.queue.add(key);
      },
    });
    const feedInformer = make('threatfeeds', RESOURCES.ThreatFeed);
    feedInformer.addEventHandler({ onAdd: (o) => this.feeds.upsert(o as ThreatFeedObject), onUpdate: (_o, n) => this.feeds.upsert(n as ThreatFeedObject), onDelete: (o) => this.feeds.remove(o as ThreatFeedObject) });
    const writer = createWriter(rest, {
      instance: this.identity,
      now: () => new Date(this.clock.now()),
      ...(opts.mayWrite !== undefined ? { mayWrite: opts.mayWrite } : {}),
      correlator: new EventCorrelator({ now: () => this.clock.now() }),
      onEventDropped: () => opts.metrics.eventsDropped.inc(),
      onEventFailed: (_what, err) => opts.logger.warn('could not record Event', { error: err instanceof Error ? err.message : String(err) }),
    });
    this.writer = writer;
    // Exposure and audit analysis run in their own loop (exposure-loop.ts), off the reconcile
    // path: a reconcile hands it what it converges to and reports the last result; a changed result
    // wakes the reconcile that writes it. Exposure is computed over the whole cached cluster: any
    // pod anywhere may be a peer.
    const analysisFacts = (): AnalysisFacts => ({
      namespaces: namespaces.list() as AnalysisFacts['namespaces'],
      pods: podsThatCount(pods.list() as Stored<Pod>[]),
      workloads: [],
      networkPolicies: (managed.get('NetworkPolicy')?.list() ?? []) as AnalysisFacts['networkPolicies'],
    });
    const namespaceFacts = (ns: string): NamespaceFacts => ({
      pods: podsIn(ns),
      networkPolicies: (managed.get('NetworkPolicy')?.listByNamespace(ns) ?? []) as NetworkPolicy[],
    });
    this.exposure = new ExposureLoop({
      clock: this.clock,
      busy: () => this.queue.len() + this.queue.inFlight() > 0,
      compute: (input) => {
        const ns = namespaceFacts(input.namespace);
        // Audit's would-block report and any exposure analysis read the whole cluster.
        this.exposure.noteWide(`${input.namespace}/${input.name}`, input.audit || mayBeExposed(ns, input.spec, input.objects));
        return analyseWorkload(input, ns, analysisFacts);
      },
      changed: (key) => {
        this.countExposed();
        this.queue.add(key);
      },
    });
    const analysis = (w: AIWorkloadObject, input: { spec: AIWorkloadSpec; objects: GeneratedObject[]; audit: boolean }): ExposureResult => {
      const key = `${w.metadata.namespace ?? 'default'}/${w.metadata.name}`;
      this.exposure.update(key, { namespace: w.metadata.namespace ?? 'default', name: w.metadata.name, ...input });
      return this.exposure.result(key);
    };
    this.reconciler = new Reconciler({ view, writer, platform: opts.platform, clock: this.clock, logger: opts.logger, metrics: opts.metrics, analysis,
      ...(opts.keepMetadata === undefined ? {} : { keepMetadata: opts.keepMetadata }), identityRegistryNamespace: opts.identityRegistryNamespace,
      onApplied: (key, feeds) => this.feeds.written(key, feeds) });

    // --- event handlers: map to keys, enqueue, never block ------------------------------------
    const enqueue = (key: string | undefined): void => {
      if (key !== undefined) this.queue.add(key);
    };
    // bulkhead_segments{condition}: segments (components) of every AIWorkload by their conditions,
    // a running total updated as each AIWorkload (or its status) changes.
    const tally = new SegmentTally();
    const publish = (): void => {
      for (const [condition, n] of Object.entries(tally.counts())) opts.metrics.segments.set({ condition }, n);
    };
    const tallied = (w: StoredObject): void => {
      tally.set(objectKey(w), w as AIWorkloadObject);
      publish();
    };
    workloads.addEventHandler({
      onAdd: tallied,
      onUpdate: (_old, w) => tallied(w),
      onDelete: (w) => {
        tally.remove(objectKey(w));
        publish();
      },
    });
    // What an event may change of the exposure analysis: analysed again (coalesced) by the loop.
    wireExposureWatches({ pods: [pods], namespaces: [namespaces], networkpolicies: [managed.get('NetworkPolicy')].filter((i): i is AnyInformer => i !== undefined) }, index, this.exposure);
    const informersOf: Record<Watch['resource'], AnyInformer[]> = {
      aiworkloads: [workloads],
      managed: [...managed].filter(([kind]) => kind !== 'NetworkPolicy').map(([, inf]) => inf),
      networkpolicies: [managed.get('NetworkPolicy')].filter((i): i is AnyInformer => i !== undefined),
      pods: [pods],
      namespaces: [namespaces],
      endpointslices: [slices],
      bindings: bindingInformers,
    };
    wireWatches(informersOf, index, enqueue);
  }

  /** makeFeedController: the threat feed controller, reading ConfigMaps and HTTPS sources, writing status, Events and its cache. */
  private makeFeedController(rest: RestClient, limiter: RateLimiter, cluster: Pick<ConstructorParameters<typeof ThreatFeedController>[0], 'namespaceLabels' | 'workloads' | 'changed'>): ThreatFeedController {
    const { opts } = this;
    const sources: FeedSources = {
      getConfigMap: (ns, name) => getConfigMapData(rest, ns, name),
      watchConfigMap: (ns, name, onChange) => {
        const inf = new Informer<StoredObject>({
          transport: kubeListWatch(opts.kubeConfig, { group: '', version: 'v1', plural: 'configmaps', namespace: ns }, limiter),
          resource: `configmap ${ns}/${name}`,
          fieldSelector: `metadata.name=${name}`,
          clock: this.clock,
          logger: opts.logger,
          transform: withoutManagedFields,
        });
        inf.addEventHandler({ onAdd: onChange, onUpdate: onChange, onDelete: onChange });
        inf.start();
        return () => void inf.stop();
      },
      fetch: fetchFeed,
    };
    const store = createFeedStore(rest, { cacheNamespace: opts.identityRegistryNamespace, instance: this.identity, now: () => this.clock.now(), ...(opts.mayWrite !== undefined ? { mayWrite: opts.mayWrite } : {}) });
    return new ThreatFeedController({ clock: this.clock, logger: opts.logger.child({ controller: 'threatfeeds' }), metrics: opts.metrics.threatFeed, sources, store, allowedHosts: opts.threatFeedHosts ?? [], ...cluster });
  }

  /** Starts the feed controller and its periodic recount of covered segments. */
  private startFeeds(): void {
    this.feeds.start();
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const tick = (): void => {
      timer = this.clock.setTimeout(() => {
        void this.feeds.recount().finally(tick);
      }, FEED_RECOUNT_MS);
    };
    tick();
    this.stopRecount = () => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      this.stopRecount = undefined;
    };
  }

  private stopFeeds(): void {
    this.stopRecount?.();
    this.feeds.stop();
  }

  /** countExposed sets bulkhead_exposed_segments to the findings of every AIWorkload the exposure loop holds. */
  private countExposed(): void {
    this.opts.metrics.exposedSegments.set([...this.exposure.allResults().values()].reduce((a, r) => a + r.exposed.length, 0));
  }

  /** makeInformer makes and registers the informer of one resource; its list and watch set-up wait for the limiter. */
  private makeInformer(limiter: RateLimiter, what: { name: string; r: ResourceInfo; labelSelector?: string | undefined; namespace?: string | undefined; indexers?: Indexers | undefined }): Informer<StoredObject> {
    const { opts } = this;
    const { name, r, labelSelector, namespace, indexers } = what;
    const kc = opts.kubeConfig;
    const inf = new Informer<StoredObject>({
      transport: kubeListWatch(kc, { group: r.group, version: r.version, plural: r.plural, ...(namespace !== undefined ? { namespace } : {}) }, limiter),
      resource: name,
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      clock: this.clock,
      logger: opts.logger,
      ...(opts.quietTimeoutMs !== undefined ? { quietTimeoutMs: opts.quietTimeoutMs } : {}),
      onRestart: (reason, err) => {
        opts.metrics.watchRestarts.inc({ resource: name.split('@')[0] ?? name });
        if (reason === 'list-error' && !inf.hasSynced()) this.listFailed(name, err);
      },
      transform: r.kind === 'Pod' ? slimPod : r.kind === 'NetworkPolicy' ? slimNetworkPolicy : withoutManagedFields,
      ...(indexers !== undefined ? { indexers } : {}),
    });
    this.informers.set(name, inf);
    return inf;
  }

  cachesSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Informers that are not in touch with the API server right now (see Informer.connected). */
  disconnected(): string[] {
    return [...this.informers].filter(([, i]) => !i.connected()).map(([name]) => name);
  }

  /**
   * startServing opens the metrics and probe listeners, before anything else, so that a port in
   * use fails the start at once (a ListenError naming the address) with nothing else open.
   */
  async startServing(): Promise<void> {
    const ready = readinessCheck({
      cachesSynced: () => this.cachesSynced(),
      disconnected: () => this.disconnected(),
      working: () => this.workers !== undefined,
      ...(this.opts.election !== undefined ? { election: this.opts.election } : {}),
    });
    const { health, probes } = this.opts;
    const listeners: { at: { host: string; port: number }; endpoints: readonly Endpoint[] }[] = [];
    if (health !== undefined) listeners.push({ at: health, endpoints: probes !== undefined ? ['/metrics'] : ALL_ENDPOINTS });
    if (probes !== undefined) listeners.push({ at: probes, endpoints: ['/healthz', '/readyz'] });
    for (const { at, endpoints } of listeners) {
      const server = await startHealthServer({ host: at.host, port: at.port, registry: this.opts.metrics.registry, ready, endpoints });
      this.servers.push(server);
      this.opts.logger.info(`serving ${endpoints.join(', ')}`, { host: server.host, port: server.port });
    }
  }

  /**
   * startCaches starts the informers and resolves once every cache has synced. It rejects with a
   * StartupError when a list is refused before its first sync (missing CRD, no permission, bad
   * credentials: retrying will not help) or when the caches have not synced within
   * cacheSyncTimeoutMs.
   */
  async startCaches(): Promise<void> {
    const timeoutMs = this.opts.cacheSyncTimeoutMs ?? 120_000;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      this.failStartup = (message) => reject(new StartupError(message));
      timer = this.clock.setTimeout(() => {
        const unsynced = [...this.informers].filter(([, i]) => !i.hasSynced()).map(([name]) => name);
        reject(new StartupError(syncTimeout(timeoutMs / 1000, unsynced, this.listErrors)));
      }, timeoutMs);
    });
    for (const inf of this.informers.values()) inf.start();
    try {
      await Promise.race([Promise.all([...this.informers.values()].map((i) => i.waitForSync())), failed]);
    } finally {
      this.failStartup = undefined;
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
    this.opts.logger.info('informer caches synced');
  }

  /** listFailed notes a list error before the first sync; one retrying will not clear ends the start. */
  private listFailed(resource: string, err: unknown): void {
    this.listErrors.set(resource, err instanceof Error ? err.message : String(err));
    // `pods@team-a`: the resource is what the message names, the namespace where it was refused.
    const [kind = resource, namespace] = resource.split('@');
    const message = listFailure(kind, err, namespace);
    if (message !== undefined) this.failStartup?.(message);
  }

  /** The bound port of the metrics listener. */
  get healthPort(): number | undefined {
    return this.opts.health !== undefined ? this.servers[0]?.port : undefined;
  }

  /** Runs the workers (call once leading, or at once without election). */
  startWorkers(): void {
    if (this.workers !== undefined) return;
    this.startFeeds();
    const workloads = this.informers.get('aiworkloads');
    for (const key of workloads?.listKeys() ?? []) this.queue.add(key);
    this.stopResync = this.queue.resyncEvery(this.opts.resyncMs ?? 600_000, () => workloads?.listKeys() ?? []);
    this.workers = this.queue.runWorkers(
      this.opts.workers ?? 2,
      async (key) => {
        const started = this.clock.now();
        try {
          const outcome = await this.reconciler.reconcile(key, this.queue.numRequeues(key));
          observeReconcile(this.opts.metrics, resultLabel(outcome), (this.clock.now() - started) / 1000);
          return queueResult(outcome);
        } catch (err) {
          // Not an outcome: the status could not be written, or this replica stopped leading.
          observeReconcile(this.opts.metrics, 'error', (this.clock.now() - started) / 1000);
          throw err;
        }
      },
      { onError: (key, err) => this.opts.logger.warn('reconcile failed; retrying with backoff', { workload: key, error: err instanceof Error ? err.message : String(err) }) },
    );
  }

  /** True when no reconcile is queued or running and the exposure loop has nothing to analyse (benchmarks, tests). */
  idle(): boolean {
    return this.queue.len() === 0 && this.queue.inFlight() === 0 && this.exposure.idle();
  }

  /** Resyncs every AIWorkload now (used by tests and on leadership changes). */
  resyncAll(): void {
    for (const key of this.informers.get('aiworkloads')?.listKeys() ?? []) this.queue.add(key);
  }

  /** Stops handing out keys at once (leadership lost): queued work is dropped, nothing new starts. */
  stopWorkers(): void {
    this.stopResync?.();
    this.stopFeeds();
    this.queue.shutDown();
  }

  /** Drains in-flight reconciles, stops watches and the health server. */
  async stop(): Promise<void> {
    this.stopResync?.();
    await this.queue.shutDownWithDrain();
    await this.workers;
    await this.exposure.stop();
    this.stopFeeds();
    // Events queued by the last reconciles (sent in the background) go out before the watches stop.
    await this.writer.flush?.();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await Promise.all(this.servers.map((s) => s.close()));
  }
}
