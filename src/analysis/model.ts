// From Kubernetes objects to the analysis model: endpoints (one per Pod, or one per workload
// controller standing for its pods), the peers they are printed as, namespaces with their labels,
// and the external IP ranges (IPv4, and IPv6 when AnalysisOptions.ipFamilies is 'Dual').
import { compilePolicies, type CompiledPolicy } from './policy.js';
import { atomPartition, compareIntervals, formatIpInterval, IPV4_SPACE, IPV6_SPACE, isIPv6, parseIp, type IpInterval } from './ip.js';
import { WORKLOAD_KINDS, type Labels, type ContainerPort, type Namespace, type OwnerReference, type Pod, type PodSpec, type Workload } from '../api/kubernetes.js';
import { LABEL_NAMESPACE_NAME } from '../api/constants.js';
import { type AnalysisOptions, type ClusterFacts, type IpFamilies } from './types.js';
import type { Protocol } from './connections.js';

export interface NamedPort {
  protocol: Protocol;
  port: number;
}

/**
 * Endpoint is one pod as the policies see it: where it lives, its labels, its named container
 * ports and its IP. A workload controller contributes one endpoint built from its pod template.
 */
export interface Endpoint {
  kind: 'pod';
  /** Index into Model.peers of the peer this endpoint is printed as. */
  peer: number;
  namespace: string;
  nsLabels: Labels;
  labels: Labels;
  /** Container port name -> ports with that name (normally one). */
  namedPorts: ReadonlyMap<string, readonly NamedPort[]>;
  /** The pod's addresses in the modelled families (see ip.ts for the number line); empty for templates. */
  ips: readonly bigint[];
  hostNetwork: boolean;
}

/**
 * A printed peer: a workload (`ns/name[Kind]`) or an external range (`a.b.c.d-e.f.g.h[External]`,
 * or `lo-hi[External]` with RFC 5952 IPv6 addresses).
 */
export interface PeerInfo {
  id: string;
  kind: string;
  namespace: string;
  name: string;
  /** Set for external ranges. */
  range?: IpInterval;
}

export interface Model {
  namespaces: ReadonlyMap<string, Labels>;
  endpoints: readonly Endpoint[];
  /** Workload peers first, then external ranges in address order (IPv4, then IPv6). */
  peers: readonly PeerInfo[];
  /** Index in `peers` of the first external range; `peers[firstExternal + k]` is `externals[k]`. */
  firstExternal: number;
  /**
   * The outside world cut at every cidr and except of every ipBlock (both directions); the
   * finest partition, used for classing pod IPs.
   */
  externals: readonly IpInterval[];
  /** Indices into `externals` of the ranges printed as sources: cut by ingress ipBlocks only. */
  sourceExternals: readonly number[];
  /** Indices into `externals` of the ranges printed as destinations: cut by egress ipBlocks only. */
  destinationExternals: readonly number[];
  policies: readonly CompiledPolicy[];
  options: AnalysisOptions;
}

const DEFAULT_NS = 'default';

function nsOf(meta: { namespace?: string } | undefined): string {
  return meta?.namespace !== undefined && meta.namespace !== '' ? meta.namespace : DEFAULT_NS;
}

export function peerId(namespace: string, name: string, kind: string): string {
  return `${namespace}/${name}[${kind}]`;
}

export function externalPeerId(range: IpInterval): string {
  return `${formatIpInterval(range)}[External]`;
}

/** Sorts after every peer id (ids are ASCII). */
const AFTER_ALL = '\uffff';

/**
 * The text a peer sorts by in printed results: its id, except that IPv6 ranges sort after every
 * other peer, among themselves in address order. So output without IPv6 keeps the oracle's text
 * order, and the IPv6 world never pushes IPv4 ranges or workloads down a truncated list.
 */
