// The feed controller: reads every ThreatFeed's source (inline, a ConfigMap key, an HTTPS URL on a
// timer), keeps the last good set of each, and tells the reconciler which sets cover a namespace.
//
// It never fails open:
// - a read that fails (source gone, forbidden, fetch failure, a document that is cut short or of
//   which no line could be read) keeps the last good set in force, and says so in the feed's status
//   with its age; only an accepted read replaces it;
// - the last good set of each feed is also kept in a ConfigMap of the operator's namespace (the
//   cache), so that an operator that restarts while a source is down still has it;
// - until a feed has been read once since the operator started, the AIWorkloads in its scope are
//   not written (FeedsForNamespace.pending): writing them without it would drop its networks.
// Only the leader runs it (start, stop), as only the leader reconciles.
import { createHash } from 'node:crypto';
import { type Cidr, formatCidr, parseCidr } from '../api/cidr.js';
import type { Labels, StoredObject } from '../api/kubernetes.js';
import type { LabelSelector } from '../api/schema.js';
import { type ThreatFeedSpec, type ThreatFeedStatus, threatFeedSpecSchema } from '../api/threatfeed.js';
import { selectorMatches } from '../analysis/selectors.js';
import type { FeedsInForce } from '../compile/facts.js';
import type { Logger } from '../observe/logger.js';
import { type ThreatFeedMetrics, forgetThreatFeed } from '../observe/metrics.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { FetchFeedOptions, FetchFeedResult } from '../threatfeed/fetch.js';
import { BlockedSet } from '../threatfeed/merge.js';
import type { ParsedFeed } from '../threatfeed/formats.js';
import { type FeedSummary, feedSummary, readFeed } from '../threatfeed/read.js';
import { jsonEqual } from './status.js';
import { type FeedFailure, type FeedInForce, feedStatus } from './threatfeed-status.js';

/** What the reconciler learns of the feeds that cover one namespace. */
export interface FeedsForNamespace {
  /** The sets in force, merged; undefined when no feed in scope has one. */
  inForce?: FeedsInForce | undefined;
  /** Each feed in force, with the digest of its set. */
  digests: { name: string; digest?: string }[];
  /** A message for each feed in scope that has no set in force. */
  unavailable: string[];
  /** Feeds in scope not read yet since the operator started: do not write (see the header). */
  pending: string[];
}

export interface ThreatFeedObject extends StoredObject {
  spec?: unknown;
  status?: ThreatFeedStatus;
}

/** The last good set of a feed as the cache ConfigMap keeps it. */
export interface CachedSet {
  /** The ThreatFeed it belongs to: a feed deleted and created again does not inherit it. */
  uid: string;
  networks: string[];
  summary: FeedSummary;
  sourceDigest: string;
  syncedAt: number;
}

/** Where sources are read from. Errors thrown carry the API server's words. */
export interface FeedSources {
  /** A ConfigMap's data; undefined when it does not exist. */
  getConfigMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Calls onChange whenever the ConfigMap changes; returns the function that stops watching. */
  watchConfigMap(namespace: string, name: string, onChange: () => void): () => void;
  fetch(opts: FetchFeedOptions): Promise<FetchFeedResult>;
}

