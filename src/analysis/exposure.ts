// Exposure: peers that can reach a segment, or that the segment can reach, beyond what the segment
// declared. Policies are additive, so any other NetworkPolicy that selects the segment's pods (an
// allow-all added in the namespace, say) can widen it in either direction: callers nobody declared,
// or a way out for a dataset that was meant to have none. This finds who gained access, on which
// ports, and through which policies.
import { analyzeModelClasses, type ClassAnalysis } from './analyze.js';
import type { ConnSet } from './connections.js';
import { buildModel, peerSortKey, type Endpoint, type Model, type PeerInfo } from './model.js';
import { compilePolicy, evaluateDirection, policySelects, type CompiledPolicy, type Direction, type Target } from './policy.js';
import type { LabelSelector, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort } from '../api/kubernetes.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts } from './types.js';

/** One declared caller of a segment, in NetworkPolicy ingress-rule terms. */
export interface DeclaredIngress {
  /**
   * Who may call, with NetworkPolicy peer semantics: a podSelector alone means the segment's
   * namespace; namespaceSelector+podSelector in one peer is AND; an ipBlock declares an external
   * range. Empty or absent: any caller.
   */
  from?: readonly NetworkPolicyPeer[];
  /** On which ports; named ports resolve against the segment's pods. Empty or absent: all. */
  ports?: readonly NetworkPolicyPort[];
}

/** A segment: the pods a component's selector picks in its namespace, and what it declared. */
export interface Segment {
  namespace: string;
  /** Must not be empty in practice (an empty selector is the whole namespace). */
  podSelector: LabelSelector;
  declaredIngress: readonly DeclaredIngress[];
  /**
   * The destinations the segment declared, as NetworkPolicy egress rules (an empty list: none).
   * Absent: egress is not checked.
   */
  declaredEgress?: readonly NetworkPolicyEgressRule[];
}

export interface ExposureFinding {
  /**
   * Ingress: an undeclared peer can reach the segment (`target` is the segment's). Egress: the
   * segment can reach an undeclared destination (`source` is the segment's).
   */
  direction: Direction;
  /** Where the connection goes: a workload, an ownerless pod, or an external address range. */
  target: PeerInfo;
  /** Where the connection comes from: a workload, an ownerless pod, or an external address range. */
  source: PeerInfo;
  /** Allowed connections from source to target beyond what was declared. Never empty. */
  excess: ConnSet;
  /**
   * `namespace/name` of each NetworkPolicy whose rules in `direction` admit the pair on some of
   * the excess connections, sorted. Empty when no policy isolates the segment in that direction.
   */
  policies: string[];
  /** True when no NetworkPolicy isolates the segment's pod in `direction` (all is allowed). */
  unisolated: boolean;
}

/** The declaration, evaluated as if it were one more policy on the segment. */
function declaredPolicy(segment: Segment): CompiledPolicy {
  const egress = segment.declaredEgress;
  return compilePolicy({
    metadata: { namespace: segment.namespace, name: '(declared)' },
    spec: {
      podSelector: segment.podSelector,
      policyTypes: egress === undefined ? ['Ingress'] : ['Ingress', 'Egress'],
      ingress: segment.declaredIngress.map((d) => ({ ...(d.from ? { from: d.from } : {}), ...(d.ports ? { ports: d.ports } : {}) })),
      ...(egress === undefined ? {} : { egress }),
    },
  });
}

/** A node of the class analysis (a class or an external range) and what it is to a policy. */
interface FarNode {
  node: number;
  target: Target;
}

/** The nodes of the given external ranges. */
function externalNodes(ca: ClassAnalysis, ranges: readonly number[]): FarNode[] {
  return ranges.map((k) => ({ node: ca.externalNode(k), target: { kind: 'external', range: ca.model.externals[k] } as Target }));
}

/** Every node at the far end of `direction`: each class, then each external range printed there. */
function farNodesOf(ca: ClassAnalysis, direction: Direction): FarNode[] {
  const { model } = ca;
  return [
    ...ca.classes.map((c, i) => ({ node: i, target: c })),
    ...externalNodes(ca, direction === 'Ingress' ? model.sourceExternals : model.destinationExternals),
  ];
}

/** The peers each node stands for (a class may hold pods of several workloads). */
function peersOfNodes(ca: ClassAnalysis): Map<number, Set<number>> {
  const { model } = ca;
  const out = new Map<number, Set<number>>();
  model.endpoints.forEach((e, i) => {
    const c = ca.classOf[i] as number;
    const set = out.get(c) ?? new Set<number>();
    set.add(e.peer);
    out.set(c, set);
  });
  model.externals.forEach((_, k) => out.set(ca.externalNode(k), new Set([model.firstExternal + k])));
  return out;
}

/** What one far node gains with one class of the segment beyond the declaration. */
interface Excess {
  direction: Direction;
  excess: ConnSet;
  policies: string[];
  unisolated: boolean;
}

