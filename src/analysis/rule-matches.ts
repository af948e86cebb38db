// Which nodes a rule's from/to list admits. Nodes are the equivalence classes (0..n-1), then the
// external ranges (n + k is model.externals[k]). Each rule is matched once against every node,
// so the cost follows rules × classes, not pairs of pods.
import type { ClassIndex } from './equivalence-classes.js';
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
  private readonly byPeer = new Map<string, readonly number[]>();
  /** By the selector's JSON: policies repeat the same namespaceSelector in objects of their own. */
  private readonly namespacesBySelector = new Map<string, readonly string[]>();
  private readonly allNodes: readonly number[];

  constructor(
    private readonly model: Model,
    private readonly classes: readonly Endpoint[],
    private readonly index: ClassIndex,
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
    const only = rule.peers.length === 1 ? rule.peers[0] : undefined;
    if (only?.kind === 'selector') return this.selected(only, policyNs);
    // A set of the matches rather than a mark per node: a rule usually admits a few nodes of
    // thousands, and visiting every node per rule was most of the analysis at 10,000 policies.
    const found = new Set<number>();
    for (const peer of rule.peers) {
      if (peer.kind === 'ipBlock') this.markIpBlock(peer, found);
      else this.markSelected(peer, policyNs, found);
    }
    return [...found].sort((a, b) => a - b);
  }

  private markIpBlock(peer: IpBlockPeer, found: Set<number>): void {
    const n = this.classes.length;
    this.model.externals.forEach((range, k) => {
      if (containedIn(range, peer.ranges)) found.add(n + k);
    });
    if (!this.model.options.ipBlockMatchesPods) return;
    this.classes.forEach((c, i) => {
      if (anyIpIn(c.ips, peer.ranges)) found.add(i);
    });
  }

  private markSelected(peer: SelectorPeer, policyNs: string, found: Set<number>): void {
    for (const i of this.selected(peer, policyNs)) found.add(i);
  }

  /**
   * The classes a selector peer admits, ascending; cached by the peer's content, since many
   * policies repeat a peer (the frontends of a team's namespaces, the monitoring namespace): a
   * peer with a namespaceSelector admits the same classes from any namespace, one without it
   * those of the policy's namespace.
   */
  private selected(peer: SelectorPeer, policyNs: string): readonly number[] {
    const ns = peer.namespaceSelector === undefined ? policyNs : '';
    const key = `${ns}\u0000${JSON.stringify(peer.namespaceSelector ?? null)}\u0000${JSON.stringify(peer.podSelector ?? null)}`;
    let r = this.byPeer.get(key);
    if (r === undefined) {
      const nss = peer.namespaceSelector === undefined ? [policyNs] : this.namespacesMatching(peer.namespaceSelector);
      // Each class is in one namespace, and the namespaces are distinct: no duplicates.
      r = nss.flatMap((n) => this.index.candidates(n, peer.podSelector).filter((i) => this.podSelected(this.classes[i] as Endpoint, peer.podSelector))).sort((a, b) => a - b);
      this.byPeer.set(key, r);
    }
    return r;
  }

  private podSelected(c: Endpoint, podSelector: LabelSelector | undefined): boolean {
    return selectablePod(c, this.model.options) && (podSelector === undefined || selectorMatches(podSelector, c.labels));
  }

  /** Namespaces with at least one class whose labels `sel` matches (cached per selector). */
  private namespacesMatching(sel: LabelSelector): readonly string[] {
    const key = JSON.stringify(sel);
    let r = this.namespacesBySelector.get(key);
    if (r === undefined) {
      r = [...this.index.byNamespace.keys()].filter((ns) => selectorMatches(sel, this.model.namespaces.get(ns) ?? {}));
      this.namespacesBySelector.set(key, r);
    }
    return r;
  }
}