/** What the controller writes. */
export interface FeedStore {
  writeStatus(name: string, status: ThreatFeedStatus): Promise<void>;
  event(feed: ThreatFeedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  readCache(feed: string): Promise<CachedSet | undefined>;
  writeCache(feed: ThreatFeedObject, set: CachedSet): Promise<void>;
}

export interface ThreatFeedControllerDeps {
  clock: Clock;
  logger: Logger;
  metrics: ThreatFeedMetrics;
  sources: FeedSources;
  store: FeedStore;
  /** Hosts an HTTPS feed may be fetched from (--threatfeed-hosts). */
  allowedHosts: readonly string[];
  namespaceLabels(namespace: string): Labels | undefined;
  /** `namespace/name` and segment count of every AIWorkload. */
  workloads(): { key: string; namespace: string; segments: number }[];
  /** The sets in force changed for the AIWorkloads of these namespaces: reconcile them. */
  changed(inScope: (namespace: string) => boolean): void;
}

/** After a failed fetch, the next try comes sooner than the refresh period: 30 s, doubling. */
const RETRY_MS = { first: 30_000, max: 15 * 60_000 };

type SourceRead =
  | { kind: 'document'; document: string; inline?: readonly string[]; validators?: Validators }
  | { kind: 'notModified' }
  | { kind: 'failed'; failure: FeedFailure };

interface Validators {
  url: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
}

type InForceSet = FeedInForce & { blocked: BlockedSet };
interface InForceFeed {
  name: string;
  inForce: InForceSet;
}

interface FeedState {
  obj: ThreatFeedObject;
  spec?: ThreatFeedSpec | undefined;
  invalid?: string | undefined;
  /** The set in force and how it was read. */
  inForce?: (FeedInForce & { blocked: BlockedSet }) | undefined;
  failure?: FeedFailure | undefined;
  /** Read at least once since the operator started (successfully or not). */
  attempted: boolean;
  cacheTried: boolean;
  validators?: Validators | undefined;
  retries: number;
  timer?: TimerHandle | undefined;
  running: boolean;
  again: boolean;
  /** The status last written, to write only changes. */
  written?: ThreatFeedStatus | undefined;
  /** The rejections last announced by an Event. */
  announced?: string | undefined;
  watched: string[];
}

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The scope of a feed as a predicate on namespaces (an invalid spec covers none). */
export function scopeOf(spec: ThreatFeedSpec | undefined, labelsOf: (ns: string) => Labels | undefined): (ns: string) => boolean {
  const selector: LabelSelector | undefined = spec?.scope?.namespaceSelector;
  if (spec === undefined) return () => false;
  if (selector === undefined) return () => true;
  return (ns) => selectorMatches(selector, labelsOf(ns) ?? {});
}

/**
 * Set or change this annotation (any value, a time say) to read the source now instead of at the
 * next refresh: `kubectl annotate threatfeed NAME bulkhead.dev/refresh-requested="$(date +%s)" --overwrite`.
 */
export const ANNOTATION_REFRESH = 'bulkhead.dev/refresh-requested';

const refreshAsked = (old: ThreatFeedObject, obj: ThreatFeedObject): boolean =>
  obj.metadata.annotations?.[ANNOTATION_REFRESH] !== undefined && obj.metadata.annotations[ANNOTATION_REFRESH] !== old.metadata.annotations?.[ANNOTATION_REFRESH];

/** The ConfigMaps a spec reads: its source and its CA bundle. */
function configMapsOf(spec: ThreatFeedSpec | undefined): string[] {
  const refs = [spec?.source.configMap, spec?.source.https?.caConfigMap].filter((r) => r !== undefined);
  return refs.map((r) => `${r.namespace}/${r.name}`);
}

export class ThreatFeedController {
  private readonly feeds = new Map<string, FeedState>();
  /** Merged sets by the names and digests of the feeds that make them up. */
  private readonly merged = new Map<string, BlockedSet>();
  /** Watched ConfigMaps: the stop function and the feeds that read each. */
  private readonly watches = new Map<string, { stop: () => void; feeds: Set<string> }>();
  /** Per feed: the digest being propagated, since when, and the AIWorkloads not yet written with it. */
  private readonly propagating = new Map<string, { digest: string; since: number; keys: Set<string> }>();
  private started = false;
  private readonly abort = new AbortController();

  constructor(private readonly deps: ThreatFeedControllerDeps) {}

  /** A ThreatFeed was added or changed (the informer's add and update). */
  upsert(obj: ThreatFeedObject): void {
    const name = obj.metadata.name;
    const known = this.feeds.get(name);
    if (known !== undefined && known.obj.metadata.uid !== obj.metadata.uid) this.remove(known.obj);
    const st = this.feeds.get(name);
    if (st !== undefined && st.obj.metadata.generation === obj.metadata.generation) return this.touched(st, obj);
    const next = st ?? { obj, attempted: false, cacheTried: false, retries: 0, running: false, again: false, watched: [] };
    const before = st === undefined ? undefined : { inScope: this.inScope(st), scope: JSON.stringify(st.spec?.scope) };
    this.respec(next, obj);
    this.feeds.set(name, next);
    this.rewatch(name, next);
    if (!this.started) return;
    this.syncSoon(name, 0);
    if (before !== undefined) this.rescoped(next, before);
  }

  /** The same generation: a status update (ours) or metadata. Nothing to read again, unless a read is asked for. */
  private touched(st: FeedState, obj: ThreatFeedObject): void {
    const asked = refreshAsked(st.obj, obj);
    st.obj = obj;
    if (asked && this.started) this.syncSoon(obj.metadata.name, 0);
  }

