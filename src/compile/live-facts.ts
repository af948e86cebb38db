// The facts the compiler and the analysis take from a live cluster, gathered the same way by the
// operator (from its caches) and by the CLI (`diff`, `exposure`, `explain --live`, from lists), so
// both see the same cluster: which AIWorkloads are peers, which pods count, where the API server
// is. Pure: callers pass in what they listed or cached.
import type { EndpointSlice, KubeObject, Pod } from '../api/kubernetes.js';
import { validateSpec } from '../api/validate.js';
import type { CompileFacts, PeerWorkload } from './facts.js';

/** An AIWorkload as listed or cached: its spec not yet validated. */
export interface WorkloadLike extends KubeObject {
  spec?: unknown;
}

/**
 * peerWorkloads: the AIWorkloads that `{workload: …}` peers resolve against, by `namespace/name`:
 * valid and not being deleted (a deleted workload's consent is gone). An object without a
 * namespace is in `default`, as the API server would have it.
 */
export function peerWorkloads(workloads: readonly WorkloadLike[]): Map<string, PeerWorkload> {
  const peers = new Map<string, PeerWorkload>();
  for (const w of workloads) {
    const name = w.metadata?.name;
    if (name === undefined || w.metadata?.deletionTimestamp !== undefined) continue;
    const v = validateSpec(w.spec);
    if (!v.ok) continue;
    const namespace = w.metadata?.namespace ?? 'default';
    peers.set(`${namespace}/${name}`, { namespace, name, spec: v.spec });
  }
  return peers;
}

/** podsThatCount: pods that take part in networking, i.e. not finished (Succeeded or Failed). */
export function podsThatCount<T extends Pod>(pods: readonly T[]): T[] {
  return pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

/** apiServerEndpoints: the API server's addresses and ports from the default/kubernetes EndpointSlices; undefined when none. */
export function apiServerEndpoints(slices: readonly EndpointSlice[]): CompileFacts['kubeAPIServer'] {
  const addresses = slices.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []));
  const ports = [...new Set(slices.flatMap((s) => (s.ports ?? []).flatMap((p) => (p.port === undefined ? [] : [p.port]))))].sort((a, b) => a - b);
  return addresses.length === 0 ? undefined : { addresses, ports };
}
