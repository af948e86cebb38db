// What the compiler needs from a live cluster, read as the operator reads it: the other
// AIWorkloads (workload peers), the API server's endpoints, and the threat feeds' sets in force
// (from the operator's caches). Shared by `diff`, `exposure` and the segment map.
import type { CompileFacts, FeedsInForce, PeerWorkload, PlatformConfig } from '../compile/facts.js';
import type { EndpointSlice, Labels } from '../api/kubernetes.js';
import { type Cidr, parseCidr } from '../api/cidr.js';
import { type ThreatFeedSpec, threatFeedSpecSchema } from '../api/threatfeed.js';
import { type ThreatFeedObject, scopeOf } from '../controller/threatfeeds.js';
import { createFeedStore } from '../kube/feed-store.js';
import { BlockedSet } from '../threatfeed/merge.js';
import { apiServerEndpoints, peerWorkloads } from '../compile/live-facts.js';
import { type RestClient, isNotFound } from '../runtime/rest.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';

export interface LiveAIWorkload {
  metadata?: { name?: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec?: unknown;
}

/** Every AIWorkload in the cluster (or in `namespace`), as listed. */
export async function listAIWorkloads(rest: RestClient, namespace?: string): Promise<LiveAIWorkload[]> {
  return (await rest.request<{ items: LiveAIWorkload[] }>('GET', collectionPath(RESOURCES.AIWorkload, namespace))).items;
}

/** The valid AIWorkloads by `namespace/name`: the peers `{workload: …}` resolve against (as the operator gathers them). */
export const peersOf = peerWorkloads;

/** The API server's endpoints from the default/kubernetes EndpointSlice; undefined when unknown. */
export async function kubeAPIServer(rest: RestClient): Promise<CompileFacts['kubeAPIServer']> {
  try {
    return apiServerEndpoints([await rest.request<EndpointSlice>('GET', objectPath(RESOURCES.EndpointSlice, 'default', 'kubernetes'))]);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return undefined;
  }
}

/** Compile facts from the live cluster; `extra` workloads (from files) win over the live ones. */
export async function liveCompileFacts(rest: RestClient, platform: PlatformConfig, extra: readonly PeerWorkload[] = [], notes: string[] = []): Promise<CompileFacts> {
  const peers = peersOf(await listAIWorkloads(rest));
  for (const w of extra) peers.set(`${w.namespace}/${w.name}`, w);
  return { platform, workloads: peers, kubeAPIServer: await kubeAPIServer(rest), threatFeedsFor: await liveThreatFeeds(rest, notes) };
}

/** Where the operator keeps its threat feed caches: its namespace ($POD_NAMESPACE as `bulkhead run` reads it). */
const operatorNamespace = (): string => process.env['POD_NAMESPACE'] ?? 'bulkhead-system';

/**
 * The sets in force of the cluster's ThreatFeeds, by namespace: each feed's last good set as the
 * operator cached it (src/kube/feed-store.ts), so that what the CLI compiles carves out exactly
 * what the operator does. A feed whose cache cannot be read is left out, with a note saying so.
 */
export async function liveThreatFeeds(rest: RestClient, notes: string[]): Promise<(namespace: string) => FeedsInForce | undefined> {
  let feeds: ThreatFeedObject[];
  try {
    feeds = (await rest.request<{ items: ThreatFeedObject[] }>('GET', collectionPath(RESOURCES.ThreatFeed))).items;
  } catch (err) {
    // No ThreatFeed CRD: no feeds. Not allowed to list them: say so, and compile without.
    if (!isNotFound(err)) notes.push(`ThreatFeeds could not be listed (${err instanceof Error ? err.message : String(err)}); compiled without them`);
    return () => undefined;
  }
  const store = createFeedStore(rest, { cacheNamespace: operatorNamespace(), instance: 'cli', now: () => Date.now() });
  const sets: { name: string; spec: ThreatFeedSpec; cidrs: Cidr[] }[] = [];
  for (const feed of feeds) {
    const spec = threatFeedSpecSchema.safeParse(feed.spec);
    const cached = await store.readCache(feed.metadata.name).catch((err: unknown) => {
      notes.push(`ThreatFeed ${feed.metadata.name}: its set in force could not be read (${err instanceof Error ? err.message : String(err)}); compiled without it`);
      return undefined;
    });
    if (!spec.success || cached === undefined || cached.uid !== feed.metadata.uid) continue;
    sets.push({ name: feed.metadata.name, spec: spec.data, cidrs: cached.networks.map((n) => parseCidr(n)).filter((c): c is Cidr => c !== undefined) });
  }
  if (sets.length === 0) return () => undefined;
  const labels = new Map((await rest.request<{ items: { metadata: { name: string; labels?: Labels } }[] }>('GET', collectionPath(RESOURCES.Namespace))).items.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const memo = new Map<string, FeedsInForce | undefined>();
  return (namespace) => {
    if (memo.has(namespace)) return memo.get(namespace);
    const covering = sets.filter((s) => scopeOf(s.spec, (ns) => labels.get(ns))(namespace)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const inForce = covering.length === 0 ? undefined : { names: covering.map((s) => s.name), blocked: new BlockedSet(covering.flatMap((s) => s.cidrs)) };
    memo.set(namespace, inForce);
    return inForce;
  };
}
