// The feed controller's reads and writes (src/controller/threatfeeds.ts): ThreatFeed status through
// its status subresource, Events about a ThreatFeed (cluster-scoped, so in the default namespace,
// as Kubernetes does for Nodes), ConfigMap sources, and the cache of each feed's last good set: a
// ConfigMap in the operator's namespace, owned by the ThreatFeed (the garbage collector removes it
// with the feed).
import { API_VERSION, GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, VERSION } from '../api/constants.js';
import { THREAT_FEED_KIND, THREAT_FEED_PLURAL, type ThreatFeedStatus } from '../api/threatfeed.js';
import type { CachedSet, FeedStore, ThreatFeedObject } from '../controller/threatfeeds.js';
import { EventCorrelator } from '../observe/event-correlator.js';
import { type RestClient, isNotFound } from '../runtime/rest.js';
import { APPLY, APPLY_CONTENT_TYPE, NotLeaderError, eventBody } from './writer.js';

/** Labels the cache ConfigMaps, so that an admin can list them. */
export const LABEL_THREAT_FEED = 'bulkhead.dev/threat-feed';
const CACHE_PREFIX = 'bulkhead-threatfeed-';
const EVENTS_NAMESPACE = 'default';

const feedPath = (name: string): string => `/apis/${GROUP}/${VERSION}/${THREAT_FEED_PLURAL}/${encodeURIComponent(name)}`;
const configMapPath = (namespace: string, name: string): string => `/api/v1/namespaces/${namespace}/configmaps/${encodeURIComponent(name)}`;

/** The cache ConfigMap of a feed: feed names are DNS subdomains of up to 253 characters. */
export const cacheName = (feed: string): string => `${CACHE_PREFIX}${feed}`.slice(0, 253).replace(/[.-]+$/, '');

interface ConfigMap {
  metadata?: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** Reads a ConfigMap's data; undefined when it does not exist. */
export async function getConfigMapData(rest: RestClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const cm = await rest.request<ConfigMap>('GET', configMapPath(namespace, name));
    return cm.data ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface FeedStoreOptions {
  /** The operator's namespace, for the cache; unset: no cache is kept. */
  cacheNamespace?: string | undefined;
  instance: string;
  now: () => number;
  mayWrite?: () => boolean;
}

export function createFeedStore(rest: RestClient, opts: FeedStoreOptions): FeedStore {
  const guard = (): void => {
    if (opts.mayWrite !== undefined && !opts.mayWrite()) throw new NotLeaderError();
  };
  const correlator = new EventCorrelator({ now: opts.now });
  return {
    async writeStatus(name: string, status: ThreatFeedStatus) {
      guard();
      await rest.request('PATCH', `${feedPath(name)}/status`, {
        query: APPLY,
        body: { apiVersion: API_VERSION, kind: THREAT_FEED_KIND, metadata: { name }, status },
        contentType: APPLY_CONTENT_TYPE,
      });
    },
    async event(feed: ThreatFeedObject, type, reason, message) {
      guard();
      const text = message.slice(0, 1024);
      const decision = correlator.decide(feed.metadata.uid ?? feed.metadata.name, type, reason, text);
      if (decision.action !== 'create') return;
      const now = new Date(opts.now()).toISOString();
      const involved = { apiVersion: API_VERSION, kind: THREAT_FEED_KIND, name: feed.metadata.name, uid: feed.metadata.uid };
      const created = await rest.request<{ metadata?: { name?: string } }>('POST', `/api/v1/namespaces/${EVENTS_NAMESPACE}/events`, {
        body: eventBody(EVENTS_NAMESPACE, involved, { type, reason, message: text }, opts.instance, now),
      });
      if (created.metadata?.name !== undefined) correlator.created(decision.key, created.metadata.name);
      else correlator.forget(decision.key);
    },
    async readCache(feed: string): Promise<CachedSet | undefined> {
      if (opts.cacheNamespace === undefined) return undefined;
      const data = await getConfigMapData(rest, opts.cacheNamespace, cacheName(feed));
      if (data?.['set.json'] === undefined) return undefined;
      const parsed = JSON.parse(data['set.json']) as Partial<CachedSet>;
      if (!Array.isArray(parsed.networks) || typeof parsed.uid !== 'string' || parsed.summary === undefined) return undefined;
      return { uid: parsed.uid, networks: parsed.networks, summary: parsed.summary, sourceDigest: parsed.sourceDigest ?? '', syncedAt: parsed.syncedAt ?? 0 };
    },
    async writeCache(feed: ThreatFeedObject, set: CachedSet) {
      const ns = opts.cacheNamespace;
      if (ns === undefined) return;
      guard();
      const name = cacheName(feed.metadata.name);
      await rest.request('PATCH', configMapPath(ns, name), {
        query: APPLY,
        contentType: APPLY_CONTENT_TYPE,
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name,
            namespace: ns,
            labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_THREAT_FEED]: feed.metadata.name.slice(0, 63).replace(/[.-]+$/, '') },
            ownerReferences: [{ apiVersion: API_VERSION, kind: THREAT_FEED_KIND, name: feed.metadata.name, uid: feed.metadata.uid }],
          },
          data: { 'set.json': JSON.stringify(set) },
        },
      });
    },
  };
}
