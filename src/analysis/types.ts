// The slice of the Kubernetes API the analysis reads. Every field is optional and structurally a
// subset of @kubernetes/client-node's V1Namespace, V1Pod, V1Deployment, ... and V1NetworkPolicy, so
// objects from an informer cache or from parsed YAML can be passed in as they are.

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: readonly string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface OwnerReference {
  kind?: string;
  name?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Labels;
  ownerReferences?: readonly OwnerReference[];
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface Container {
  ports?: readonly ContainerPort[];
}

export interface PodSpec {
  containers?: readonly Container[];
  initContainers?: readonly Container[];
  hostNetwork?: boolean;
}

export interface PodStatus {
  /** The primary IP (either family); podIPs holds at most one per family, the primary first. */
  podIP?: string;
  podIPs?: readonly { ip?: string }[];
  hostIP?: string;
}

export interface Namespace {
  kind?: string;
  metadata?: ObjectMeta;
}

export interface Pod {
  kind?: string;
  metadata?: ObjectMeta;
  spec?: PodSpec;
  status?: PodStatus;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/** The workload kinds that stand for their pods through a pod template. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload {
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    template?: PodTemplateSpec;
    /** CronJob: spec.jobTemplate.spec.template. */
    jobTemplate?: { spec?: { template?: PodTemplateSpec } };
  };
}

export interface IPBlock {
  cidr?: string;
  except?: readonly string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  from?: readonly NetworkPolicyPeer[];
  ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: readonly NetworkPolicyPeer[];
  ports?: readonly NetworkPolicyPort[];
}

export interface NetworkPolicy {
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: readonly string[];
    ingress?: readonly NetworkPolicyIngressRule[];
    egress?: readonly NetworkPolicyEgressRule[];
  };
}

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

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
