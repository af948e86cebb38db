// Which nodes a rule's from/to list admits. Nodes are the equivalence classes (0..n-1), then the
// external ranges (n + k is model.externals[k]). Each rule is matched once against every node,
// so the cost follows rules × classes, not pairs of pods.
import { anyIpIn, containedIn } from './ip.js';
import type { Endpoint, Model } from './model.js';
import { selectablePod, type CompiledPeer, type CompiledRule } from './policy.js';
import { selectorMatches } from './selectors.js';
import type { LabelSelector } from '../api/kubernetes.js';

type IpBlockPeer = Extract<CompiledPeer, { kind: 'ipBlock' }>;
type SelectorPeer = Extract<CompiledPeer, { kind: 'selector' }>;

/**
 * RuleMatches caches, per rule, the ascending list of nodes its peers admit. Rules are keyed by
 * identity: a compiled rule belongs to one policy, so its namespace never varies between calls.
 */
export class RuleMatches {
  private readonly byRule = new Map<CompiledRule, readonly number[]>();
  private readonly namespacesBySelector = new Map<LabelSelector, readonly string[]>();
  private readonly allNodes: readonly number[];

  constructor(
    private readonly model: Model,
    private readonly classes: readonly Endpoint[],
    private readonly classesByNs: ReadonlyMap<string, readonly number[]>,
  ) {
    this.allNodes = Array.from({ length: classes.length + model.externals.length }, (_, i) => i);
  }

  /** The nodes `rule` (of a policy in `policyNs`) admits. */
  of(rule: CompiledRule, policyNs: string): readonly number[] {
    let r = this.byRule.get(rule);
    if (r === undefined) {
      r = this.compute(rule, policyNs);
      this.byRule.set(rule, r);
    }
    return r;
  }

  private compute(rule: CompiledRule, policyNs: string): readonly number[] {
    if (rule.peers.length === 0) return this.allNodes;
    // One byte per node rather than a Set: peers overlap, and the marks come out already sorted.
    const mark = new Uint8Array(this.allNodes.length);
    for (const peer of rule.peers) {
      if (peer.kind === 'ipBlock') this.markIpBlock(peer, mark);
      else this.markSelected(peer, policyNs, mark);
    }
    const out: number[] = [];
    for (let i = 0; i < mark.length; i++) if (mark[i] === 1) out.push(i);
    return out;
  }

  private markIpBlock(peer: IpBlockPeer, mark: Uint8Array): void {
    const n = this.classes.length;
    this.model.externals.forEach((range, k) => {
      if (containedIn(range, peer.ranges)) mark[n + k] = 1;
    });
    if (!this.model.options.ipBlockMatchesPods) return;
    this.classes.forEach((c, i) => {
      if (anyIpIn(c.ips, peer.ranges)) mark[i] = 1;
    });
  }

  private markSelected(peer: SelectorPeer, policyNs: string, mark: Uint8Array): void {
    const nss = peer.namespaceSelector === undefined ? [policyNs] : this.namespacesMatching(peer.namespaceSelector);
    for (const ns of nss) {
      for (const i of this.classesByNs.get(ns) ?? []) {
        if (mark[i] === 0 && this.podSelected(this.classes[i] as Endpoint, peer.podSelector)) mark[i] = 1;
      }
    }
  }

  private podSelected(c: Endpoint, podSelector: LabelSelector | undefined): boolean {
    return selectablePod(c, this.model.options) && (podSelector === undefined || selectorMatches(podSelector, c.labels));
  }

  /** Namespaces with at least one class whose labels `sel` matches (cached per selector object). */
  private namespacesMatching(sel: LabelSelector): readonly string[] {
    let r = this.namespacesBySelector.get(sel);
    if (r === undefined) {
      r = [...this.classesByNs.keys()].filter((ns) => selectorMatches(sel, this.model.namespaces.get(ns) ?? {}));
      this.namespacesBySelector.set(sel, r);
    }
    return r;
  }
}
