// The identity registry: for each enforced AIWorkload, one RoleBinding in the operator's own
// namespace that binds the ServiceAccounts of its segments to the Role bulkhead-segment-identity,
// which grants nothing. It is how the admission policy bulkhead-identity-bindings knows a segment's
// identity wherever a binding names it: a policy's parameters live in one namespace, and
// ClusterRoleBindings have none, so the segments' own ServiceAccounts cannot serve there. A
// RoleBinding because the API server already caches every RoleBinding for its authorizer, so the
// policy's parameters cost it no memory; labelled managed-by=bulkhead, so tamper protection keeps
// anyone else from removing an entry. Pure: the reconciler applies what this builds.
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../api/constants.js';
import type { StoredObject } from '../api/kubernetes.js';
import { capName } from '../compile/names.js';
import type { RoleBinding } from '../compile/objects.js';

/** The Role every entry binds to (manifests/rbac.yaml: no rules, in the operator's namespace). */
export const REGISTRY_ROLE = 'bulkhead-segment-identity';
/** Marks the registry's RoleBindings: the policy's paramRef selects them by it (and managed-by). */
export const LABEL_IDENTITY_REGISTRY = 'bulkhead.dev/identity-registry';
/** `namespace/name` of the AIWorkload an entry is for (an annotation: names can exceed a label value). */
export const ANNOTATION_REGISTRY_WORKLOAD = 'bulkhead.dev/workload';

/** Object names may be 253 characters; the entry is `<namespace>.<workload>`, capped with a hash. */
const MAX_ENTRY_NAME = 253;

export interface WorkloadRef {
  namespace: string;
  name: string;
}

/** registryEntryName is unique per AIWorkload: namespaces contain no dot, so the first one splits. */
export const registryEntryName = (w: WorkloadRef): string => capName(`${w.namespace}.${w.name}`, MAX_ENTRY_NAME);

/**
 * buildRegistryEntry is the entry of AIWorkload `w` in `registryNamespace`, naming the
 * ServiceAccounts of its segments (sorted, without repeats).
 */
export function buildRegistryEntry(registryNamespace: string, w: WorkloadRef, serviceAccounts: readonly string[]): RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: registryEntryName(w),
      namespace: registryNamespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_IDENTITY_REGISTRY]: 'true' },
      annotations: { [ANNOTATION_REGISTRY_WORKLOAD]: `${w.namespace}/${w.name}` },
    },
    subjects: [...new Set(serviceAccounts)].sort().map((name) => ({ kind: 'ServiceAccount', name, namespace: w.namespace })),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: REGISTRY_ROLE },
  };
}

/** isRegistryEntry: a RoleBinding the operator keeps as an entry of its identity registry. */
export function isRegistryEntry(obj: StoredObject): boolean {
  return obj.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && obj.metadata.labels[LABEL_IDENTITY_REGISTRY] === 'true';
}

/**
 * registryKeys (Owns, across namespaces): the AIWorkload an entry is for, so that an entry whose
 * AIWorkload is gone (deleted while no operator ran) is reconciled, and removed, at start-up.
 */
export function registryKeys(obj: StoredObject): string[] {
  const key = obj.metadata.annotations?.[ANNOTATION_REGISTRY_WORKLOAD];
  return isRegistryEntry(obj) && key !== undefined && key.includes('/') ? [key] : [];
}