  /** A new scope: the set in force leaves the namespaces it no longer covers and reaches the new ones. */
  private rescoped(st: FeedState, before: { inScope: (ns: string) => boolean; scope: string }): void {
    if (st.inForce === undefined || JSON.stringify(st.spec?.scope) === before.scope) return;
    const after = this.inScope(st);
    this.merged.clear();
    this.deps.changed((ns) => before.inScope(ns) || after(ns));
  }

  /** A new generation of the spec: validated, and validators of another URL forgotten. */
  private respec(st: FeedState, obj: ThreatFeedObject): void {
    const parsed = threatFeedSpecSchema.safeParse(obj.spec);
    st.obj = obj;
    st.spec = parsed.success ? parsed.data : undefined;
    st.invalid = parsed.success ? undefined : `spec is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    st.retries = 0;
    if (st.validators?.url !== st.spec?.source.https?.url) st.validators = undefined;
  }

  /** A ThreatFeed was deleted: its set leaves every segment it covered. */
  remove(obj: ThreatFeedObject): void {
    const name = obj.metadata.name;
    const st = this.feeds.get(name);
    if (st === undefined) return;
    if (st.timer !== undefined) this.deps.clock.clearTimeout(st.timer);
    const inScope = this.inScope(st);
    this.feeds.delete(name);
    this.rewatch(name, undefined);
    this.propagating.delete(name);
    this.merged.clear();
    forgetThreatFeed(this.deps.metrics, name);
    if (this.started) this.deps.changed(inScope);
  }

  /** Starts reading every source (on becoming leader). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const name of this.feeds.keys()) this.syncSoon(name, 0);
  }

  /** Stops timers and fetches (leadership lost, shutdown). What was read stays known. */
  stop(): void {
    this.started = false;
    this.abort.abort();
    for (const st of this.feeds.values()) if (st.timer !== undefined) this.deps.clock.clearTimeout(st.timer);
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
  }

  /** The feeds whose scope covers the namespace, merged, for the reconciler. */
  forNamespace(namespace: string): FeedsForNamespace {
    const out: FeedsForNamespace = { digests: [], unavailable: [], pending: [] };
    const sets: InForceFeed[] = [];
    for (const [name, st] of [...this.feeds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // An invalid spec's scope is unknown: it counts as covering everything (and has no set).
      if (st.invalid === undefined && !this.inScope(st)(namespace)) continue;
      if (st.inForce !== undefined) sets.push({ name, inForce: st.inForce });
      else this.notInForce(name, st, out);
    }
    if (sets.length === 0) return out;
    out.digests = sets.map(({ name, inForce }) => ({ name, digest: inForce.summary.digest }));
    out.inForce = { names: sets.map((s) => s.name), blocked: this.mergedSet(sets) };
    return out;
  }

  /** A feed in scope without a set: pending until its first read, then unavailable. */
  private notInForce(name: string, st: FeedState, out: FeedsForNamespace): void {
    if (!st.attempted && st.invalid === undefined) out.pending.push(name);
    else out.unavailable.push(`ThreatFeed ${name} has no set in force: ${st.invalid ?? st.failure?.message ?? 'not read yet'}`);
  }

  private inScope(st: FeedState): (namespace: string) => boolean {
    return scopeOf(st.spec, (ns) => this.deps.namespaceLabels(ns));
  }

  /** An AIWorkload was written with these sets: the end of a propagation when it was the last. */
  written(key: string, digests: readonly { name: string; digest?: string }[]): void {
    for (const { name, digest } of digests) {
      const p = this.propagating.get(name);
      if (p === undefined || p.digest !== digest || !p.keys.delete(key) || p.keys.size > 0) continue;
      this.deps.metrics.propagation.observe({ feed: name }, (this.deps.clock.now() - p.since) / 1000);
      this.propagating.delete(name);
    }
  }

  /** An AIWorkload is gone: it will never be written with any set. */
  forgetWorkload(key: string): void {
    for (const name of [...this.propagating.keys()]) this.written(key, [{ name, digest: this.propagating.get(name)?.digest ?? '' }]);
  }

  /** Recounts the segments each feed covers, writing the status of those whose count changed. */
  async recount(): Promise<void> {
    for (const [name, st] of this.feeds) {
      const covered = this.segmentsCovered(st);
      this.deps.metrics.segmentsCovered.set({ feed: name }, covered);
      if (this.started && st.attempted && st.written !== undefined && st.written.segmentsCovered !== covered) await this.writeStatus(st);
    }
  }

  private mergedSet(sets: readonly InForceFeed[]): BlockedSet {
    const only = sets[0];
    if (sets.length === 1 && only !== undefined) return only.inForce.blocked;
    const key = sets.map((s) => `${s.name}@${s.inForce.summary.digest}`).join(',');
    let set = this.merged.get(key);
    if (set === undefined) {
      set = new BlockedSet(sets.flatMap((s) => s.inForce.blocked.cidrs));
      this.merged.set(key, set);
    }
    return set;
  }

  /** Watches exactly the ConfigMaps the feed's spec reads. */
  private rewatch(name: string, st: FeedState | undefined): void {
    const wanted = configMapsOf(st?.spec);
    for (const [ref, w] of this.watches) if (!wanted.includes(ref)) this.unwatch(ref, w, name);
    for (const ref of wanted) this.watch(ref, name);
    if (st !== undefined) st.watched = wanted;
  }

  private unwatch(ref: string, w: { stop: () => void; feeds: Set<string> }, feed: string): void {
    if (!w.feeds.delete(feed) || w.feeds.size > 0) return;
    w.stop();
    this.watches.delete(ref);
  }

  private watch(ref: string, feed: string): void {
    const w = this.watches.get(ref);
    if (w !== undefined) {
      w.feeds.add(feed);
      return;
    }
    const [namespace = '', cm = ''] = ref.split('/');
    const stop = this.deps.sources.watchConfigMap(namespace, cm, () => this.configMapChanged(ref));
    this.watches.set(ref, { stop, feeds: new Set([feed]) });
  }

  private configMapChanged(ref: string): void {
    for (const name of this.watches.get(ref)?.feeds ?? []) if (this.started) this.syncSoon(name, 0);
  }

  private syncSoon(name: string, ms: number): void {
    const st = this.feeds.get(name);
    if (st === undefined) return;
    if (st.timer !== undefined) this.deps.clock.clearTimeout(st.timer);
    st.timer = this.deps.clock.setTimeout(() => {
      st.timer = undefined;
      void this.sync(name);
    }, ms);
  }

  /** One read at a time per feed; a change during a read reads again after it. */
  private async sync(name: string): Promise<void> {
    const st = this.feeds.get(name);
    if (st === undefined || !this.started) return;
    if (st.running) {
      st.again = true;
      return;
    }
    st.running = true;
    try {
      do {
        st.again = false;
        await this.syncOnce(name, st);
      } while (st.again && this.started && this.feeds.get(name) === st);
    } catch (err) {
      this.deps.logger.warn('threat feed sync failed', { feed: name, error: errorText(err) });
    } finally {
      st.running = false;
      // Whatever happened, an HTTPS feed is read again: a read that threw must not end its refreshes.
      this.scheduleNext(name, st);
    }
  }

  private async syncOnce(name: string, st: FeedState): Promise<void> {
    const log = this.deps.logger.child({ feed: name });
    const wasPending = !st.attempted;
    const before = st.inForce?.summary.digest;
    const read = st.spec === undefined ? undefined : await this.readSource(st.spec, st.validators);
    if (read === undefined) st.failure = undefined;
    else if (read.kind === 'failed') await this.failed(name, st, read.failure, log);
    else if (read.kind === 'notModified') this.unchanged(name, st);
    else await this.accept(name, st, read, log);
    st.attempted = true;
    this.publish(name, st);
    const after = st.inForce?.summary.digest;
    if (after !== before) this.setChanged(name, st, after);
    else if (wasPending) this.deps.changed(this.inScope(st));
    await this.writeStatus(st);
  }

  /** A failed read: the last good set stays (or the cache's, after a restart). */
  private async failed(name: string, st: FeedState, failure: FeedFailure, log: Logger): Promise<void> {
    const first = st.failure?.message !== failure.message;
    st.failure = failure;
    st.retries++;
    this.deps.metrics.syncs.inc({ feed: name, result: 'failed' });
    if (st.inForce === undefined && !st.cacheTried) {
      st.cacheTried = true;
      const cached = await this.deps.store.readCache(name).catch((err: unknown) => {
        log.warn('the cached set of the threat feed could not be read', { error: errorText(err) });
        return undefined;
      });
      if (cached !== undefined && cached.uid === st.obj.metadata.uid) st.inForce = fromCache(cached);
    }
    if (first) {
      log.warn('threat feed read failed; keeping the last good set', { reason: failure.reason, error: failure.message, networks: st.inForce?.summary.networks ?? 0 });
      await this.event(st.obj, 'ReadFailed', failure.message);
    }
  }

  private unchanged(name: string, st: FeedState): void {
    st.failure = undefined;
    st.retries = 0;
    if (st.inForce !== undefined) st.inForce.syncedAt = this.deps.clock.now();
    this.deps.metrics.syncs.inc({ feed: name, result: 'unchanged' });
  }

  /** A document was read: in force unless it looks cut short or not one line of it was readable. */
  private async accept(name: string, st: FeedState, read: Extract<SourceRead, { kind: 'document' }>, log: Logger): Promise<void> {
    const spec = st.spec as ThreatFeedSpec;
    const result = readFeed(spec, read.document);
    const broken = brokenDocument(result.parsed);
    if (broken !== undefined) return this.failed(name, st, { reason: 'Unreadable', message: `the feed document was refused: ${broken}` }, log);
    const summary = feedSummary(result);
    const changed = summary.digest !== st.inForce?.summary.digest;
    st.inForce = { summary, sourceDigest: sha256(read.document), syncedAt: this.deps.clock.now(), blocked: result.blocked };
    st.failure = undefined;
    st.retries = 0;
    st.validators = read.validators;
    this.deps.metrics.syncs.inc({ feed: name, result: changed ? 'changed' : 'unchanged' });
    await this.announceRejections(st, summary);
    if (changed) {
      log.info('threat feed set in force', { networks: summary.networks, accepted: summary.accepted, rejected: summary.rejected, digest: summary.digest });
      await this.deps.store.writeCache(st.obj, { uid: st.obj.metadata.uid ?? '', networks: result.blocked.cidrs.map(formatCidr), summary, sourceDigest: st.inForce.sourceDigest, syncedAt: st.inForce.syncedAt }).catch((err: unknown) => {
        log.warn('the set could not be cached; it is in force, but a restart while the source is down would lose it', { error: errorText(err) });
      });
    }
  }

  /** A Warning Event when the feed has rejected lines, once per distinct set of them. */
  private async announceRejections(st: FeedState, summary: FeedSummary): Promise<void> {
    if (summary.rejected === 0) {
      st.announced = undefined;
      return;
    }
    const key = JSON.stringify(summary.rejections);
    if (st.announced === key) return;
    st.announced = key;
    const first = summary.rejections.slice(0, 3).map((r) => `line ${r.line} (${r.text}): ${r.reason}`).join('; ');
    await this.event(st.obj, 'EntriesRejected', `${summary.rejected} line(s) rejected, ${summary.accepted} network(s) accepted; ${first}`);
  }

  private readSource(spec: ThreatFeedSpec, validators: Validators | undefined): Promise<SourceRead> {
    const { inline, configMap, https } = spec.source;
    if (inline !== undefined) return Promise.resolve({ kind: 'document', document: inline.join('\n'), inline });
    if (configMap !== undefined) return this.readConfigMapKey(configMap);
    if (https !== undefined) return this.fetchHttps(https, validators);
    return Promise.resolve({ kind: 'failed', failure: { reason: 'InvalidSpec', message: 'the source names none of inline, configMap, https' } });
  }

  private async readConfigMapKey(ref: { namespace: string; name: string; key: string }): Promise<SourceRead> {
    const where = `ConfigMap ${ref.namespace}/${ref.name}`;
    let data: Record<string, string> | undefined;
    try {
      data = await this.deps.sources.getConfigMap(ref.namespace, ref.name);
    } catch (err) {
      return { kind: 'failed', failure: { reason: 'SourceUnavailable', message: `${where} could not be read: ${errorText(err)}` } };
    }
    if (data === undefined) return { kind: 'failed', failure: { reason: 'SourceNotFound', message: `${where} does not exist` } };
    const document = data[ref.key];
    if (document === undefined) return { kind: 'failed', failure: { reason: 'SourceNotFound', message: `${where} has no key ${ref.key} (keys: ${Object.keys(data).join(', ') || 'none'})` } };
    return { kind: 'document', document };
  }

  private async fetchHttps(https: NonNullable<ThreatFeedSpec['source']['https']>, validators: Validators | undefined): Promise<SourceRead> {
    let ca: string | undefined;
    if (https.caConfigMap !== undefined) {
      const read = await this.readConfigMapKey(https.caConfigMap);
      if (read.kind !== 'document') return read.kind === 'failed' ? { kind: 'failed', failure: { ...read.failure, message: `the CA bundle: ${read.failure.message}` } } : read;
      ca = read.document;
    }
    const same = validators?.url === https.url ? validators : undefined;
    const result = await this.deps.sources.fetch({ url: https.url, ca, allowedHosts: this.deps.allowedHosts, etag: same?.etag, lastModified: same?.lastModified, signal: this.abort.signal });
    if (result.kind === 'failed') return { kind: 'failed', failure: { reason: `Fetch${result.reason}`, message: result.message } };
    if (result.kind === 'notModified') return result;
    return { kind: 'document', document: result.body, validators: { url: https.url, etag: result.etag, lastModified: result.lastModified } };
  }

  /** The set in force changed: reconcile its scope and time the propagation. */
  private setChanged(name: string, st: FeedState, digest: string | undefined): void {
    this.merged.clear();
    const inScope = this.inScope(st);
    if (digest !== undefined) {
      const keys = new Set(this.deps.workloads().filter((w) => inScope(w.namespace)).map((w) => w.key));
      if (keys.size > 0) this.propagating.set(name, { digest, since: this.deps.clock.now(), keys });
    }
    this.deps.changed(inScope);
  }

  private segmentsCovered(st: FeedState): number {
    if (st.inForce === undefined) return 0;
    const inScope = this.inScope(st);
    return this.deps.workloads().reduce((n, w) => n + (inScope(w.namespace) ? w.segments : 0), 0);
  }

  private publish(name: string, st: FeedState): void {
    const m = this.deps.metrics;
    const feed = { feed: name };
    const s = st.inForce?.summary ?? { accepted: 0, rejected: 0, networks: 0 };
    for (const kind of ['accepted', 'rejected', 'networks'] as const) m.entries.set({ ...feed, kind }, s[kind]);
    m.failing.set(feed, st.failure !== undefined || st.invalid !== undefined ? 1 : 0);
    m.inForce.set(feed, st.inForce !== undefined ? 1 : 0);
    if (st.inForce !== undefined) m.lastSuccess.set(feed, Math.floor(st.inForce.syncedAt / 1000));
    m.segmentsCovered.set(feed, this.segmentsCovered(st));
  }

  /** A Warning Event about a feed: best effort (never fails a sync), but a refused one is logged, not dropped unseen. */
  private async event(feed: ThreatFeedObject, reason: string, message: string): Promise<void> {
    try {
      await this.deps.store.event(feed, 'Warning', reason, message);
    } catch (err) {
      this.deps.logger.warn('could not record Event', { feed: feed.metadata.name, reason, error: errorText(err) });
    }
  }

  private async writeStatus(st: FeedState): Promise<void> {
    const status = feedStatus(st.obj.status, {
      generation: st.obj.metadata.generation ?? 0,
      inForce: st.inForce,
      failure: st.failure,
      invalid: st.invalid,
      segmentsCovered: this.segmentsCovered(st),
      now: this.deps.clock.now(),
    });
    if (st.written !== undefined && jsonEqual(st.written, status)) return;
    try {
      await this.deps.store.writeStatus(st.obj.metadata.name, status);
      st.written = status;
    } catch (err) {
      this.deps.logger.warn('the status of the threat feed could not be written', { feed: st.obj.metadata.name, error: errorText(err) });
    }
  }

  /** HTTPS feeds are read again after their refresh period, or sooner after a failure. */
  private scheduleNext(name: string, st: FeedState): void {
    const https = st.spec?.source.https;
    // A read asked for meanwhile (a change, the refresh annotation) is already on its timer.
    if (https === undefined || !this.started || this.feeds.get(name) !== st || st.timer !== undefined) return;
    const refresh = https.refreshSeconds * 1000;
    const ms = st.failure === undefined ? refresh : Math.min(refresh, RETRY_MS.max, RETRY_MS.first * 2 ** Math.max(0, st.retries - 1));
    this.syncSoon(name, ms);
  }
}

/** Why a document must not replace the set in force: cut short, or not one entry line readable. */
function brokenDocument(parsed: ParsedFeed): string | undefined {
  if (parsed.incomplete !== undefined) return parsed.incomplete;
  const first = parsed.rejected[0];
  if (parsed.accepted.length > 0 || first === undefined) return undefined;
  return `not one of its ${parsed.rejected.length} entry line(s) could be read (line ${first.line}: ${first.reason})`;
}

/** The set of a cache entry, as if just read (its time is when it was read). */
function fromCache(cached: CachedSet): NonNullable<FeedState['inForce']> {
  const cidrs = cached.networks.map((n) => parseCidr(n)).filter((c): c is Cidr => c !== undefined);
  return { summary: cached.summary, sourceDigest: cached.sourceDigest, syncedAt: cached.syncedAt, blocked: new BlockedSet(cidrs) };
}