export function peerSortKey(p: PeerInfo): string {
  if (p.range === undefined || !isIPv6(p.range[0])) return p.id;
  const hex = (x: bigint): string => x.toString(16).padStart(33, '0');
  return `${AFTER_ALL}${hex(p.range[0])}${hex(p.range[1])}`;
}

function namedPortsOf(spec: PodSpec | undefined): Map<string, NamedPort[]> {
  const out = new Map<string, NamedPort[]>();
  for (const c of spec?.containers ?? []) {
    for (const p of c.ports ?? []) addNamedPort(out, p);
  }
  return out;
}

function addNamedPort(out: Map<string, NamedPort[]>, p: ContainerPort): void {
  if (p.name === undefined || p.name === '' || p.containerPort === undefined) return;
  const protocol = (p.protocol ?? 'TCP').toUpperCase() as Protocol;
  const list = out.get(p.name) ?? [];
  list.push({ protocol, port: Number(p.containerPort) });
  out.set(p.name, list);
}

function podTemplateOf(w: Workload): { labels: Labels; spec: PodSpec | undefined } {
  const template = w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;
  return { labels: template?.metadata?.labels ?? {}, spec: template?.spec };
}

/**
 * The pod's addresses in the modelled families, from status.podIP and status.podIPs (which
 * repeats podIP first and adds the other family's address on dual-stack clusters).
 */
function podIps(p: Pod, families: IpFamilies): bigint[] {
  const texts = [p.status?.podIP, ...(p.status?.podIPs ?? []).map((x) => x.ip)];
  const ips = new Set<bigint>();
  for (const text of texts) {
    const ip = text === undefined ? undefined : parseIp(text);
    if (ip !== undefined && (families === 'Dual' || !isIPv6(ip))) ips.add(ip);
  }
  return [...ips];
}

/**
 * The peer a real Pod is printed as: its controlling owner (else its first owner), else itself.
 * Static (mirror) pods are "owned" by their Node, which is no workload: they stay single pods.
 */
function podPeer(p: Pod): { name: string; kind: string } {
  const refs = p.metadata?.ownerReferences ?? [];
  return ownerPeer(refs.find((r) => r.controller === true) ?? refs[0]) ?? { name: p.metadata?.name ?? '', kind: 'Pod' };
}

function ownerPeer(owner: OwnerReference | undefined): { name: string; kind: string } | undefined {
  if (owner?.name === undefined || owner.name === '' || owner.kind === 'Node') return undefined;
  return { name: owner.name, kind: owner.kind !== undefined && owner.kind !== '' ? owner.kind : 'Pod' };
}

function namespaceLabels(namespaces: readonly Namespace[]): Map<string, Labels> {
  const out = new Map<string, Labels>();
  for (const ns of namespaces) {
    const name = ns.metadata?.name;
    if (name === undefined) continue;
    out.set(name, { [LABEL_NAMESPACE_NAME]: name, ...(ns.metadata?.labels ?? {}) });
  }
  return out;
}

/** The labels of namespace `ns`; one referenced but not defined gets only its name label. */
function labelsOfNamespace(namespaces: Map<string, Labels>, ns: string): Labels {
  let l = namespaces.get(ns);
  if (l === undefined) {
    l = { [LABEL_NAMESPACE_NAME]: ns };
    namespaces.set(ns, l);
  }
  return l;
}

/** Printed peers, each id once, numbered in order of first appearance. */
class PeerTable {
  readonly peers: PeerInfo[] = [];
  private readonly index = new Map<string, number>();

  of(namespace: string, name: string, kind: string): number {
    const id = peerId(namespace, name, kind);
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.peers.length;
      this.peers.push({ id, kind, namespace, name });
      this.index.set(id, i);
    }
    return i;
  }
}

interface EndpointTables {
  namespaces: Map<string, Labels>;
  peers: PeerTable;
}

function isWorkload(w: Workload): boolean {
  return (WORKLOAD_KINDS as readonly string[]).includes(w.kind ?? '');
}

