// Exposure: peers that can reach a segment beyond what the segment declared. Policies are
// additive, so any other NetworkPolicy that selects the segment's pods (an allow-all added in the
// namespace, say) can widen it; this finds who gained access, on which ports, and through which
// policies.
import { analyzeModelClasses } from './analyze.js';
import { ConnSet } from './connections.js';
import { buildModel, type Endpoint, type PeerInfo } from './model.js';
import { compilePolicy, evaluateDirection, policySelects, type Target } from './policy.js';
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
  // The declaration is evaluated as if it were one more ingress policy on the segment.
  const declared = compilePolicy({
    metadata: { namespace: segment.namespace, name: '(declared)' },
    spec: {
      podSelector: segment.podSelector,
      policyTypes: ['Ingress'],
      ingress: segment.declaredIngress.map((d) => ({ ...(d.from ? { from: d.from } : {}), ...(d.ports ? { ports: d.ports } : {}) })),
    },
  });
  const n = ca.classes.length;
  const sourceNodes: { node: number; target: Target }[] = [
    ...ca.classes.map((c, i) => ({ node: i, target: c })),
    ...model.sourceExternals.map((k) => ({ node: ca.externalNode(k), target: { kind: 'external', range: model.externals[k] } as Target })),
  ];
  const peersOfNode = new Map<number, Set<number>>();
  model.endpoints.forEach((e, i) => {
    const c = ca.classOf[i] as number;
    const set = peersOfNode.get(c) ?? new Set<number>();
    set.add(e.peer);
    peersOfNode.set(c, set);
  });
  model.sourceExternals.forEach((k) => peersOfNode.set(ca.externalNode(k), new Set([model.firstExternal + k])));

  const findings = new Map<string, ExposureFinding>();
  for (let d = 0; d < n; d++) {
    const dst = ca.classes[d] as Endpoint;
    if (!policySelects(declared, dst, opts)) continue;
    for (const { node: s, target: src } of sourceNodes) {
      const actual = ca.conn(s, d);
      if (actual.isEmpty()) continue;
      const excess = actual.subtract(evaluateDirection([declared], 'Ingress', dst, src, opts).allowed);
      if (excess.isEmpty()) continue;
      const verdict = evaluateDirection(model.policies, 'Ingress', dst, src, opts);
      const policies = verdict.policies.filter((p) => !p.allowed.intersect(excess).isEmpty()).map((p) => p.policy.id);
      for (const tp of peersOfNode.get(d) ?? []) {
        for (const sp of peersOfNode.get(s) ?? []) {
          if (tp === sp) continue;
          const key = `${tp}:${sp}`;
          const prev = findings.get(key);
          findings.set(key, {
            target: model.peers[tp] as PeerInfo,
            source: model.peers[sp] as PeerInfo,
            excess: prev ? prev.excess.union(excess) : excess,
            policies: [...new Set([...(prev?.policies ?? []), ...policies])].sort(),
            unisolated: (prev?.unisolated ?? false) || !verdict.isolated,
          });
        }
      }
    }
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...findings.values()].sort((a, b) => cmp(a.target.id, b.target.id) || cmp(a.source.id, b.source.id));
}