function excessOf(ca: ClassAnalysis, declared: CompiledPolicy, direction: Direction, m: number, far: FarNode): Excess | undefined {
  const opts = ca.model.options;
  const member = ca.classes[m] as Endpoint;
  const actual = direction === 'Ingress' ? ca.conn(far.node, m) : ca.conn(m, far.node);
  if (actual.isEmpty()) return undefined;
  const excess = actual.subtract(evaluateDirection([declared], direction, member, far.target, opts).allowed);
  if (excess.isEmpty()) return undefined;
  const verdict = evaluateDirection(ca.model.policies, direction, member, far.target, opts);
  const policies = verdict.policies.filter((p) => !p.allowed.intersect(excess).isEmpty()).map((p) => p.policy.id);
  return { direction, excess, policies, unisolated: !verdict.isolated };
}

/** Adds `found` to the finding of every (segment peer, far peer) pair the two nodes stand for. */
function record(findings: Map<string, ExposureFinding>, model: Model, members: Iterable<number>, fars: Iterable<number>, found: Excess): void {
  for (const mp of members) {
    for (const fp of fars) {
      if (mp === fp) continue;
      const [tp, sp] = found.direction === 'Ingress' ? [mp, fp] : [fp, mp];
      merge(findings, model, tp, sp, found);
    }
  }
}

function merge(findings: Map<string, ExposureFinding>, model: Model, tp: number, sp: number, found: Excess): void {
  const key = `${found.direction}:${tp}:${sp}`;
  const prev = findings.get(key);
  findings.set(key, {
    direction: found.direction,
    target: model.peers[tp] as PeerInfo,
    source: model.peers[sp] as PeerInfo,
    excess: prev ? prev.excess.union(found.excess) : found.excess,
    policies: [...new Set([...(prev?.policies ?? []), ...found.policies])].sort(),
    unisolated: (prev?.unisolated ?? false) || found.unisolated,
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const DIRECTION_ORDER: Record<Direction, number> = { Ingress: 0, Egress: 1 };

/** Ingress findings first, then egress; each sorted by target then source id (IPv6 ranges last). */
function compareFindings(a: ExposureFinding, b: ExposureFinding): number {
  return (
    DIRECTION_ORDER[a.direction] - DIRECTION_ORDER[b.direction] ||
    compareText(peerSortKey(a.target), peerSortKey(b.target)) ||
    compareText(peerSortKey(a.source), peerSortKey(b.source))
  );
}

/** Records the excess of every class of the segment in one direction. */
function scan(ca: ClassAnalysis, declared: CompiledPolicy, direction: Direction, findings: Map<string, ExposureFinding>): void {
  const peersOfNode = peersOfNodes(ca);
  const fars = farNodesOf(ca, direction);
  for (let m = 0; m < ca.classes.length; m++) {
    if (!policySelects(declared, ca.classes[m] as Endpoint, ca.model.options)) continue;
    for (const far of fars) {
      const found = excessOf(ca, declared, direction, m, far);
      if (found !== undefined) record(findings, ca.model, peersOfNode.get(m) ?? [], peersOfNode.get(far.node) ?? [], found);
    }
  }
}

/**
 * findExposure returns, for every pod of `segment`, every peer (other workloads and pods, and the
 * external ranges of the ipBlock partition) that NetworkPolicy v1 lets reach it with connections
 * beyond `segment.declaredIngress` and, when `declaredEgress` is given, every peer it can reach
 * beyond that, with the policies responsible. Both ends count: a peer whose own egress forbids
 * the connection is not exposed, and neither is a destination whose ingress refuses the segment.
 * Findings are aggregated per (direction, target, source) and sorted, ingress first. Pure; throws
 * on an invalid NetworkPolicy in `facts`.
 */
export function findExposure(facts: ClusterFacts, segment: Segment, options?: Partial<AnalysisOptions>): ExposureFinding[] {
  return findExposures(facts, [segment], options)[0] as ExposureFinding[];
}

/**
 * findExposures is findExposure for several segments over one model of the cluster: the model and
 * its classes are the expensive part and do not depend on the segment (the declarations are
 * evaluated beside the policies, not among them), so an AIWorkload's components share them.
 */
export function findExposures(facts: ClusterFacts, segments: readonly Segment[], options?: Partial<AnalysisOptions>): ExposureFinding[][] {
  if (segments.length === 0) return [];
  const ca = analyzeModelClasses(buildModel(facts, withDefaults(options)));
  return segments.map((segment) => {
    const declared = declaredPolicy(segment);
    const findings = new Map<string, ExposureFinding>();
    scan(ca, declared, 'Ingress', findings);
    if (segment.declaredEgress !== undefined) scan(ca, declared, 'Egress', findings);
    return [...findings.values()].sort(compareFindings);
  });
}