function workloadEndpoint(w: Workload, tables: EndpointTables): Endpoint {
  const namespace = nsOf(w.metadata);
  const { labels, spec } = podTemplateOf(w);
  return {
    kind: 'pod',
    peer: tables.peers.of(namespace, w.metadata?.name ?? '', w.kind ?? ''),
    namespace,
    nsLabels: labelsOfNamespace(tables.namespaces, namespace),
    labels,
    namedPorts: namedPortsOf(spec),
    ips: [],
    hostNetwork: spec?.hostNetwork === true,
  };
}

function podEndpoint(p: Pod, tables: EndpointTables, families: IpFamilies): Endpoint {
  const namespace = nsOf(p.metadata);
  const owner = podPeer(p);
  return {
    kind: 'pod',
    peer: tables.peers.of(namespace, owner.name, owner.kind),
    namespace,
    nsLabels: labelsOfNamespace(tables.namespaces, namespace),
    labels: p.metadata?.labels ?? {},
    namedPorts: namedPortsOf(p.spec),
    ips: podIps(p, families),
    hostNetwork: p.spec?.hostNetwork === true,
  };
}

type ExternalRanges = Pick<Model, 'externals' | 'sourceExternals' | 'destinationExternals'>;

/** The address spans the outside world is made of. */
export function universeOf(families: IpFamilies): readonly IpInterval[] {
  return families === 'Dual' ? [IPV4_SPACE, IPV6_SPACE] : [IPV4_SPACE];
}

function externalRanges(policies: readonly CompiledPolicy[], universe: readonly IpInterval[]): ExternalRanges {
  // As the oracle does, sources are cut only by ingress ipBlocks and destinations only by egress
  // ipBlocks, so a range is never split by boundaries that cannot matter in its direction. For
  // classing pod IPs (ipBlockMatchesPods) the ranges of both directions are used together.
  const sources = atomPartition(policies.flatMap((p) => p.ingressIpBlocks), universe);
  const destinations = atomPartition(policies.flatMap((p) => p.egressIpBlocks), universe);
  const key = (r: IpInterval): string => `${r[0]}-${r[1]}`;
  const byKey = new Map<string, IpInterval>();
  for (const r of [...sources, ...destinations]) byKey.set(key(r), r);
  const externals = [...byKey.values()].sort(compareIntervals);
  const index = new Map(externals.map((r, i) => [key(r), i]));
  return {
    externals,
    sourceExternals: sources.map((r) => index.get(key(r)) as number),
    destinationExternals: destinations.map((r) => index.get(key(r)) as number),
  };
}

/**
 * buildModel turns cluster facts into the analysis model. Namespaces that are referenced but not
 * defined exist with only their `kubernetes.io/metadata.name` label; objects without a namespace
 * are in `default`. Throws on a NetworkPolicy that could not pass API validation.
 */
export function buildModel(facts: ClusterFacts, options: AnalysisOptions): Model {
  const namespaces = namespaceLabels(facts.namespaces);
  const tables: EndpointTables = { namespaces, peers: new PeerTable() };
  const endpoints: Endpoint[] = [
    ...facts.workloads.filter(isWorkload).map((w) => workloadEndpoint(w, tables)),
    ...facts.pods.map((p) => podEndpoint(p, tables, options.ipFamilies)),
  ];
  for (const np of facts.networkPolicies) labelsOfNamespace(namespaces, nsOf(np.metadata));
  const policies = compilePolicies(facts.networkPolicies);
  const ranges = externalRanges(policies, universeOf(options.ipFamilies));
  const { peers } = tables.peers;
  const firstExternal = peers.length;
  for (const range of ranges.externals) {
    peers.push({ id: externalPeerId(range), kind: 'External', namespace: '', name: formatIpInterval(range), range });
  }
  return { namespaces, endpoints, peers, firstExternal, ...ranges, policies, options };
}
