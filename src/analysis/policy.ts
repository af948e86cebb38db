// NetworkPolicy v1 compiled into a form that is quick to evaluate, and the per-direction semantics:
// which policies isolate a pod, which of their rules admit a peer, and on which ports.
import { ConnSet, PROTOCOLS, type Protocol } from './connections.js';
import { anyIpIn, containedIn, cidrInterval, subtractIpIntervals, type IpInterval } from './ip.js';
import { selectorMatches, validateSelector } from './selectors.js';
import type { IPBlock, LabelSelector, Labels, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../api/kubernetes.js';
import type { AnalysisOptions } from './types.js';

/** One entry of a rule's from/to list. */
export type CompiledPeer =
  | {
      kind: 'selector';
      /** Absent: the policy's own namespace. Present (even empty): namespaces it matches. */
      namespaceSelector?: LabelSelector;
      /** Absent: every pod of the selected namespaces. */
      podSelector?: LabelSelector;
    }
  | {
      kind: 'ipBlock';
      cidr: string;
      except: readonly string[];
      /** The cidr minus its excepts, of the cidr's family (an except of the other family removes nothing). */
      ranges: readonly IpInterval[];
    };

export interface CompiledPort {
  protocol: Protocol;
  /** Absent: every port of the protocol. */
  port?: number;
  endPort?: number;
  /** A named container port, resolved against the destination pod. */
  name?: string;
}

export interface CompiledRule {
  /** 1-based position in the policy's ingress or egress list, as printed in explanations. */
  index: number;
  /** Empty: the rule matches every peer (from/to absent or empty). */
  peers: readonly CompiledPeer[];
  /** Absent: every port of every protocol (ports absent or empty). */
  ports?: readonly CompiledPort[];
  /** Precomputed when the rule has no named ports. */
  fixedPorts?: ConnSet;
}

export interface CompiledPolicy {
  namespace: string;
  name: string;
  /** `namespace/name`. */
  id: string;
  podSelector: LabelSelector;
  /** Undefined when the policy does not affect that direction. */
  ingress?: readonly CompiledRule[];
  egress?: readonly CompiledRule[];
  /** The address set (cidr minus except) of every ipBlock in ingress rules. */
  ingressIpBlocks: readonly (readonly IpInterval[])[];
  /** The same for egress rules. */
  egressIpBlocks: readonly (readonly IpInterval[])[];
}

/** The far end of a connection, as a rule sees it. */
export type Target =
  | { kind: 'pod'; namespace: string; nsLabels: Labels; labels: Labels; namedPorts: ReadonlyMap<string, readonly { protocol: Protocol; port: number }[]>; ips?: readonly bigint[]; hostNetwork: boolean }
  | { kind: 'external'; range: IpInterval };

function compileProtocol(p: NetworkPolicyPort, where: string): Protocol {
  const protocol = (p.protocol ?? 'TCP').toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new Error(`${where}: unsupported protocol "${p.protocol}"`);
  return protocol as Protocol;
}

/** A numbered port, with its range if any; a string of digits is read as a number, not a name. */
function compileNumberedPort(p: NetworkPolicyPort, where: string): { port: number; endPort?: number } {
  const port = Number(p.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where}: port ${p.port} is out of range 1-65535`);
  if (p.endPort === undefined || p.endPort === null) return { port };
  if (!Number.isInteger(p.endPort) || p.endPort < port || p.endPort > 65535) {
    throw new Error(`${where}: endPort ${p.endPort} must be between port ${port} and 65535`);
  }
  return { port, endPort: p.endPort };
}

function compilePort(p: NetworkPolicyPort, where: string): CompiledPort {
  const protocol = compileProtocol(p, where);
  if (p.port === undefined || p.port === null) return { protocol };
  if (typeof p.port === 'number' || /^\d+$/.test(p.port)) return { protocol, ...compileNumberedPort(p, where) };
  return { protocol, name: p.port };
}

function compileIpBlockPeer(p: NetworkPolicyPeer, ipBlock: IPBlock, where: string): CompiledPeer {
  if (p.podSelector !== undefined || p.namespaceSelector !== undefined) {
    throw new Error(`${where}: ipBlock cannot be combined with podSelector or namespaceSelector`);
  }
  // Both families are compiled; which of them the outside world and the pods' IPs are made of is
  // the model's choice (AnalysisOptions.ipFamilies), so an IPv6 block is inert in IPv4 mode.
  const cidr = ipBlock.cidr ?? '';
  const except = ipBlock.except ?? [];
  return { kind: 'ipBlock', cidr, except, ranges: ipBlockRanges(cidr, except, where) };
}

/**
 * The address set of recently compiled ipBlocks, by cidr and excepts: clusters repeat the same
 * ranges in many policies, and parsing them was most of compiling 10,000 policies. Only blocks that
 * compiled are kept (an invalid one throws with its own policy's name each time); the ranges are
 * never mutated. Bounded: cleared when full.
 */
const IP_BLOCK_RANGES = new Map<string, readonly IpInterval[]>();
const IP_BLOCK_RANGES_MAX = 4096;

function ipBlockRanges(cidr: string, except: readonly string[], where: string): readonly IpInterval[] {
  const key = JSON.stringify([cidr, except]);
  let ranges = IP_BLOCK_RANGES.get(key);
  if (ranges === undefined) {
    const range = (text: string): IpInterval => withWhere(where, () => cidrInterval(text));
    ranges = subtractIpIntervals([range(cidr)], except.map(range));
    if (IP_BLOCK_RANGES.size >= IP_BLOCK_RANGES_MAX) IP_BLOCK_RANGES.clear();
    IP_BLOCK_RANGES.set(key, ranges);
  }
  return ranges;
}

/** Runs `f`, prefixing the message of what it throws with `where`. */
function withWhere<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function compileSelectorPeer(p: NetworkPolicyPeer, where: string): CompiledPeer {
  if (p.podSelector === undefined && p.namespaceSelector === undefined) {
    throw new Error(`${where}: a peer needs podSelector, namespaceSelector or ipBlock`);
  }
  if (p.podSelector) validateSelector(p.podSelector, `${where}.podSelector`);
  if (p.namespaceSelector) validateSelector(p.namespaceSelector, `${where}.namespaceSelector`);
  return {
    kind: 'selector',
    ...(p.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : {}),
    ...(p.podSelector ? { podSelector: p.podSelector } : {}),
  };
}

function compilePeer(p: NetworkPolicyPeer, where: string): CompiledPeer {
  if (p.ipBlock !== undefined && p.ipBlock !== null) return compileIpBlockPeer(p, p.ipBlock, where);
  return compileSelectorPeer(p, where);
}

function compileRule(peers: readonly NetworkPolicyPeer[] | undefined, ports: readonly NetworkPolicyPort[] | undefined, index: number, where: string): CompiledRule {
  const cPeers = (peers ?? []).map((p, i) => compilePeer(p, `${where}.peers[${i}]`));
  if (ports === undefined || ports === null || ports.length === 0) return { index, peers: cPeers, fixedPorts: ConnSet.all() };
  const cPorts = ports.map((p, i) => compilePort(p, `${where}.ports[${i}]`));
  const rule: CompiledRule = { index, peers: cPeers, ports: cPorts };
  if (cPorts.every((p) => p.name === undefined)) rule.fixedPorts = resolvePorts(rule, undefined);
  return rule;
}

type PolicySpec = NonNullable<NetworkPolicy['spec']>;

function policyTypesOf(spec: PolicySpec, where: string): readonly string[] {
  const types = spec.policyTypes ?? (spec.egress !== undefined && spec.egress !== null && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
  for (const t of types) {
    if (t !== 'Ingress' && t !== 'Egress') throw new Error(`${where}: unknown policyType "${t}"`);
  }
  return types;
}

function policyIdentity(np: NetworkPolicy): { namespace: string; name: string; id: string } {
  const namespace = np.metadata?.namespace || 'default';
  const name = np.metadata?.name ?? '';
  return { namespace, name, id: `${namespace}/${name}` };
}

function ipBlocksOf(rules: readonly CompiledRule[]): (readonly IpInterval[])[] {
  return rules.flatMap((r) => r.peers.flatMap((p) => (p.kind === 'ipBlock' ? [p.ranges] : [])));
}

/**
 * compilePolicy validates and compiles one NetworkPolicy. policyTypes, when absent, is inferred as
 * the API server does: Ingress always, Egress when the policy has egress rules.
 */
export function compilePolicy(np: NetworkPolicy): CompiledPolicy {
  const { namespace, name, id } = policyIdentity(np);
  const spec = np.spec ?? {};
  const where = `NetworkPolicy ${id}`;
  const podSelector = spec.podSelector ?? {};
  validateSelector(podSelector, `${where}: spec.podSelector`);
  const types = policyTypesOf(spec, where);
  const ingress = (spec.ingress ?? []).map((r, i) => compileRule(r.from, r.ports, i + 1, `${where}: spec.ingress[${i}]`));
  const egress = (spec.egress ?? []).map((r, i) => compileRule(r.to, r.ports, i + 1, `${where}: spec.egress[${i}]`));
  const policy: CompiledPolicy = {
    namespace,
    name,
    id,
    podSelector,
    ingressIpBlocks: ipBlocksOf(ingress),
    egressIpBlocks: ipBlocksOf(egress),
  };
  if (types.includes('Ingress')) policy.ingress = ingress;
  if (types.includes('Egress')) policy.egress = egress;
  return policy;
}

export function compilePolicies(nps: readonly NetworkPolicy[]): CompiledPolicy[] {
  const seen = new Set<string>();
  const out: CompiledPolicy[] = [];
  for (const np of nps) {
    const c = compilePolicy(np);
    if (seen.has(c.id)) throw new Error(`NetworkPolicy ${c.id} is defined twice`);
    seen.add(c.id);
    out.push(c);
  }
  return out;
}

/** Whether pod/namespace selectors may see this pod at all (hostNetwork switch). */
export function selectablePod(t: { hostNetwork: boolean }, opts: AnalysisOptions): boolean {
  return opts.hostNetworkPodsAreOrdinary || !t.hostNetwork;
}

/** Whether the policy's spec.podSelector selects the pod (and so isolates it). */
export function policySelects(p: CompiledPolicy, t: Target, opts: AnalysisOptions): boolean {
  return t.kind === 'pod' && t.namespace === p.namespace && selectablePod(t, opts) && selectorMatches(p.podSelector, t.labels);
}

/** Whether one from/to entry matches the peer. `policyNs` is the policy's namespace. */
export function peerMatches(peer: CompiledPeer, t: Target, policyNs: string, opts: AnalysisOptions): boolean {
  if (peer.kind === 'ipBlock') {
    if (t.kind === 'external') return containedIn(t.range, peer.ranges);
    return opts.ipBlockMatchesPods && t.ips !== undefined && anyIpIn(t.ips, peer.ranges);
  }
  if (t.kind !== 'pod' || !selectablePod(t, opts)) return false;
  const nsOk = peer.namespaceSelector === undefined ? t.namespace === policyNs : selectorMatches(peer.namespaceSelector, t.nsLabels);
  return nsOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, t.labels));
}

/** Whether the rule's from/to list admits the peer (an empty list admits everything). */
export function ruleMatches(rule: CompiledRule, t: Target, policyNs: string, opts: AnalysisOptions): boolean {
  return rule.peers.length === 0 || rule.peers.some((p) => peerMatches(p, t, policyNs, opts));
}

/**
 * The connections a rule's ports allow towards `dst`. Named ports resolve against the container
 * ports of the destination pod with the same name and protocol; towards an external range (or an
 * unknown destination) a named port resolves to nothing.
 */
export function resolvePorts(rule: CompiledRule, dst: Target | undefined): ConnSet {
  if (rule.fixedPorts !== undefined) return rule.fixedPorts;
  let acc = ConnSet.empty();
  for (const p of rule.ports ?? []) acc = acc.union(portConns(p, dst));
  return acc;
}

function portConns(p: CompiledPort, dst: Target | undefined): ConnSet {
  if (p.name !== undefined) return namedPortConns(p.name, p.protocol, dst);
  if (p.port === undefined) return ConnSet.protocol(p.protocol);
  return ConnSet.ports(p.protocol, p.port, p.endPort ?? p.port);
}

function namedPortConns(name: string, protocol: Protocol, dst: Target | undefined): ConnSet {
  if (dst?.kind !== 'pod') return ConnSet.empty();
  let acc = ConnSet.empty();
  for (const np of dst.namedPorts.get(name) ?? []) {
    if (np.protocol === protocol) acc = acc.union(ConnSet.ports(protocol, np.port));
  }
  return acc;
}

export type Direction = 'Ingress' | 'Egress';

export interface RuleVerdict {
  index: number;
  /** Whether the rule's from/to admits the peer. */
  peerMatches: boolean;
  /** What the rule allows towards the destination (empty when the peer does not match). */
  allowed: ConnSet;
}

export interface PolicyVerdict {
  policy: CompiledPolicy;
  rules: RuleVerdict[];
  allowed: ConnSet;
}

export interface DirectionVerdict {
  direction: Direction;
  /** False: no policy selects the pod in this direction (or the end is external): all allowed. */
  isolated: boolean;
  policies: PolicyVerdict[];
  allowed: ConnSet;
}

/**
 * evaluateDirection applies every policy of one direction to one pair. For Ingress `self` is the
 * destination pod and `other` the source; for Egress `self` is the source and `other` the
 * destination. Ports always resolve against the destination.
 */
export function evaluateDirection(
  policies: readonly CompiledPolicy[],
  direction: Direction,
  self: Target,
  other: Target,
  opts: AnalysisOptions,
): DirectionVerdict {
  const verdicts: PolicyVerdict[] = [];
  let allowed = ConnSet.empty();
  const dst = direction === 'Ingress' ? self : other;
  for (const p of policies) {
    const rules = direction === 'Ingress' ? p.ingress : p.egress;
    if (rules === undefined || !policySelects(p, self, opts)) continue;
    const rv: RuleVerdict[] = rules.map((r) => {
      const m = ruleMatches(r, other, p.namespace, opts);
      return { index: r.index, peerMatches: m, allowed: m ? resolvePorts(r, dst) : ConnSet.empty() };
    });
    const pAllowed = rv.reduce((acc, r) => acc.union(r.allowed), ConnSet.empty());
    verdicts.push({ policy: p, rules: rv, allowed: pAllowed });
    allowed = allowed.union(pAllowed);
  }
  if (verdicts.length === 0) return { direction, isolated: false, policies: [], allowed: ConnSet.all() };
  return { direction, isolated: true, policies: verdicts, allowed };
}

/**
 * The connections allowed from `src` to `dst`: egress of the source and ingress of the
 * destination must both allow. An external end is not governed by any policy.
 */
export function pairConnections(policies: readonly CompiledPolicy[], src: Target, dst: Target, opts: AnalysisOptions): ConnSet {
  const egress = src.kind === 'pod' ? evaluateDirection(policies, 'Egress', src, dst, opts).allowed : ConnSet.all();
  if (egress.isEmpty()) return egress;
  const ingress = dst.kind === 'pod' ? evaluateDirection(policies, 'Ingress', dst, src, opts).allowed : ConnSet.all();
  return egress.intersect(ingress);
}
