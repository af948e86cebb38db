// Resolution of peers to NetworkPolicy peers, including cross-workload consent.
import { cidrContains, cidrStrictlyContains, parseCidr } from '../api/cidr.js';
import { LABEL_NAMESPACE_NAME } from '../api/constants.js';
import type { LabelSelector } from '../api/schema.js';
import type { Component, EgressRule, IngressRule, Peer } from '../api/types.js';
import type { CompileFacts, PeerWorkload, WorkloadInput } from './facts.js';
import { sharedLists } from '../runtime/intern.js';
import { isWhollyBlocked } from '../threatfeed/merge.js';
import type { NetworkPolicyPeer } from './objects.js';

export const namespaceSelector = (namespace: string): LabelSelector => ({ matchLabels: { [LABEL_NAMESPACE_NAME]: namespace } });

/** Why a peer got no rule. Reported in status; never replaced by a wider rule (fail closed). */
export interface PeerProblem {
  kind: 'unresolved' | 'consentPending';
  peer: string;
  message: string;
}

export type ResolvedPeer =
  | { ok: true; peers: NetworkPolicyPeer[]; target?: { workload: PeerWorkload; component: Component } }
  | { ok: false; problem: PeerProblem };

const workloadKey = (ref: { namespace: string; name: string }): string => `${ref.namespace}/${ref.name}`;
export const describeWorkloadPeer = (ref: { namespace: string; name: string; component: string }): string =>
  `${ref.namespace}/${ref.name}/${ref.component}`;

/**
 * True when the selector `outer` certainly selects every pod that `inner` selects: every label and
 * expression of `outer` is also required by `inner`. Conservative: may say false when true.
 */
function selectorCovers(outer: LabelSelector, inner: LabelSelector): boolean {
  const innerLabels = inner.matchLabels ?? {};
  const labelsOk = Object.entries(outer.matchLabels ?? {}).every(([k, v]) => innerLabels[k] === v);
  const innerExprs = (inner.matchExpressions ?? []).map((e) => JSON.stringify(e));
  const exprsOk = (outer.matchExpressions ?? []).every((e) => innerExprs.includes(JSON.stringify(e)));
  return labelsOk && exprsOk;
}

/** True when `peer`, as declared by `declarer` (in its namespace), covers component `component` of `self`. */
function peerCovers(peer: Peer, declarerNamespace: string, self: WorkloadInput, component: Component): boolean {
  if (peer.workload !== undefined) {
    return peer.workload.namespace === self.namespace && peer.workload.name === self.name && peer.workload.component === component.name;
  }
  if (peer.namespace === undefined && peer.pods === undefined) return false;
  const namespace = peer.namespace ?? declarerNamespace;
  if (namespace !== self.namespace) return false;
  return peer.pods === undefined || selectorCovers(peer.pods, component.selector);
}

function lookupWorkloadPeer(
  ref: { namespace: string; name: string; component: string },
  facts: CompileFacts,
): { workload: PeerWorkload; component: Component } | PeerProblem {
  const peer = describeWorkloadPeer(ref);
  const workload = facts.workloads.get(workloadKey(ref));
  if (workload === undefined) return { kind: 'unresolved', peer, message: `AIWorkload ${workloadKey(ref)} not found` };
  const component = workload.spec.components.find((c) => c.name === ref.component);
  if (component === undefined) {
    return { kind: 'unresolved', peer, message: `AIWorkload ${workloadKey(ref)} has no component ${ref.component}` };
  }
  return { workload, component };
}

const isProblem = (v: object): v is PeerProblem => 'kind' in v && 'message' in v;

function workloadPeer(workload: PeerWorkload, component: Component): NetworkPolicyPeer {
  return { namespaceSelector: namespaceSelector(workload.namespace), podSelector: component.selector };
}

/**
 * Resolves a `{workload: ...}` peer of component `own` of `self`, and checks the other side's
 * consent: for our ingress, the peer must declare egress to us; for our egress, ingress from us.
 */
function resolveWorkloadPeer(
  ref: NonNullable<Peer['workload']>,
  direction: 'ingress' | 'egress',
  own: Component,
  self: WorkloadInput,
  facts: CompileFacts,
): ResolvedPeer {
  const found = lookupWorkloadPeer(ref, facts);
  if (isProblem(found)) return { ok: false, problem: found };
  const { workload, component } = found;
  const consent =
    direction === 'ingress'
      ? (workload.spec.egress ?? []).some((e) => e.from === component.name && peerCovers(e.to, workload.namespace, self, own))
      : (workload.spec.ingress ?? []).some((i) => i.to === component.name && peerCovers(i.from, workload.namespace, self, own));
  if (!consent) {
    const missing = direction === 'ingress' ? `egress to ${self.namespace}/${self.name}/${own.name}` : `ingress from ${self.namespace}/${self.name}/${own.name}`;
    const peer = describeWorkloadPeer(ref);
    return { ok: false, problem: { kind: 'consentPending', peer, message: `${peer} has not declared ${missing}` } };
  }
  return { ok: true, peers: [workloadPeer(workload, component)], target: found };
}

/** Resolves the caller of an ingress rule for component `to` of `self`. */
export function resolveIngressPeer(rule: IngressRule, to: Component, self: WorkloadInput, facts: CompileFacts): ResolvedPeer {
  if (rule.from.workload !== undefined) return resolveWorkloadPeer(rule.from.workload, 'ingress', to, self, facts);
  return resolveCommonPeer(rule.from, facts, 'ingress', false);
}

