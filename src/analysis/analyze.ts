// The class-based evaluator. Pods that no policy can tell apart form one equivalence class
// (equivalence-classes.ts); policies are evaluated once per class, and each rule's matches are
// computed once against all classes (rule-matches.ts). The cost grows with distinct classes and
// with how many classes rules actually match, not with pods².
import { ConnSet } from './connections.js';
import { sortedConnectivity, type Connection, type Connectivity } from './connectivity.js';
import { ClassIndex, classifyEndpoints } from './equivalence-classes.js';
import { buildModel, type Endpoint, type Model, type PeerInfo } from './model.js';
import { policySelects, resolvePorts, type CompiledPolicy, type CompiledRule, type Target } from './policy.js';
import { RuleMatches } from './rule-matches.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts } from './types.js';

/**
 * ClassAnalysis is the class-level result: `classes[i]` is a representative endpoint of class i,
 * `classOf[e]` the class of endpoint e. Indices at or above `classes.length` in `conn` denote
 * external ranges (`classes.length + k` is `model.externals[k]`).
 */
export interface ClassAnalysis {
  model: Model;
  classes: readonly Endpoint[];
  classOf: readonly number[];
  /** Allowed connections from node `s` to node `d` (classes, then external ranges). */
  conn(s: number, d: number): ConnSet;
  /** The node index of external range k. */
  externalNode(k: number): number;
}

/** analyzeClasses runs the class-based evaluation and returns the class-level result. */
export function analyzeClasses(facts: ClusterFacts, options?: Partial<AnalysisOptions>): ClassAnalysis {
  const opts = withDefaults(options);
  return analyzeModelClasses(buildModel(facts, opts));
}

/**
 * What one class allows in one direction, by far node: `nodes` ascending, `conns[i]` what is
 * allowed to `nodes[i]`. A class with no row (undefined) is not isolated in that direction:
 * everything is allowed. A node missing from a row means nothing is. Sparse, not an array as wide
 * as the nodes: with a default-deny everywhere every class has rows in both directions and most of
 * their cells are empty; and typed, since 10,000 policies give rows of a million cells in all.
 */
interface Row {
  nodes: Int32Array;
  conns: readonly ConnSet[];
}

/**
 * Fills one row at a time, in a scratch array as wide as the nodes that all rows of an analysis
 * share: no map per row, and only the cells a row touched are visited to take it out.
 */
class RowBuilder {
  private readonly cells: (ConnSet | undefined)[];
  private touched: number[] = [];

  constructor(width: number) {
    this.cells = new Array<ConnSet | undefined>(width).fill(undefined);
  }

  add(k: number, c: ConnSet): void {
    if (c.isEmpty()) return;
    const prev = this.cells[k];
    if (prev === undefined) this.touched.push(k);
    this.cells[k] = prev === undefined ? c : prev.union(c);
  }

  /** The row added since the last take; the builder is empty again. */
  take(): Row {
    const nodes = new Int32Array(this.touched).sort();
    const conns = new Array<ConnSet>(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const k = nodes[i] as number;
      conns[i] = this.cells[k] as ConnSet;
      this.cells[k] = undefined;
    }
    this.touched = [];
    return { nodes, conns };
  }
}

