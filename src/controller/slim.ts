// What the operator's caches keep of each object (informer transforms). Every pod of the cluster is
// cached for status and exposure analysis, and a pod as the API server returns it is mostly
// managedFields, volumes, env and conditions nobody here reads: keeping only what the readers use
// cuts the cache several times over (`make bench`). The readers: selector matching and workload
// grouping (labels, ownerReferences), identity drift (serviceAccountName), the analysis (named
// container ports, hostNetwork, pod IPs).
import type { KubeObject } from '../api/kubernetes.js';
import { sharedLists } from '../runtime/intern.js';

type Obj = KubeObject & Record<string, unknown>;

/** The object without metadata.managedFields, which no reader of the caches uses. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  const metadata = obj.metadata as (KubeObject['metadata'] & { managedFields?: unknown }) | undefined;
  if (metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...obj, metadata: rest };
}

interface PeerLike {
  ipBlock?: { cidr?: string; except?: readonly string[] };
}
interface RuleLike {
  from?: PeerLike[];
  to?: PeerLike[];
}

/** Peers with every long except list interned (runtime/intern.ts); a list changes nothing else. */
function internPeers(peers: PeerLike[] | undefined): PeerLike[] | undefined {
  if (peers === undefined || !peers.some((p) => p.ipBlock?.except !== undefined)) return peers;
  return peers.map((p) => (p.ipBlock?.except === undefined ? p : { ...p, ipBlock: { ...p.ipBlock, except: sharedLists.intern(p.ipBlock.except) } }));
}

/**
 * A NetworkPolicy as the cache keeps it: without managedFields, and with its ipBlocks' except
 * lists shared with every other policy (and compiled object) that has the same list, so that a
 * threat feed's networks are held once, not once per segment.
 */
export function slimNetworkPolicy<T extends KubeObject>(obj: T): T {
  const np = withoutManagedFields(obj) as T & { spec?: { ingress?: RuleLike[]; egress?: RuleLike[] } };
  const spec = np.spec;
  if (spec === undefined) return np;
  const rules = (list: RuleLike[] | undefined, side: 'from' | 'to'): RuleLike[] | undefined => list?.map((r) => (r[side] === undefined ? r : { ...r, [side]: internPeers(r[side]) }));
  return { ...np, spec: { ...spec, ...(spec.ingress !== undefined ? { ingress: rules(spec.ingress, 'from') } : {}), ...(spec.egress !== undefined ? { egress: rules(spec.egress, 'to') } : {}) } };
}

interface ContainerLike {
  name?: string;
  ports?: unknown[];
}

/** Containers reduced to their names and ports; those without ports are dropped from `initContainers`. */
function slimContainers(list: unknown, keepPortless: boolean): ContainerLike[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const slim = (list as ContainerLike[]).map((c) => ({ ...(c.name !== undefined ? { name: c.name } : {}), ...(c.ports !== undefined ? { ports: c.ports } : {}) }));
  return keepPortless ? slim : slim.filter((c) => c.ports !== undefined);
}

/** Copies the listed keys of `from` that are set. */
function pick(from: unknown, keys: readonly string[]): Record<string, unknown> {
  const src = (from ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
}

const POD_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'labels', 'ownerReferences', 'deletionTimestamp'] as const;
const POD_SPEC = ['serviceAccountName', 'hostNetwork', 'nodeName'] as const;
const POD_STATUS = ['phase', 'podIP', 'podIPs', 'hostIP'] as const;

/** The pod as the operator's readers see it (see the file comment). */
export function slimPod<T extends KubeObject>(pod: T): T {
  const p = pod as unknown as Obj;
  const spec = p['spec'] as Record<string, unknown> | undefined;
  const containers = slimContainers(spec?.['containers'], true);
  const initContainers = slimContainers(spec?.['initContainers'], false);
  const slim = {
    ...pick(p, ['apiVersion', 'kind']),
    metadata: pick(p.metadata, POD_METADATA),
    spec: {
      ...pick(spec, POD_SPEC),
      ...(containers !== undefined ? { containers } : {}),
      ...(initContainers !== undefined && initContainers.length > 0 ? { initContainers } : {}),
    },
    status: pick(p['status'], POD_STATUS),
  };
  return slim as unknown as T;
}
