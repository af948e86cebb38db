// Exposure: peers that can reach a segment beyond what the segment declared. Policies are
// additive, so any other NetworkPolicy that selects the segment's pods (an allow-all added in the
// namespace, say) can widen it; this finds who gained access, on which ports, and through which
// policies.
import { analyzeModelClasses, type ClassAnalysis } from './analyze.js';
import type { ConnSet } from './connections.js';
import { buildModel, type Endpoint, type Model, type PeerInfo } from './model.js';
import { compilePolicy, evaluateDirection, policySelects, type CompiledPolicy, type Target } from './policy.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts, type LabelSelector, type NetworkPolicyPeer, type NetworkPolicyPort } from './types.js';

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

/** A segment: the pods a component's selector picks in its namespace, and its declared callers. */
export interface Segment {
  namespace: string;
  /** Must not be empty in practice (an empty selector is the whole namespace). */
  podSelector: LabelSelector;
  declaredIngress: readonly DeclaredIngress[];
}

export interface ExposureFinding {
  /** A workload (or ownerless pod) of the segment that can be reached. */
  target: PeerInfo;
  /** The peer that can reach it: a workload, an ownerless pod, or an external IPv4 range. */
  source: PeerInfo;
  /** Allowed connections from source to target beyond what was declared. Never empty. */
  excess: ConnSet;
  /**
   * `namespace/name` of each NetworkPolicy whose ingress rules admit the source to the target on
   * some of the excess connections, sorted. Empty when no policy selects the target for ingress.
   */
  policies: string[];
  /** True when no NetworkPolicy isolates the target for ingress (all traffic is allowed). */
  unisolated: boolean;
}

/** The declaration, evaluated as if it were one more ingress policy on the segment. */
function declaredPolicy(segment: Segment): CompiledPolicy {
  return compilePolicy({
    metadata: { namespace: segment.namespace, name: '(declared)' },
    spec: {
      podSelector: segment.podSelector,
      policyTypes: ['Ingress'],
      ingress: segment.declaredIngress.map((d) => ({ ...(d.from ? { from: d.from } : {}), ...(d.ports ? { ports: d.ports } : {}) })),
    },
  });
}

interface SourceNode {
  node: number;
  target: Target;
}

/** Every node that can be a source: each class, then each external range printed as a source. */
function sourceNodesOf(ca: ClassAnalysis): SourceNode[] {
  const { model } = ca;
  return [
    ...ca.classes.map((c, i) => ({ node: i, target: c })),
    ...model.sourceExternals.map((k) => ({ node: ca.externalNode(k), target: { kind: 'external', range: model.externals[k] } as Target })),
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
  model.sourceExternals.forEach((k) => out.set(ca.externalNode(k), new Set([model.firstExternal + k])));
  return out;
}

/** What one source node gains on one destination class beyond the declaration. */
interface Excess {
  excess: ConnSet;
  policies: string[];
  unisolated: boolean;
}

function excessOf(ca: ClassAnalysis, declared: CompiledPolicy, d: number, source: SourceNode): Excess | undefined {
  const opts = ca.model.options;
  const dst = ca.classes[d] as Endpoint;
  const actual = ca.conn(source.node, d);
  if (actual.isEmpty()) return undefined;
  const excess = actual.subtract(evaluateDirection([declared], 'Ingress', dst, source.target, opts).allowed);
  if (excess.isEmpty()) return undefined;
  const verdict = evaluateDirection(ca.model.policies, 'Ingress', dst, source.target, opts);
  const policies = verdict.policies.filter((p) => !p.allowed.intersect(excess).isEmpty()).map((p) => p.policy.id);
  return { excess, policies, unisolated: !verdict.isolated };
}

/** Adds `found` to the finding of every (target peer, source peer) pair the two nodes stand for. */
function record(findings: Map<string, ExposureFinding>, model: Model, targets: Iterable<number>, sources: Iterable<number>, found: Excess): void {
  for (const tp of targets) {
    for (const sp of sources) {
      if (tp !== sp) merge(findings, model, tp, sp, found);
    }
  }
}

function merge(findings: Map<string, ExposureFinding>, model: Model, tp: number, sp: number, found: Excess): void {
  const key = `${tp}:${sp}`;
  const prev = findings.get(key);
  findings.set(key, {
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

/**
 * findExposure returns, for every pod of `segment`, every peer (other workloads and pods, and the
 * external ranges of the ingress ipBlock partition) that NetworkPolicy v1 lets reach it with
 * connections beyond `segment.declaredIngress`, with the policies responsible. The source's egress
 * policies are honoured: a peer whose own egress forbids the connection is not exposed. Findings
 * are aggregated per (target, source) peer pair and sorted by target then source id. Pure; throws
 * on an invalid NetworkPolicy in `facts`.
 */
export function findExposure(facts: ClusterFacts, segment: Segment, options?: Partial<AnalysisOptions>): ExposureFinding[] {
  const opts = withDefaults(options);
  const model = buildModel(facts, opts);
  const ca = analyzeModelClasses(model);
  const declared = declaredPolicy(segment);
  const sources = sourceNodesOf(ca);
  const peersOfNode = peersOfNodes(ca);
  const findings = new Map<string, ExposureFinding>();
  for (let d = 0; d < ca.classes.length; d++) {
    if (!policySelects(declared, ca.classes[d] as Endpoint, opts)) continue;
    for (const source of sources) {
      const found = excessOf(ca, declared, d, source);
      if (found !== undefined) record(findings, model, peersOfNode.get(d) ?? [], peersOfNode.get(source.node) ?? [], found);
    }
  }
  return [...findings.values()].sort((a, b) => compareText(a.target.id, b.target.id) || compareText(a.source.id, b.source.id));
}
