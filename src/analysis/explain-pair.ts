// Why a pair of peers can or cannot talk: per direction, which NetworkPolicies select the end,
// which of their rules admit the other end, and on which ports.
import { analyzeModelClasses } from './analyze.js';
import { ConnSet } from './connections.js';
import type { Endpoint, Model, PeerInfo } from './model.js';
import { evaluateDirection, type DirectionVerdict, type Target } from './policy.js';

export interface PairExplanation {
  src: PeerInfo;
  dst: PeerInfo;
  /** Pods of the pair this explanation covers, when a peer has pods that policies tell apart. */
  srcPod?: string;
  dstPod?: string;
  /** Egress of the source; undefined when the source is an external range (no policy applies). */
  egress?: DirectionVerdict;
  /** Ingress of the destination; undefined when the destination is external. */
  ingress?: DirectionVerdict;
  allowed: ConnSet;
}

/** Looks a peer up by its printed id (`ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`) or `ns/name`. */
export function findPeer(model: Model, ref: string): number | undefined {
  const exact = model.peers.findIndex((p) => p.id === ref);
  if (exact >= 0) return exact;
  const loose = model.peers.map((p, i) => [p, i] as const).filter(([p]) => `${p.namespace}/${p.name}` === ref || p.name === ref);
  return loose.length === 1 ? (loose[0] as readonly [PeerInfo, number])[1] : undefined;
}

function targetsOf(model: Model, peer: number, classOf: readonly number[]): { target: Target; label?: string }[] {
  const info = model.peers[peer] as PeerInfo;
  if (info.range !== undefined) return [{ target: { kind: 'external', range: info.range } }];
  const seen = new Set<number>();
  const out: { target: Endpoint; label?: string }[] = [];
  model.endpoints.forEach((e, i) => {
    if (e.peer !== peer || seen.has(classOf[i] as number)) return;
    seen.add(classOf[i] as number);
    out.push({ target: e, label: `${e.namespace}/{${Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(',')}}` });
  });
  return out.length > 1 ? out : out.map((o) => ({ target: o.target }));
}

/**
 * explainPair explains the connections from peer `src` to peer `dst` (indices into model.peers).
 * One explanation per pair of distinguishable pods (normally exactly one).
 */
export function explainPair(model: Model, src: number, dst: number): PairExplanation[] {
  const { classOf } = analyzeModelClasses(model);
  const out: PairExplanation[] = [];
  for (const s of targetsOf(model, src, classOf)) {
    for (const d of targetsOf(model, dst, classOf)) {
      const egress = s.target.kind === 'pod' ? evaluateDirection(model.policies, 'Egress', s.target, d.target, model.options) : undefined;
      const ingress = d.target.kind === 'pod' ? evaluateDirection(model.policies, 'Ingress', d.target, s.target, model.options) : undefined;
      const allowed = (egress?.allowed ?? ConnSet.all()).intersect(ingress?.allowed ?? ConnSet.all());
      out.push({
        src: model.peers[src] as PeerInfo,
        dst: model.peers[dst] as PeerInfo,
        ...(s.label !== undefined ? { srcPod: s.label } : {}),
        ...(d.label !== undefined ? { dstPod: d.label } : {}),
        ...(egress ? { egress } : {}),
        ...(ingress ? { ingress } : {}),
        allowed,
      });
    }
  }
  return out;
}

function formatDirection(v: DirectionVerdict | undefined, end: string): string[] {
  const what = v?.direction === 'Egress' || (v === undefined && end.startsWith('from')) ? 'Egress' : 'Ingress';
  if (v === undefined) return [`  ${what} ${end}: an external range; no NetworkPolicy applies: all allowed`];
  if (!v.isolated) return [`  ${what} ${end}: no NetworkPolicy selects it for ${what}: all allowed`];
  const lines = [`  ${what} ${end}: isolated by ${v.policies.length} NetworkPolic${v.policies.length === 1 ? 'y' : 'ies'}; allowed: ${v.allowed.toString()}`];
  for (const p of v.policies) {
    lines.push(`    NetworkPolicy ${p.policy.id} selects it; allows: ${p.allowed.toString()}`);
    if (p.rules.length === 0) lines.push(`      no ${what} rules: denies all`);
    for (const r of p.rules) {
      if (!r.peerMatches) lines.push(`      ${what} rule #${r.index}: does not select the peer`);
      else if (r.allowed.isEmpty()) lines.push(`      ${what} rule #${r.index}: selects the peer, but no port applies (named port not found on the destination?)`);
      else lines.push(`      ${what} rule #${r.index}: selects the peer, allows ${r.allowed.toString()}`);
    }
  }
  return lines;
}

/** Human-readable text of one explanation. */
export function formatPairExplanation(e: PairExplanation): string {
  const head = `${e.src.id}${e.srcPod ? ` (pods ${e.srcPod})` : ''} => ${e.dst.id}${e.dstPod ? ` (pods ${e.dstPod})` : ''}`;
  const denied = ConnSet.all().subtract(e.allowed);
  return [
    head,
    `  Allowed: ${e.allowed.isEmpty() ? 'none' : e.allowed.toString()}`,
    `  Denied:  ${denied.isEmpty() ? 'none' : denied.toString()}`,
    ...formatDirection(e.egress, `from ${e.src.id}`),
    ...formatDirection(e.ingress, `to ${e.dst.id}`),
  ].join('\n');
}
