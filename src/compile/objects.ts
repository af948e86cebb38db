// Shapes of the Kubernetes objects the compiler generates. Plain data, so that the compiler stays
// free of the client library; they match the API's JSON field for field. Each one extends its
// counterpart in the one model of Kubernetes objects (src/api/kubernetes.ts), narrowed to what
// Bulkhead always writes, so a generated object can be handed as it is to every reader of that
// model (the analysis, the write plan, the caches' readers).
import type * as Kube from '../api/kubernetes.js';
import type { LabelSelector } from '../api/schema.js';

export interface OwnerReference extends Kube.OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface ObjectMeta extends Kube.ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface NetworkPolicyPort extends Kube.NetworkPolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyPeer extends Kube.NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyIngressRule extends Kube.NetworkPolicyIngressRule {
  from: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule extends Kube.NetworkPolicyEgressRule {
  to: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy extends Kube.NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    policyTypes: ['Ingress', 'Egress'];
    ingress: NetworkPolicyIngressRule[];
    egress: NetworkPolicyEgressRule[];
  };
}

export interface ServiceAccount extends Kube.KubeObject {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  metadata: ObjectMeta;
  automountServiceAccountToken: boolean;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  verbs: string[];
}

export interface Role extends Kube.KubeObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role';
  metadata: ObjectMeta;
  rules: PolicyRule[];
}

export interface RoleBinding extends Kube.KubeObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding';
  metadata: ObjectMeta;
  subjects: { kind: 'ServiceAccount'; name: string; namespace: string }[];
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'Role'; name: string };
}

export type GeneratedObject = NetworkPolicy | ServiceAccount | Role | RoleBinding;
export type GeneratedKind = GeneratedObject['kind'];

/** Every kind Bulkhead generates, in the order objects are listed and applied: identities before the bindings that name them. */
export const GENERATED_KINDS: readonly GeneratedKind[] = ['ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy'];
