// Names shared by the API, the compiler, the controller and the manifests.

export const GROUP = 'bulkhead.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'AIWorkload';
export const LIST_KIND = 'AIWorkloadList';
export const PLURAL = 'aiworkloads';
export const SINGULAR = 'aiworkload';
export const SHORT_NAMES = ['aiw'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** The one field manager the operator applies with (server-side apply). */
export const FIELD_MANAGER = 'bulkhead';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'bulkhead';
export const LABEL_WORKLOAD = 'bulkhead.dev/workload';
export const LABEL_COMPONENT = 'bulkhead.dev/component';
/** Namespaces are matched only by this label, which the API server sets and users cannot forge. */
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/** The label selector that finds every object Bulkhead manages. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

/**
 * Cloud metadata endpoints, excepted from every CIDR egress unless a component asks for them
 * (allowMetadataAccess). The default of the operator's --metadata-cidrs: the instance metadata
 * service of AWS, Azure, GCP and OCI (IPv4 and AWS's IPv6), the EKS Pod Identity agent (both
 * families), GCP's IPv6 metadata server and Alibaba Cloud's.
 */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254/32',
  'fd00:ec2::254/128',
  '169.254.170.23/32',
  'fd00:ec2::23/128',
  'fd20:ce::254/128',
  '100.100.100.200/32',
];

/** The component label (and name suffix) of the namespace default deny (spec.namespaceDefaultDeny). */
export const DEFAULT_DENY = 'default-deny';
