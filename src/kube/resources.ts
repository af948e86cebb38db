// Where each kind the operator touches lives in the REST API.
import { GROUP, PLURAL, VERSION } from '../api/constants.js';

export interface ResourceInfo {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export const RESOURCES = {
  AIWorkload: { group: GROUP, version: VERSION, plural: PLURAL, kind: 'AIWorkload' },
  ThreatFeed: { group: GROUP, version: VERSION, plural: 'threatfeeds', kind: 'ThreatFeed' },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy' },
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount' },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding' },
  Pod: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  Namespace: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace' },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice' },
  Event: { group: '', version: 'v1', plural: 'events', kind: 'Event' },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease' },
} as const satisfies Record<string, ResourceInfo>;

export type ResourceName = keyof typeof RESOURCES;

/** The collection path, cluster-wide when `namespace` is undefined. */
export function collectionPath(r: ResourceInfo, namespace?: string): string {
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return namespace === undefined ? `${prefix}/${r.plural}` : `${prefix}/namespaces/${namespace}/${r.plural}`;
}

export function objectPath(r: ResourceInfo, namespace: string | undefined, name: string): string {
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}`;
}
