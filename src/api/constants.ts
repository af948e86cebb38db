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

/** Cloud metadata endpoints, excepted from every CIDR egress unless a component asks for them. */
export const METADATA_ADDRESSES = ['169.254.169.254/32', 'fd00:ec2::254/128'] as const;

/** The component label (and name suffix) of the namespace default deny (spec.namespaceDefaultDeny). */
export const DEFAULT_DENY = 'default-deny';