/** Resolves the destination of an egress rule from component `from` of `self`. */
export function resolveEgressPeer(rule: EgressRule, from: Component, self: WorkloadInput, facts: CompileFacts): ResolvedPeer {
  if (rule.to.workload !== undefined) return resolveWorkloadPeer(rule.to.workload, 'egress', from, self, facts);
  return resolveCommonPeer(rule.to, facts, 'egress', from.allowMetadataAccess === true);
}

function resolveCommonPeer(peer: Peer, facts: CompileFacts, direction: 'ingress' | 'egress', allowMetadata: boolean): ResolvedPeer {
  if (peer.cidr !== undefined) return resolveCidrPeer(peer.cidr, peer.except, facts, direction === 'egress' && !allowMetadata ? facts.platform.metadataAddresses : []);
  if (peer.platform !== undefined) return resolvePlatformPeer(peer.platform, facts);
  // namespace and/or pods: ONE peer carrying both selectors (AND), never two peers (OR).
  const out: NetworkPolicyPeer = {};
  if (peer.namespace !== undefined) out.namespaceSelector = namespaceSelector(peer.namespace);
  if (peer.pods !== undefined) out.podSelector = peer.pods;
  return { ok: true, peers: [out] };
}

/**
 * A CIDR peer, in either direction. Out of an egress of a component that did not ask for them go
 * the cloud metadata endpoints: every configured endpoint strictly inside the range joins the
 * except list, so a wide egress range never opens the node's credentials by accident. Out of
 * every CIDR peer, both directions, go the networks of the threat feeds that cover the workload
 * (merged, only those inside the range). A range that lies wholly inside an endpoint or a blocked
 * network gets no rule (fail closed): validation refuses the default endpoints there, and the rest
 * is reported as an unresolved peer.
 */
function resolveCidrPeer(cidr: string, declared: readonly string[] | undefined, facts: CompileFacts, metadata: readonly string[]): ResolvedPeer {
  const outer = parseCidr(cidr);
  if (outer === undefined) return { ok: true, peers: [cidrPeer(cidr, declared, [])] };
  const covering = metadata.find((address) => {
    const m = parseCidr(address);
    return m !== undefined && cidrContains(m, outer);
  });
  if (covering !== undefined) {
    return {
      ok: false,
      problem: { kind: 'unresolved', peer: `cidr/${cidr}`, message: `${cidr} lies within the cloud metadata endpoint ${covering} (operator configuration --metadata-cidrs); set allowMetadataAccess: true on the component to allow it` },
    };
  }
  const feeds = facts.threatFeeds;
  const blocked = feeds === undefined ? [] : feeds.blocked.carve(outer);
  if (isWhollyBlocked(blocked)) {
    const by = `${blocked.by.slice(0, 3).join(', ')}${blocked.by.length > 3 ? ', …' : ''}`;
    return {
      ok: false,
      problem: { kind: 'unresolved', peer: `cidr/${cidr}`, message: `${cidr} lies within ${by}, blocked by ThreatFeed ${(feeds?.names ?? []).join(', ')}; no rule is generated` },
    };
  }
  return { ok: true, peers: [cidrPeer(cidr, declared, [...metadataWithin(cidr, metadata), ...blocked])] };
}

/**
 * An ipBlock for `cidr`, with `extra` joining the declared except list (each once). A long list (a
 * threat feed's) is shared with every other ipBlock that has the same one (runtime/intern.ts).
 */
function cidrPeer(cidr: string, declared: readonly string[] | undefined, extra: readonly string[]): NetworkPolicyPeer {
  const except = [...(declared ?? [])];
  const seen = new Set(except);
  for (const address of extra) {
    if (seen.has(address)) continue;
    seen.add(address);
    except.push(address);
  }
  return { ipBlock: except.length > 0 ? { cidr, except: sharedLists.intern(except) as string[] } : { cidr } };
}

/** The metadata endpoints that lie strictly within `cidr` (ipBlock.except takes no others). */
export function metadataWithin(cidr: string, metadata: readonly string[]): string[] {
  const outer = parseCidr(cidr);
  if (outer === undefined) return [];
  return metadata.filter((address) => {
    const inner = parseCidr(address);
    return inner !== undefined && cidrStrictlyContains(outer, inner);
  });
}

/** A platform service's pods, wherever the operator's configuration says they run. */
export const platformPeer = (where: { namespace: string; podSelector: LabelSelector }): NetworkPolicyPeer => ({
  namespaceSelector: namespaceSelector(where.namespace),
  podSelector: where.podSelector,
});

function resolvePlatformPeer(platform: NonNullable<Peer['platform']>, facts: CompileFacts): ResolvedPeer {
  switch (platform) {
    case 'DNS':
      return { ok: true, peers: [platformPeer(facts.platform.dns)] };
    case 'Monitoring':
      return { ok: true, peers: [platformPeer(facts.platform.monitoring)] };
    case 'KubeAPIServer':
      return resolveKubeAPIServer(facts.kubeAPIServer);
  }
}

/** The API server by address: it is usually not a pod that a selector could match. */
function resolveKubeAPIServer(api: CompileFacts['kubeAPIServer']): ResolvedPeer {
  if (api === undefined || api.addresses.length === 0) {
    return {
      ok: false,
      problem: { kind: 'unresolved', peer: 'platform/KubeAPIServer', message: 'the default/kubernetes EndpointSlice has no addresses' },
    };
  }
  const hostRoute = (address: string): string => (address.includes(':') ? `${address}/128` : `${address}/32`);
  // Sorted so the policy does not change when the EndpointSlice lists the same addresses in another order.
  return { ok: true, peers: [...api.addresses].sort().map((a) => ({ ipBlock: { cidr: hostRoute(a) } })) };
}