/** What the row allows to node `k` (binary search); undefined: nothing. */
function cellOf(row: Row, k: number): ConnSet | undefined {
  let lo = 0;
  let hi = row.nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = row.nodes[mid] as number;
    if (v === k) return row.conns[mid];
    if (v < k) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Policies selecting each class, per direction (a class's list is empty when none isolates it). */
interface SelectedPolicies {
  ingress: CompiledPolicy[][];
  egress: CompiledPolicy[][];
}

function policiesByClass(model: Model, classes: readonly Endpoint[], index: ClassIndex): SelectedPolicies {
  const ingress: CompiledPolicy[][] = classes.map(() => []);
  const egress: CompiledPolicy[][] = classes.map(() => []);
  for (const p of model.policies) {
    for (const i of index.candidates(p.namespace, p.podSelector)) {
      if (!policySelects(p, classes[i] as Endpoint, model.options)) continue;
      if (p.ingress !== undefined) (ingress[i] as CompiledPolicy[]).push(p);
      if (p.egress !== undefined) (egress[i] as CompiledPolicy[]).push(p);
    }
  }
  return { ingress, egress };
}

/** The ingress row of destination class `dst`: ports resolve against `dst`, so once per rule. */
function ingressRow(pols: readonly CompiledPolicy[], dst: Endpoint, matches: RuleMatches, row: RowBuilder): Row {
  for (const p of pols) {
    for (const r of p.ingress ?? []) {
      const ports = resolvePorts(r, dst);
      if (ports.isEmpty()) continue;
      for (const s of matches.of(r, p.namespace)) row.add(s, ports);
    }
  }
  return row.take();
}

/** The egress row of a source class: named ports resolve against each destination node. */
function egressRow(pols: readonly CompiledPolicy[], matches: RuleMatches, targets: readonly Target[], row: RowBuilder): Row {
  for (const p of pols) {
    for (const r of p.egress ?? []) {
      // A rule whose ports can never apply need not be matched at all.
      if (r.fixedPorts?.isEmpty() === true) continue;
      addEgressRule(row, r, matches.of(r, p.namespace), targets);
    }
  }
  return row.take();
}

function addEgressRule(row: RowBuilder, rule: CompiledRule, nodes: readonly number[], targets: readonly Target[]): void {
  const fixed = rule.fixedPorts;
  for (const d of nodes) row.add(d, fixed ?? resolvePorts(rule, targets[d]));
}

/** Egress of the source and ingress of the destination must both allow; external ends have no rows. */
function connOf(n: number, ingressRows: readonly (Row | undefined)[], egressRows: readonly (Row | undefined)[]): (s: number, d: number) => ConnSet {
  const all = ConnSet.all();
  const empty = ConnSet.empty();
  const cell = (row: Row | undefined, k: number): ConnSet => (row === undefined ? all : (cellOf(row, k) ?? empty));
  return (s, d) => {
    const e = s >= n ? all : cell(egressRows[s], d);
    if (e.isEmpty()) return e;
    return d >= n ? e : e.intersect(cell(ingressRows[d], s));
  };
}

export function analyzeModelClasses(model: Model): ClassAnalysis {
  const { classes, classOf } = classifyEndpoints(model);
  const n = classes.length;
  const index = new ClassIndex(classes);
  const targets: Target[] = [...classes, ...model.externals.map((range): Target => ({ kind: 'external', range }))];
  const matches = new RuleMatches(model, classes, index);
  const selected = policiesByClass(model, classes, index);
  const builder = new RowBuilder(targets.length);
  const ingressRows = selected.ingress.map((pols, d) => (pols.length === 0 ? undefined : ingressRow(pols, classes[d] as Endpoint, matches, builder)));
  const egressRows = selected.egress.map((pols) => (pols.length === 0 ? undefined : egressRow(pols, matches, targets, builder)));
  return { model, classes, classOf, conn: connOf(n, ingressRows, egressRows), externalNode: (k) => n + k };
}

/**
 * analyze computes, for every ordered pair of distinct peers (workloads, ownerless pods and
 * external address ranges), the connections NetworkPolicy v1 allows. A peer made of several pods
 * (a ReplicaSet's pods, say) gets the union over its pods. Throws on an invalid NetworkPolicy.
 */
export function analyze(facts: ClusterFacts, options?: Partial<AnalysisOptions>): Connectivity {
  const ca = analyzeClasses(facts, options);
  return connectivityOfClasses(ca);
}

/** The distinct nodes (classes or an external range) each peer stands for. */
function nodesOfPeers(ca: ClassAnalysis): number[][] {
  const { model } = ca;
  const nodesOfPeer: Set<number>[] = model.peers.map(() => new Set<number>());
  model.endpoints.forEach((e, i) => (nodesOfPeer[e.peer] as Set<number>).add(ca.classOf[i] as number));
  model.externals.forEach((_, k) => (nodesOfPeer[model.firstExternal + k] as Set<number>).add(ca.externalNode(k)));
  return nodesOfPeer.map((s) => [...s]);
}

/**
 * Which peers are printed as sources and which as destinations: every in-cluster peer with pods
 * is both, an external range only in the directions whose ipBlocks cut it (see buildModel).
 */
function peerRoles(model: Model, peerNodes: readonly (readonly number[])[]): { canSend: boolean[]; canReceive: boolean[] } {
  const fe = model.firstExternal;
  const canSend = peerNodes.map((nodes, a) => nodes.length > 0 && a < fe);
  const canReceive = model.peers.map((_, b) => b < fe);
  for (const k of model.sourceExternals) canSend[fe + k] = true;
  for (const k of model.destinationExternals) canReceive[fe + k] = true;
  return { canSend, canReceive };
}

/** The union of what any node of one peer may open to any node of the other. */
function peerConn(ca: ClassAnalysis, from: readonly number[], to: readonly number[]): ConnSet {
  // Usually one class per peer; a peer whose pods differ gets the union over its pods.
  let acc = ConnSet.empty();
  for (const s of from) for (const d of to) acc = acc.union(ca.conn(s, d));
  return acc;
}

export function connectivityOfClasses(ca: ClassAnalysis): Connectivity {
  const { model } = ca;
  const peerNodes = nodesOfPeers(ca);
  const { canSend, canReceive } = peerRoles(model, peerNodes);
  const P = model.peers.length;
  const out: Connection[] = [];
  for (let a = 0; a < P; a++) {
    if (!canSend[a]) continue;
    // No policy governs traffic between two external ranges, and the oracle prints none.
    const last = a >= model.firstExternal ? model.firstExternal : P;
    for (let b = 0; b < last; b++) {
      if (a === b || !canReceive[b]) continue;
      const conn = peerConn(ca, peerNodes[a] as number[], peerNodes[b] as number[]);
      if (!conn.isEmpty()) out.push({ src: model.peers[a] as PeerInfo, dst: model.peers[b] as PeerInfo, conn });
    }
  }
  return sortedConnectivity(model, out);
}
