// Why a pair of peers can or cannot talk: per direction, which NetworkPolicies select the end,
// which of their rules admit the other end, and on which ports.
import { analyzeModelClasses } from './analyze.js';
import { ConnSet } from './connections.js';
import type { Endpoint, Model, PeerInfo } from './model.js';
import { evaluateDirection, type Direction, type DirectionVerdict, type PolicyVerdict, type RuleVerdict, type Target } from './policy.js';

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

/** One distinguishable pod of a peer; `label` names it when the peer has several. */
interface PeerTarget {
  target: Target;
  label?: string;
}

function targetsOf(model: Model, peer: number, classOf: readonly number[]): PeerTarget[] {
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
    for (const d of targetsOf(model, dst, classOf)) out.push(explainTargets(model, src, dst, s, d));
  }
  return out;
}

/** The explanation for one pod (or range) of the source peer and one of the destination peer. */
function explainTargets(model: Model, src: number, dst: number, s: PeerTarget, d: PeerTarget): PairExplanation {
  const egress = s.target.kind === 'pod' ? evaluateDirection(model.policies, 'Egress', s.target, d.target, model.options) : undefined;
  const ingress = d.target.kind === 'pod' ? evaluateDirection(model.policies, 'Ingress', d.target, s.target, model.options) : undefined;
  const allowed = (egress?.allowed ?? ConnSet.all()).intersect(ingress?.allowed ?? ConnSet.all());
  return {
    src: model.peers[src] as PeerInfo,
    dst: model.peers[dst] as PeerInfo,
    ...podLabels(s, d),
    ...(egress ? { egress } : {}),
    ...(ingress ? { ingress } : {}),
    allowed,
  };
}

function podLabels(s: PeerTarget, d: PeerTarget): Pick<PairExplanation, 'srcPod' | 'dstPod'> {
  return {
    ...(s.label !== undefined ? { srcPod: s.label } : {}),
    ...(d.label !== undefined ? { dstPod: d.label } : {}),
  };
}

function formatDirection(v: DirectionVerdict | undefined, end: string): string[] {
  // An external end has no verdict, so the direction comes from which end of the pair it is.
  const what = v?.direction ?? (end.startsWith('from') ? 'Egress' : 'Ingress');
  if (v === undefined) return [`  ${what} ${end}: an external range; no NetworkPolicy applies: all allowed`];
  if (!v.isolated) return [`  ${what} ${end}: no NetworkPolicy selects it for ${what}: all allowed`];
  const lines = [`  ${what} ${end}: isolated by ${v.policies.length} NetworkPolic${v.policies.length === 1 ? 'y' : 'ies'}; allowed: ${v.allowed.toString()}`];
  for (const p of v.policies) lines.push(...formatPolicyVerdict(p, what));
  return lines;
}

function formatPolicyVerdict(p: PolicyVerdict, what: Direction): string[] {
  const lines = [`    NetworkPolicy ${p.policy.id} selects it; allows: ${p.allowed.toString()}`];
  if (p.rules.length === 0) lines.push(`      no ${what} rules: denies all`);
  for (const r of p.rules) lines.push(`      ${what} rule #${r.index}: ${ruleOutcome(r)}`);
  return lines;
}

function ruleOutcome(r: RuleVerdict): string {
  if (!r.peerMatches) return 'does not select the peer';
  if (r.allowed.isEmpty()) return 'selects the peer, but no port applies (named port not found on the destination?)';
  return `selects the peer, allows ${r.allowed.toString()}`;
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
