/**
 * A supervised informer: a reflector (list, then watch from the list's resourceVersion) feeding an
 * in-memory store, with the supervision that client-node's `makeInformer` lacks:
 *
 * - the watch uses the list's label/field selectors and asks for bookmarks;
 * - 410 Gone (expired resourceVersion), as an HTTP status or an ERROR event, relists; the relist is
 *   diffed against the store and emits adds, updates (resourceVersion changed) and synthetic
 *   deletes for objects that vanished meanwhile;
 * - any other error, and a clean close, restart the watch after a capped, jittered exponential
 *   backoff (never a tight loop); after `maxWatchFailures` consecutive failures it relists;
 * - a watch that delivers no event and no bookmark for `quietTimeoutMs` is aborted and relisted
 *   (catches half-open connections);
 * - `stop()` resolves only after the watch's transport reported it closed.
 *
 * Time and randomness are injected; the API is reached through {@link ListWatchTransport}, so
 * tests drive the informer with fakes and integration tests use {@link kubeListWatch}.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from './kubeconfig.js';
import { type Clock, realClock, type TimerHandle } from './clock.js';
import type { Logger } from '../observe/logger.js';
import { classifyError } from './rest.js';
import { watchStream } from './watch.js';
import { type RateLimiter, UNLIMITED } from './rate-limit.js';
import type { KubeObject } from '../api/kubernetes.js';


// ---------------------------------------------------------------------------------------------
// Transport

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size. */
  limit?: number;
  continueToken?: string;
  signal?: AbortSignal;
}

export interface ListPage<T> {
  items: T[];
  /** The list's resourceVersion (set on every page; the last page's is the one to watch from). */
  resourceVersion: string;
  /** Set when more pages follow. */
  continueToken?: string;
}

export interface WatchOptions {
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks: boolean;
  /** Server-side timeout; the server closes the watch cleanly after it. */
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** The object; for ERROR a metav1.Status (e.g. `{code: 410, reason: 'Expired'}`). */
  object: T | WatchStatus;
}

export interface WatchStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

export interface WatchHandle {
  /** stop aborts the watch; onDone still follows (exactly once). */
  stop(): void;
}

/**
 * ListWatchTransport is how the informer reaches one resource collection.
 *
 * Contract of `watch`: `onEvent` is called for each event in order; `onDone` is called exactly
 * once when the stream ends for any reason: undefined for a clean close, otherwise the error (with
 * `statusCode` or `code` 410 for Gone). After `stop()` no more events are delivered and `onDone`
 * follows once the connection is closed. If the returned promise rejects, `onDone` is not called.
 */
export interface ListWatchTransport<T> {
  list(opts: ListOptions): Promise<ListPage<T>>;
  watch(
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

/** ResourceRef names a collection: the core group is `group: ''`. */
export interface ResourceRef {
  group: string;
  version: string;
  /** The plural resource name, e.g. `aiworkloads`, `pods`. */
  plural: string;
  /** Limit to one namespace; omit for all namespaces (or cluster-scoped kinds). */
  namespace?: string;
}

/** collectionPath is the API path of a resource collection. */
export function collectionPath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  return `${base}${ns}/${ref.plural}`;
}

/** HttpStatusError is a non-2xx answer from the API server. */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`HTTP ${statusCode}: ${body.slice(0, 200)}`);
    this.name = 'HttpStatusError';
  }
}

