// One NetworkPolicy per component: select the component's pods, declare both policy types so that
// everything not listed is denied in both directions, then list each allowed caller and destination.
import { DEFAULT_DENY } from '../api/constants.js';
import type { Component, EgressRule } from '../api/types.js';
import { NO_EGRESS_ROLES } from '../api/validate.js';
import type { CompileFacts, WorkloadInput } from './facts.js';
import { objectMeta } from './metadata.js';
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPort } from './objects.js';
import { type PeerProblem, platformPeer, resolveEgressPeer, resolveIngressPeer } from './peers.js';
import { plainPorts, targetPorts } from './ports.js';

const DNS_PORTS: NetworkPolicyPort[] = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];

export interface NetworkPolicyResult {
  policy: NetworkPolicy;
  problems: PeerProblem[];
}

/** What every rule builder of one component's policy reads. */
interface PolicyContext {
  workload: WorkloadInput;
  component: Component;
  facts: CompileFacts;
  byName: ReadonlyMap<string, Component>;
}

/** The rules of one direction, and the declared peers that got none. */
interface Rules<R> {
  rules: R[];
  problems: PeerProblem[];
}

/** A declared rule becomes a policy rule, a problem, or nothing (already covered or refused by validation). */
type Outcome<R> = { rule: R } | { problem: PeerProblem } | undefined;

const withPorts = <T extends object>(rule: T, ports: NetworkPolicyPort[] | undefined): T & { ports?: NetworkPolicyPort[] } =>
  ports === undefined ? rule : { ...rule, ports };

const roleOf = (component: Component): NonNullable<Component['role']> => component.role ?? 'Generic';

/** The rules every such policy has, followed by what the declared rules resolved to. */
function collect<R>(preset: readonly R[], outcomes: readonly Outcome<R>[]): Rules<R> {
  const rules = [...preset];
  const problems: PeerProblem[] = [];
  for (const outcome of outcomes) {
    if (outcome === undefined) continue;
    if ('problem' in outcome) problems.push(outcome.problem);
    else rules.push(outcome.rule);
  }
  return { rules, problems };
}

export function buildNetworkPolicy(workload: WorkloadInput, component: Component, facts: CompileFacts): NetworkPolicyResult {
  const ctx: PolicyContext = { workload, component, facts, byName: new Map(workload.spec.components.map((c) => [c.name, c])) };
  const egress = egressRules(ctx);
  const ingress = ingressRules(ctx);
  return {
    policy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: objectMeta(workload, component.name),
      spec: { podSelector: component.selector, policyTypes: ['Ingress', 'Egress'], ingress: ingress.rules, egress: egress.rules },
    },
    problems: [...egress.problems, ...ingress.problems],
  };
}

// --- egress ---------------------------------------------------------------------------------

const dnsRule = (facts: CompileFacts): NetworkPolicyEgressRule => ({ to: [platformPeer(facts.platform.dns)], ports: DNS_PORTS });

function egressRules(ctx: PolicyContext): Rules<NetworkPolicyEgressRule> {
  const { spec } = ctx.workload;
  const rules: NetworkPolicyEgressRule[] = [];
  if (spec.allowDNS) rules.push(dnsRule(ctx.facts));
  rules.push(...flowEgress(ctx));
  if (roleOf(ctx.component) === 'Training') rules.push({ to: [{ podSelector: ctx.component.selector }] });
  const declared = (spec.egress ?? []).filter((rule) => rule.from === ctx.component.name);
  return collect(rules, declared.map((rule) => declaredEgress(rule, ctx)));
}

function flowEgress({ workload, component, byName }: PolicyContext): NetworkPolicyEgressRule[] {
  const noEgress = NO_EGRESS_ROLES.has(roleOf(component));
  const rules: NetworkPolicyEgressRule[] = [];
  for (const flow of workload.spec.flows ?? []) {
    const target = byName.get(flow.to);
    if (flow.from !== component.name || target === undefined) continue;
    // A data store's only flow out is to its own replicas (validation refuses any other).
    if (noEgress && flow.to !== component.name) continue;
    rules.push(withPorts({ to: [{ podSelector: target.selector }] }, targetPorts(target, flow.ports)));
  }
  return rules;
}

function declaredEgress(rule: EgressRule, ctx: PolicyContext): Outcome<NetworkPolicyEgressRule> {
  // allowDNS already added the DNS rule; without it, this declaration is what opens DNS.
  if (rule.to.platform === 'DNS') return ctx.workload.spec.allowDNS ? undefined : { rule: dnsRule(ctx.facts) };
  if (NO_EGRESS_ROLES.has(roleOf(ctx.component))) return undefined; // refused by validation; never widened here
  const resolved = resolveEgressPeer(rule, ctx.component, ctx.workload, ctx.facts);
  if (!resolved.ok) return { problem: resolved.problem };
  return { rule: withPorts({ to: resolved.peers }, egressPorts(rule, resolved.target?.component, ctx.facts)) };
}

function egressPorts(rule: EgressRule, target: Component | undefined, facts: CompileFacts): NetworkPolicyPort[] | undefined {
  if (target !== undefined) return targetPorts(target, rule.ports);
  if (rule.to.platform === 'KubeAPIServer') return plainPorts(rule.ports ?? facts.kubeAPIServer?.ports, 'TCP');
  return plainPorts(rule.ports, rule.protocol ?? 'TCP');
}

// --- ingress --------------------------------------------------------------------------------

function ingressRules(ctx: PolicyContext): Rules<NetworkPolicyIngressRule> {
  const { spec } = ctx.workload;
  const { component } = ctx;
  const rules = flowIngress(ctx);
  if (roleOf(component) === 'Training') rules.push({ from: [{ podSelector: component.selector }] });
  const declared = (spec.ingress ?? []).filter((rule) => rule.to === component.name);
  return collect(
    rules,
    declared.map((rule): Outcome<NetworkPolicyIngressRule> => {
      const resolved = resolveIngressPeer(rule, component, ctx.workload, ctx.facts);
      if (!resolved.ok) return { problem: resolved.problem };
      return { rule: withPorts({ from: resolved.peers }, targetPorts(component, rule.ports)) };
    }),
  );
}

function flowIngress({ workload, component, byName }: PolicyContext): NetworkPolicyIngressRule[] {
  const rules: NetworkPolicyIngressRule[] = [];
  for (const flow of workload.spec.flows ?? []) {
    const source = byName.get(flow.from);
    if (flow.to !== component.name || source === undefined) continue;
    // A data store sends only to its own replicas, so its flows to others open nothing here either.
    if (NO_EGRESS_ROLES.has(roleOf(source)) && source.name !== component.name) continue;
    rules.push(withPorts({ from: [{ podSelector: source.selector }] }, targetPorts(component, flow.ports)));
  }
  return rules;
}

// --- the namespace default deny ----------------------------------------------------------------

/**
 * buildDefaultDeny is spec.namespaceDefaultDeny's policy: every pod of the namespace, both
 * directions, nothing allowed but DNS (when allowDNS). Policies add up, so a segment's pods keep
 * exactly their segment's rules, and every other pod, or one whose segment does not exist yet, is
 * closed from its first packet.
 */
export function buildDefaultDeny(workload: WorkloadInput, facts: CompileFacts): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(workload, DEFAULT_DENY),
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: workload.spec.allowDNS ? [dnsRule(facts)] : [] },
  };
}
