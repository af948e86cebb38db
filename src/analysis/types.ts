// What the analysis takes in (the objects of a cluster, in the one model of src/api/kubernetes.ts)
// and the switches of its modelling.
import type { Namespace, NetworkPolicy, Pod, Workload } from '../api/kubernetes.js';

/** Everything the analysis needs to know about a cluster (or a directory of manifests). */
export interface ClusterFacts {
  namespaces: readonly Namespace[];
  pods: readonly Pod[];
  /** Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs. */
  workloads: readonly Workload[];
  networkPolicies: readonly NetworkPolicy[];
}

/**
 * Modelling switches for the places where the NetworkPolicy specification leaves a choice.
 * The defaults are those of the netpol-analyzer oracle; docs/analysis.md says why.
 */
export interface AnalysisOptions {
  /**
   * Whether an ipBlock peer also matches in-cluster pods whose IP (status.podIP) lies inside it.
   * The spec says ipBlock is "intended" for cluster-external IPs and leaves pod IPs to the CNI;
   * most CNIs and the upstream e2e tests do match. @default false (the oracle's choice)
   */
  ipBlockMatchesPods: boolean;
  /**
   * Whether hostNetwork pods are treated like any other pod (selected by policies and matched by
   * selectors). When false they are neither isolated by policies nor matched by pod or namespace
   * selectors; with ipBlockMatchesPods they are matched by their node IP. @default true
   */
  hostNetworkPodsAreOrdinary: boolean;
  /**
   * Which address families the outside world and the pods' IPs are made of. 'IPv4': only IPv4
   * space; IPv6 cidrs and excepts of ipBlocks, and pods' IPv6 addresses, are ignored (the
   * oracle's modelling). 'Dual': IPv4 space and IPv6 space, so an ipBlock such as `::/0` admits
   * the IPv6 world and, with ipBlockMatchesPods, pods' IPv6 addresses. @default 'IPv4'
   */
  ipFamilies: IpFamilies;
}

export type IpFamilies = 'IPv4' | 'Dual';

export const DEFAULT_OPTIONS: AnalysisOptions = Object.freeze({ ipBlockMatchesPods: false, hostNetworkPodsAreOrdinary: true, ipFamilies: 'IPv4' });

export function withDefaults(o: Partial<AnalysisOptions> | undefined): AnalysisOptions {
  return { ...DEFAULT_OPTIONS, ...(o ?? {}) };
}
