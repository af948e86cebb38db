// The class-based evaluator. Pods that no policy can tell apart (same namespace, same labels, same
// named container ports, and, where the switches make them matter, the same IP range and
// hostNetwork flag) form one equivalence class; policies are evaluated once per class, and each
// rule's matches are computed once against all classes. The cost grows with distinct classes and
// with how many classes rules actually match, not with pods².
import { ConnSet } from './connections.js';
import { sortedConnectivity, type Connection, type Connectivity } from './connectivity.js';
import { ipIn } from './ip.js';
import { buildModel, type Endpoint, type Model, type PeerInfo } from './model.js';
import { policySelects, resolvePorts, selectablePod, type CompiledPolicy, type CompiledRule, type Target } from './policy.js';
import { selectorMatches } from './selectors.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts, type Labels } from './types.js';

function labelsKey(l: Labels): string {
  return JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function portsKey(e: Endpoint): string {
  return JSON.stringify(
    [...e.namedPorts.entries()].map(([k, v]) => [k, v.map((p) => `${p.protocol}/${p.port}`).sort()]).sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
  );
}

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

export function analyzeModelClasses(model: Model): ClassAnalysis {
  const opts = model.options;
  const classes: Endpoint[] = [];
  const classOf: number[] = [];
  const byKey = new Map<string, number>();
  const ipBlocks = model.policies.flatMap((p) => [...p.ingressIpBlocks, ...p.egressIpBlocks]);
  for (const e of model.endpoints) {
    let key = `${e.namespace}\u0000${labelsKey(e.labels)}\u0000${portsKey(e)}`;
    if (opts.ipBlockMatchesPods) key += `\u0000${ipBlocks.map((b) => (e.ip !== undefined && ipIn(e.ip, b) ? 1 : 0)).join('')}`;
    if (!opts.hostNetworkPodsAreOrdinary) key += `\u0000${e.hostNetwork}`;
    let c = byKey.get(key);
    if (c === undefined) {
      c = classes.length;
      classes.push(e);
      byKey.set(key, c);
    }
    classOf.push(c);
  }
  const n = classes.length;
  const m = model.externals.length;
  const targets: Target[] = [...classes, ...model.externals.map((range): Target => ({ kind: 'external', range }))];

  const classesByNs = new Map<string, number[]>();
  classes.forEach((c, i) => {
    const list = classesByNs.get(c.namespace) ?? [];
    list.push(i);
    classesByNs.set(c.namespace, list);
  });
  const nsSelectorCache = new Map<object, string[]>();
  const namespacesMatching = (sel: object & Parameters<typeof selectorMatches>[0]): string[] => {
    let r = nsSelectorCache.get(sel);
    if (r === undefined) {
      r = [...classesByNs.keys()].filter((ns) => selectorMatches(sel, model.namespaces.get(ns) ?? {}));
      nsSelectorCache.set(sel, r);
    }
    return r;
  };

  const matchedCache = new Map<CompiledRule, number[]>();
  const allNodes = Array.from({ length: n + m }, (_, i) => i);
  const matched = (rule: CompiledRule, policyNs: string): number[] => {
    let r = matchedCache.get(rule);
    if (r !== undefined) return r;
    if (rule.peers.length === 0) r = allNodes;
    else {
      const mark = new Uint8Array(n + m);
      for (const peer of rule.peers) {
        if (peer.kind === 'ipBlock') {
          model.externals.forEach((range, k) => {
            if (peer.ranges.some(([lo, hi]) => lo <= range[0] && range[1] <= hi)) mark[n + k] = 1;
          });
          if (opts.ipBlockMatchesPods) {
            classes.forEach((c, i) => {
              if (c.ip !== undefined && ipIn(c.ip, peer.ranges)) mark[i] = 1;
            });
          }
          continue;
        }
        const nss = peer.namespaceSelector === undefined ? [policyNs] : namespacesMatching(peer.namespaceSelector);
        for (const ns of nss) {
          for (const i of classesByNs.get(ns) ?? []) {
            const c = classes[i] as Endpoint;
            if (mark[i] === 0 && selectablePod(c, opts) && (peer.podSelector === undefined || selectorMatches(peer.podSelector, c.labels))) mark[i] = 1;
          }
        }
      }
      r = [];
      for (let i = 0; i < n + m; i++) if (mark[i] === 1) r.push(i);
    }
    matchedCache.set(rule, r);
    return r;
  };

  // Rows, indexed by the far node: a row of undefined means "not isolated in that direction"
  // (everything allowed); an undefined cell in a row means "nothing allowed".
  type Row = (ConnSet | undefined)[];
  const ingressRows: (Row | undefined)[] = new Array<Row | undefined>(n).fill(undefined);
  const egressRows: (Row | undefined)[] = new Array<Row | undefined>(n).fill(undefined);
  const ingressPols: CompiledPolicy[][] = Array.from({ length: n }, () => []);
  const egressPols: CompiledPolicy[][] = Array.from({ length: n }, () => []);
  for (const p of model.policies) {
    for (const i of classesByNs.get(p.namespace) ?? []) {
      if (!policySelects(p, classes[i] as Endpoint, opts)) continue;
      if (p.ingress !== undefined) (ingressPols[i] as CompiledPolicy[]).push(p);
      if (p.egress !== undefined) (egressPols[i] as CompiledPolicy[]).push(p);
    }
  }
  const addTo = (row: Row, k: number, c: ConnSet): void => {
    const prev = row[k];
    row[k] = prev === undefined ? c : prev.union(c);
  };
  const newRow = (): Row => new Array<ConnSet | undefined>(n + m).fill(undefined);
  for (let d = 0; d < n; d++) {
    const pols = ingressPols[d] as CompiledPolicy[];
    if (pols.length === 0) continue;
    const row = newRow();
    for (const p of pols) {
      for (const r of p.ingress ?? []) {
        const ports = resolvePorts(r, classes[d]);
        if (ports.isEmpty()) continue;
        for (const s of matched(r, p.namespace)) addTo(row, s, ports);
      }
    }
    ingressRows[d] = row;
  }
  for (let s = 0; s < n; s++) {
    const pols = egressPols[s] as CompiledPolicy[];
    if (pols.length === 0) continue;
    const row = newRow();
    for (const p of pols) {
      for (const r of p.egress ?? []) {
        const fixed = r.fixedPorts;
        if (fixed !== undefined && fixed.isEmpty()) continue;
        for (const d of matched(r, p.namespace)) {
          const ports = fixed ?? resolvePorts(r, targets[d]);
          if (!ports.isEmpty()) addTo(row, d, ports);
        }
      }
    }
    egressRows[s] = row;
  }

  const all = ConnSet.all();
  const empty = ConnSet.empty();
  const cell = (row: Row | undefined, k: number): ConnSet => (row === undefined ? all : (row[k] ?? empty));
  const conn = (s: number, d: number): ConnSet => {
    const e = s >= n ? all : cell(egressRows[s], d);
    if (e.isEmpty()) return e;
    return d >= n ? e : e.intersect(cell(ingressRows[d], s));
  };
  return { model, classes, classOf, conn, externalNode: (k) => n + k };
}

/**
 * analyze computes, for every ordered pair of distinct peers (workloads, ownerless pods and
 * external IPv4 ranges), the connections NetworkPolicy v1 allows. A peer made of several pods
 * (a ReplicaSet's pods, say) gets the union over its pods. Throws on an invalid NetworkPolicy.
 */
export function analyze(facts: ClusterFacts, options?: Partial<AnalysisOptions>): Connectivity {
  const ca = analyzeClasses(facts, options);
  return connectivityOfClasses(ca);
}

export function connectivityOfClasses(ca: ClassAnalysis): Connectivity {
  const { model } = ca;
  const nodesOfPeer: Set<number>[] = model.peers.map(() => new Set<number>());
  model.endpoints.forEach((e, i) => (nodesOfPeer[e.peer] as Set<number>).add(ca.classOf[i] as number));
  model.externals.forEach((_, k) => (nodesOfPeer[model.firstExternal + k] as Set<number>).add(ca.externalNode(k)));
  const peerNodes = nodesOfPeer.map((s) => [...s]);
  const isSource = model.externals.map(() => false);
  for (const k of model.sourceExternals) isSource[k] = true;
  const isDestination = model.externals.map(() => false);
  for (const k of model.destinationExternals) isDestination[k] = true;
  const P = model.peers.length;
  const out: Connection[] = [];
  for (let a = 0; a < P; a++) {
    const an = peerNodes[a] as number[];
    if (an.length === 0) continue;
    const aExternal = a >= model.firstExternal;
    if (aExternal && isSource[a - model.firstExternal] !== true) continue;
    for (let b = 0; b < P; b++) {
      if (a === b || (aExternal && b >= model.firstExternal)) continue;
      if (b >= model.firstExternal && isDestination[b - model.firstExternal] !== true) continue;
      const bn = peerNodes[b] as number[];
      // Usually one class per peer; a peer whose pods differ gets the union over its pods.
      let acc = ConnSet.empty();
      for (const s of an) for (const d of bn) acc = acc.union(ca.conn(s, d));
      if (!acc.isEmpty()) out.push({ src: model.peers[a] as PeerInfo, dst: model.peers[b] as PeerInfo, conn: acc });
    }
  }
  return sortedConnectivity(model, out);
}