async function getJson(kc: KubeConfig, url: URL, signal?: AbortSignal): Promise<unknown> {
  const opts: https.RequestOptions = {};
  // applyToHTTPSOptions fills in the agent (TLS material) and auth headers for node:http(s).
  await kc.applyToHTTPSOptions(opts);
  const lib = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      { ...opts, method: 'GET', headers: { ...opts.headers, accept: 'application/json' }, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            reject(new HttpStatusError(status, body));
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface RawList<T> {
  apiVersion?: string;
  kind?: string;
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * listItems returns a list's items with apiVersion and kind, which the API server leaves out of
 * the items of built-in kinds (`ServiceAccountList` items have neither) but sends on every watch
 * event. Without them an object read by a list never equals the object the operator would apply,
 * so a restarted operator re-applied everything once and called it drift.
 */
export function listItems<T extends KubeObject>(raw: RawList<T>): T[] {
  const kind = raw.kind?.endsWith('List') === true ? raw.kind.slice(0, -'List'.length) : undefined;
  return (raw.items ?? []).map((o) => ({ ...(raw.apiVersion !== undefined ? { apiVersion: raw.apiVersion } : {}), ...(kind !== undefined ? { kind } : {}), ...o }));
}

/** The list options sent as query parameters, and the parameter each one becomes. */
const LIST_PARAMS = [
  ['labelSelector', 'labelSelector'],
  ['fieldSelector', 'fieldSelector'],
  ['limit', 'limit'],
  ['continueToken', 'continue'],
] as const;

function listUrl(server: string, path: string, opts: ListOptions): URL {
  const url = new URL(server.replace(/\/$/, '') + path);
  for (const [option, param] of LIST_PARAMS) {
    const value = opts[option];
    // Unset, empty and zero all mean "not asked for" (limit 0 is no limit).
    if (value) url.searchParams.set(param, String(value));
  }
  return url;
}

/**
 * kubeListWatch is the real transport: lists with a plain GET (raw JSON, so listed and watched
 * objects have the same shape) using the kubeconfig's TLS and auth, and watches with
 * {@link watchStream} over the same transport (not client-node's `Watch`, which in 2.x ends any
 * stream quiet for 30 s).
 */
/** kubeListWatch lists and watches over the kubeconfig; each list page and each watch set-up waits for `limiter` first. */
export function kubeListWatch<T extends KubeObject>(kc: KubeConfig, ref: ResourceRef, limiter: RateLimiter = UNLIMITED): ListWatchTransport<T> {
  const path = collectionPath(ref);
  return {
    async list(opts: ListOptions): Promise<ListPage<T>> {
      const server = kc.getCurrentCluster()?.server;
      if (!server) throw new Error('kubeconfig has no current cluster');
      await limiter.take(opts.signal);
      const raw = (await getJson(kc, listUrl(server, path, opts), opts.signal)) as RawList<T>;
      const page: ListPage<T> = { items: listItems(raw), resourceVersion: raw.metadata?.resourceVersion ?? '' };
      if (raw.metadata?.continue) page.continueToken = raw.metadata.continue;
      return page;
    },
    async watch(opts, onEvent, onDone): Promise<WatchHandle> {
      await limiter.take();
      const query: Record<string, string | number | boolean | undefined> = {
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
      };
      return watchStream(
        kc,
        path,
        { query },
        (type, obj) => onEvent({ type: type as WatchEventType, object: obj as T | WatchStatus }),
        onDone,
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

export interface BackoffOptions {
  /** @default 800 ms (client-go's reflector) */
  initialMs?: number;
  /** @default 30 s */
  maxMs?: number;
  /** Fraction of the delay that is randomised away: the delay is in [d*(1-jitter), d]. @default 0.5 */
  jitter?: number;
}

/** backoffDelay is the wait before retry number attempt (1-based): capped, jittered doubling. */
export function backoffDelay(attempt: number, random: () => number, opts: BackoffOptions = {}): number {
  const initial = opts.initialMs ?? 800;
  const max = opts.maxMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const d = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(d * (1 - jitter * random()));
}

/** objectKey is `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKey). */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export interface RelistDiff<T> {
  added: T[];
  updated: Array<{ old: T; new: T }>;
  deleted: T[];
}

/**
 * diffRelist compares the store with a fresh list: new keys are adds, keys whose resourceVersion
 * changed are updates, keys missing from the list are deletes (their last known state).
 */
export function diffRelist<T extends KubeObject>(current: ReadonlyMap<string, T>, listed: readonly T[]): RelistDiff<T> {
  const diff: RelistDiff<T> = { added: [], updated: [], deleted: [] };
  const seen = new Set<string>();
  for (const obj of listed) {
    const key = objectKey(obj);
    seen.add(key);
    const old = current.get(key);
    if (!old) diff.added.push(obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) diff.updated.push({ old, new: obj });
  }
  for (const [key, old] of current) if (!seen.has(key)) diff.deleted.push(old);
  return diff;
}

/** isGone tells whether an error or ERROR status means the resourceVersion expired (HTTP 410). */
export function isGone(err: unknown): boolean {
  if (classifyError(err) === 'gone') return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { statusCode?: unknown; code?: unknown; reason?: unknown };
  return e.statusCode === 410 || e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone';
}

// ---------------------------------------------------------------------------------------------
// Informer

/**
 * EventHandlers receive store changes. They are called synchronously from the informer's event
 * processing and MUST NOT block or do I/O: compute a key and enqueue it, nothing more. A handler
 * that throws is logged and ignored.
 */
export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export type RestartReason = 'gone' | 'quiet' | 'error' | 'closed' | 'list-error' | 'too-many-failures';

export interface InformerOptions<T> {
  transport: ListWatchTransport<T>;
  /** Name for logs and the restarts metric, e.g. `aiworkloads`. */
  resource: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  /** Random source in [0, 1) for backoff jitter and watch timeouts. @default Math.random */
  random?: () => number;
  logger?: Logger;
  /** Abort and relist when nothing (not even a bookmark) arrives for this long. @default 300 000 */
  quietTimeoutMs?: number;
  /**
   * Server-side watch timeout. @default a random value in [0.8, 0.9) of quietTimeoutMs, so a
   * healthy watch is closed by the server (then restarted) before the quiet timeout fires.
   */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  /** Relist after this many consecutive failed watches. @default 5 */
  maxWatchFailures?: number;
  /** A watch that lived at least this long resets the failure count. @default 30 000 */
  healthyWatchMs?: number;
  /** List page size. @default 500 */
  pageSize?: number;
  /** Extra indexes: name → function returning the index values of an object. */
  indexers?: Record<string, (obj: T) => string[]>;
  /** Called on every restart or relist after the first list (wire to bulkhead_watch_restarts_total). */
  onRestart?: (reason: RestartReason, err?: unknown) => void;
  /**
   * Applied to every object before it is cached or handed to a handler (client-go's
   * TransformFunc): drop what no reader needs, so a cluster's pods cost less memory. Must keep
   * metadata.name, namespace and resourceVersion, and be pure.
   */
  transform?: (obj: T) => T;
}

type WatchOutcome = { kind: 'gone' } | { kind: 'quiet' } | { kind: 'closed' } | { kind: 'stopped' } | { kind: 'error'; err: unknown };

const NAMESPACE_INDEX = '__namespace';

/** Informer keeps a synced cache of one resource collection. See the file comment. */
export class Informer<T extends KubeObject> {
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly store = new Map<string, T>();
  private readonly indexers: Record<string, (obj: T) => string[]>;
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: Array<EventHandlers<T>> = [];
  private readonly stopController = new AbortController();
  private resourceVersion = '';
  private synced = false;
  private connectedNow = false;
  private syncWaiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private currentWatch: { abort: (o: WatchOutcome) => void } | undefined;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.indexers = {
      ...opts.indexers,
      [NAMESPACE_INDEX]: (o: T): string[] => (o.metadata?.namespace ? [o.metadata.namespace] : []),
    };
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  /** addEventHandler registers handlers; register before `start()` to see the initial adds. */
  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
  }

  /** start begins list+watch in the background; calling it twice is a no-op. */
  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      this.opts.logger?.error('informer loop crashed', { resource: this.opts.resource, err: String(err) });
    });
  }

  /** stop ends the informer; resolves once no watch or timer of it remains open. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.currentWatch?.abort({ kind: 'stopped' });
    await this.running;
    for (const w of this.syncWaiters) w();
    this.syncWaiters = [];
  }

  /** hasSynced is true once the first full list has been stored. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** waitForSync resolves when synced (or when the informer is stopped before that). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopController.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * connected is true while the informer is in touch with the API server: its last list succeeded
   * or a watch is open, and no list or watch has failed with an error since. A watch the server
   * closed cleanly, or ended with 410, does not count as a failure (it is reopened or relisted at
   * once). Readiness uses it: a replica that cannot reach its API server is not ready.
   */
  connected(): boolean {
    return this.connectedNow;
  }

  /** lastResourceVersion is the newest resourceVersion seen (for tests and diagnostics). */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  listKeys(): string[] {
    return [...this.store.keys()];
  }

  listByNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  /** byIndex returns the objects whose indexer `name` produced `value`. */
  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.store.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  // -- loop ------------------------------------------------------------------------------------

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let listFailures = 0;
    while (!this.stopped) {
      try {
        await this.relist();
        listFailures = 0;
      } catch (err) {
        if (this.stopped) return;
        this.connectedNow = false;
        listFailures++;
        this.opts.onRestart?.('list-error', err);
        this.opts.logger?.warn('list failed', { resource: this.opts.resource, err: String(err) });
        await this.clock.sleep(backoffDelay(listFailures, this.random, this.opts.backoff), this.stopController.signal);
        continue;
      }
      await this.watchUntilRelist();
    }
  }

  /** watchUntilRelist runs watches until one needs a relist, or the informer stops. */
  private async watchUntilRelist(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const started = this.clock.now();
      const outcome = await this.watchOnce();
      if (outcome.kind === 'stopped' || this.stopped) return;
      this.noteWatchEnded(outcome);
      if (outcome.kind === 'gone' || outcome.kind === 'quiet') {
        this.opts.onRestart?.(outcome.kind);
        return;
      }
      failures = this.failuresInARow(failures, started);
      if (await this.backOff(outcome, failures)) return;
    }
  }

  private noteWatchEnded(outcome: Exclude<WatchOutcome, { kind: 'stopped' }>): void {
    if (outcome.kind === 'error') this.connectedNow = false;
    this.opts.logger?.info('watch ended', { resource: this.opts.resource, reason: outcome.kind, err: outcome.kind === 'error' ? String(outcome.err) : undefined });
  }

  /** A watch that lived at least healthyWatchMs starts the count of failures in a row afresh. */
  private failuresInARow(failures: number, started: number): number {
    return this.clock.now() - started >= (this.opts.healthyWatchMs ?? 30_000) ? 1 : failures + 1;
  }

  /**
   * backOff reports the restart and waits before the next watch; it returns true when watches
   * failed more than maxWatchFailures times in a row, and the informer should relist instead.
   */
  private async backOff(outcome: { kind: 'closed' } | { kind: 'error'; err: unknown }, failures: number): Promise<boolean> {
    const relist = failures > (this.opts.maxWatchFailures ?? 5);
    this.opts.onRestart?.(relist ? 'too-many-failures' : outcome.kind, outcome.kind === 'error' ? outcome.err : undefined);
    await this.clock.sleep(backoffDelay(failures, this.random, this.opts.backoff), this.stopController.signal);
    return relist;
  }

  private async listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const opts: ListOptions = { limit: this.opts.pageSize ?? 500, signal: this.stopController.signal };
      if (this.opts.labelSelector) opts.labelSelector = this.opts.labelSelector;
      if (this.opts.fieldSelector) opts.fieldSelector = this.opts.fieldSelector;
      if (continueToken) opts.continueToken = continueToken;
      const page = await this.opts.transport.list(opts);
      items.push(...page.items.map((o) => this.transformed(o)));
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken && !this.stopped);
    return { items, resourceVersion };
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.listAll();
    if (this.stopped) return;
    const diff = diffRelist(this.store, items);
    this.resourceVersion = resourceVersion;
    this.connectedNow = true;
    for (const o of diff.added) this.put(o);
    for (const u of diff.updated) this.put(u.new);
    for (const o of diff.deleted) this.remove(objectKey(o));
    // Store first, then notify, so handlers that read the cache see the whole new list.
    for (const o of diff.added) this.emit((h) => h.onAdd?.(o));
    for (const u of diff.updated) this.emit((h) => h.onUpdate?.(u.old, u.new));
    for (const o of diff.deleted) this.emit((h) => h.onDelete?.(o));
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
  }

  private watchTimeoutSeconds(): number {
    if (this.opts.watchTimeoutSeconds !== undefined) return this.opts.watchTimeoutSeconds;
    const quiet = this.opts.quietTimeoutMs ?? 300_000;
    return Math.max(1, Math.floor((quiet / 1000) * (0.8 + 0.1 * this.random())));
  }

  /** watchOnce opens one watch and resolves when it has ended and its transport reported done. */
  private watchOnce(): Promise<WatchOutcome> {
    const quietMs = this.opts.quietTimeoutMs ?? 300_000;
    return new Promise<WatchOutcome>((resolve) => {
      let decided: WatchOutcome | undefined;
      let handle: WatchHandle | undefined;
      let ended = false;
      let quietTimer: TimerHandle | undefined;
      const armQuiet = (): void => {
        if (quietTimer) this.clock.clearTimeout(quietTimer);
        quietTimer = this.clock.setTimeout(() => abort({ kind: 'quiet' }), quietMs);
      };
      const finish = (outcome: WatchOutcome): void => {
        if (ended) return;
        ended = true;
        if (quietTimer) this.clock.clearTimeout(quietTimer);
        if (this.currentWatch === current) this.currentWatch = undefined;
        resolve(outcome);
      };
      const abort = (outcome: WatchOutcome): void => {
        decided ??= outcome;
        if (quietTimer) this.clock.clearTimeout(quietTimer);
        handle?.stop(); // if the handle is not here yet, it is stopped on arrival
      };
      const current = { abort };
      this.currentWatch = current;
      const onEvent = (ev: WatchEvent<T>): void => {
        if (decided || ended) return;
        armQuiet();
        const outcome = this.handleEvent(ev);
        if (outcome) abort(outcome);
      };
      const onDone = (err?: unknown): void => {
        if (decided) finish(decided);
        else if (err === undefined || err === null) finish({ kind: 'closed' });
        else finish(isGone(err) ? { kind: 'gone' } : { kind: 'error', err });
      };
      if (this.stopped) {
        finish({ kind: 'stopped' });
        return;
      }
      armQuiet();
      const wopts: WatchOptions = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds(),
      };
      if (this.opts.labelSelector) wopts.labelSelector = this.opts.labelSelector;
      if (this.opts.fieldSelector) wopts.fieldSelector = this.opts.fieldSelector;
      this.opts.transport.watch(wopts, onEvent, onDone).then(
        (h) => {
          handle = h;
          // The transport resolves once the server answered the watch (or after onDone on failure).
          if (!ended) this.connectedNow = true;
          if (decided && !ended) h.stop();
        },
        (err: unknown) => finish(decided ?? (isGone(err) ? { kind: 'gone' } : { kind: 'error', err })),
      );
    });
  }

  /** handleEvent applies one watch event; returns an outcome when the watch must end. */
  private handleEvent(ev: WatchEvent<T>): WatchOutcome | undefined {
    if (ev.type === 'ERROR') {
      const status = ev.object as WatchStatus;
      return isGone(status) ? { kind: 'gone' } : { kind: 'error', err: new Error(`watch error: ${status.message ?? JSON.stringify(status)}`) };
    }
    const rv = (ev.object as T).metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (ev.type === 'BOOKMARK') return undefined;
    const obj = this.transformed(ev.object as T);
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (ev.type === 'DELETED') {
      if (!old) return undefined;
      this.remove(key);
      this.emit((h) => h.onDelete?.(obj));
    } else if (old) {
      this.put(obj);
      this.emit((h) => h.onUpdate?.(old, obj));
    } else {
      this.put(obj);
      this.emit((h) => h.onAdd?.(obj));
    }
    return undefined;
  }

  private transformed(obj: T): T {
    return this.opts.transform === undefined ? obj : this.opts.transform(obj);
  }

  // -- store -----------------------------------------------------------------------------------

  private put(obj: T): void {
    const key = objectKey(obj);
    this.remove(key);
    this.store.set(key, obj);
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indexes.get(name);
      if (!index) continue;
      for (const v of fn(obj)) {
        let set = index.get(v);
        if (!set) index.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }

  private remove(key: string): void {
    const old = this.store.get(key);
    if (!old) return;
    this.store.delete(key);
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indexes.get(name);
      if (!index) continue;
      for (const v of fn(old)) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
    }
  }

  private emit(call: (h: EventHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.opts.logger?.error('informer event handler threw', { resource: this.opts.resource, err: String(err) });
      }
    }
  }
}
