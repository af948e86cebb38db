// What the compiler needs from a live cluster, read as the operator reads it: the other
// AIWorkloads (workload peers) and the API server's endpoints. Shared by `diff` and `exposure`.
import type { CompileFacts, PeerWorkload, PlatformConfig } from '../compile/facts.js';
import type { EndpointSlice } from '../api/kubernetes.js';
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
export async function liveCompileFacts(rest: RestClient, platform: PlatformConfig, extra: readonly PeerWorkload[] = []): Promise<CompileFacts> {
  const peers = peersOf(await listAIWorkloads(rest));
  for (const w of extra) peers.set(`${w.namespace}/${w.name}`, w);
  return { platform, workloads: peers, kubeAPIServer: await kubeAPIServer(rest) };
}
