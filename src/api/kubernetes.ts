// The one model of the Kubernetes objects Bulkhead reads: the slice of the API that the compiler's
// live facts, the analysis, the controller's caches and the runtime's informers look at. Every
// field is optional and structurally a subset of @kubernetes/client-node's V1Pod, V1NetworkPolicy,
// ..., so objects from an informer cache, a LIST or parsed YAML can be passed in as they are. What
// Bulkhead writes is exact and lives in src/compile/objects.ts; each of those types is assignable
// to its counterpart here (it extends it, so the compiler checks), and generated objects are read
// back by the same code. Types, and the list of workload kinds.

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
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Labels;
  annotations?: Labels;
  ownerReferences?: readonly OwnerReference[];
  deletionTimestamp?: string;
}

/** The part of any object that code without knowledge of its kind reads. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/**
 * An object as the API server returns it, which always has a name; its other fields are unknown
 * until a caller narrows them. What the informers cache and the reconciler reads.
 */
export interface StoredObject extends KubeObject {
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

/** An object of a known kind as the API server returns it: with a name. */
export type Stored<T extends KubeObject> = T & { metadata: ObjectMeta & { name: string } };

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface Container {
  name?: string;
  ports?: readonly ContainerPort[];
}

export interface PodSpec {
  serviceAccountName?: string;
  containers?: readonly Container[];
  initContainers?: readonly Container[];
  hostNetwork?: boolean;
}

export interface PodStatus {
  /** Pending, Running, Succeeded, Failed or Unknown; finished pods take no part in networking. */
  phase?: string;
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

export interface EndpointSlice {
  kind?: string;
  metadata?: ObjectMeta;
  endpoints?: readonly { addresses?: readonly string[] }[];
  ports?: readonly { port?: number }[];
}
