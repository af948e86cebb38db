// The result of an analysis, shared by the naive and the class-based evaluators, and its printed
// forms (the oracle's connlist text and JSON).
import type { ConnSet } from './connections.js';
import { peerSortKey, type Model, type PeerInfo } from './model.js';

export interface Connection {
  src: PeerInfo;
  dst: PeerInfo;
  /** Never empty. */
  conn: ConnSet;
}

export interface Connectivity {
  model: Model;
  /**
   * Every ordered pair of distinct peers with some allowed connection, sorted by connlist line
   * (IPv6 ranges, which the oracle never prints, after every other peer: see peerSortKey).
   */
  connections: readonly Connection[];
}

export function connectionLine(c: Connection): string {
  return `${c.src.id} => ${c.dst.id} : ${c.conn.toString()}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The line a connection sorts by: its connlist line, with IPv6 ranges keyed to sort last. */
function sortLine(c: Connection): string {
  return `${peerSortKey(c.src)} => ${peerSortKey(c.dst)} : ${c.conn.toString()}`;
}

/** Sorts connections by their connlist line (the oracle's order; IPv6 ranges last). */
export function sortedConnectivity(model: Model, connections: readonly Connection[]): Connectivity {
  const keyed = connections.map((c) => ({ c, line: sortLine(c) }));
  keyed.sort((a, b) => compareText(a.line, b.line));
  return { model, connections: keyed.map((k) => k.c) };
}

/** Builds the sorted result from per-peer-pair sets keyed `src * peers.length + dst`. */
export function toConnectivity(model: Model, byPair: ReadonlyMap<number, ConnSet>): Connectivity {
  const n = model.peers.length;
  const connections: Connection[] = [];
  for (const [key, conn] of byPair) {
    const s = Math.floor(key / n);
    const d = key % n;
    if (s === d || conn.isEmpty()) continue;
    connections.push({ src: model.peers[s] as PeerInfo, dst: model.peers[d] as PeerInfo, conn });
  }
  return sortedConnectivity(model, connections);
}

/** `SRC => DST : CONN` lines, sorted, as in the oracle's expected_connlist.txt. */
export function formatConnlist(c: Connectivity): string[] {
  return c.connections.map(connectionLine);
}

export interface ConnectionJson {
  src: string;
  dst: string;
  conn: string;
}

export function connectivityJson(c: Connectivity): ConnectionJson[] {
  return c.connections.map((x) => ({ src: x.src.id, dst: x.dst.id, conn: x.conn.toString() }));
}
