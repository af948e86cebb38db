// One NetworkPolicy per component: select the component's pods, declare both policy types so that
// everything not listed is denied in both directions, then list each allowed caller and destination.
import type { Component } from '../api/types.js';
import { NO_EGRESS_ROLES } from '../api/validate.js';
import type { CompileFacts, WorkloadInput } from './facts.js';
import { objectMeta } from './metadata.js';
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPort } from './objects.js';
import { type PeerProblem, namespaceSelector, resolveEgressPeer, resolveIngressPeer } from './peers.js';
import { plainPorts, targetPorts } from './ports.js';

const DNS_PORTS: NetworkPolicyPort[] = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];

export interface NetworkPolicyResult {
  policy: NetworkPolicy;
  problems: PeerProblem[];
}

const withPorts = <T extends object>(rule: T, ports: NetworkPolicyPort[] | undefined): T & { ports?: NetworkPolicyPort[] } =>
  ports === undefined ? rule : { ...rule, ports };

export function buildNetworkPolicy(workload: WorkloadInput, component: Component, facts: CompileFacts): NetworkPolicyResult {
  const spec = workload.spec;
  const byName = new Map(spec.components.map((c) => [c.name, c]));
  const role = component.role ?? 'Generic';
  const ingress: NetworkPolicyIngressRule[] = [];
  const egress: NetworkPolicyEgressRule[] = [];
  const problems: PeerProblem[] = [];

  // --- egress -------------------------------------------------------------------------------
  const dnsRule = (): NetworkPolicyEgressRule => ({
    to: [{ namespaceSelector: namespaceSelector(facts.platform.dns.namespace), podSelector: facts.platform.dns.podSelector }],
    ports: DNS_PORTS,
  });
  if (spec.allowDNS) egress.push(dnsRule());
  const noEgress = NO_EGRESS_ROLES.has(role);
  for (const flow of spec.flows ?? []) {
    const target = byName.get(flow.to);
    if (flow.from !== component.name || target === undefined) continue;
    // A data store's only flow out is to its own replicas (validation refuses any other).
    if (noEgress && flow.to !== component.name) continue;
    egress.push(withPorts({ to: [{ podSelector: target.selector }] }, targetPorts(target, flow.ports)));
  }
  if (role === 'Training') egress.push({ to: [{ podSelector: component.selector }] });
  for (const rule of spec.egress ?? []) {
    if (rule.from !== component.name) continue;
    if (rule.to.platform === 'DNS') {
      if (!spec.allowDNS) egress.push(dnsRule());
      continue;
    }
    if (noEgress) continue; // refused by validation; never widened here
    const resolved = resolveEgressPeer(rule, component, workload, facts);
    if (!resolved.ok) {
      problems.push(resolved.problem);
      continue;
    }
    let ports: NetworkPolicyPort[] | undefined;
    if (resolved.target !== undefined) ports = targetPorts(resolved.target.component, rule.ports);
    else if (rule.to.platform === 'KubeAPIServer') {
      ports = plainPorts(rule.ports ?? facts.kubeAPIServer?.ports, 'TCP');
    } else ports = plainPorts(rule.ports, rule.protocol ?? 'TCP');
    egress.push(withPorts({ to: resolved.peers }, ports));
  }

  // --- ingress ------------------------------------------------------------------------------
  for (const flow of spec.flows ?? []) {
    const source = byName.get(flow.from);
    if (flow.to !== component.name || source === undefined) continue;
    if (NO_EGRESS_ROLES.has(source.role ?? 'Generic') && source.name !== component.name) continue;
    ingress.push(withPorts({ from: [{ podSelector: source.selector }] }, targetPorts(component, flow.ports)));
  }
  if (role === 'Training') ingress.push({ from: [{ podSelector: component.selector }] });
  for (const rule of spec.ingress ?? []) {
    if (rule.to !== component.name) continue;
    const resolved = resolveIngressPeer(rule, component, workload, facts);
    if (!resolved.ok) {
      problems.push(resolved.problem);
      continue;
    }
    ingress.push(withPorts({ from: resolved.peers }, targetPorts(component, rule.ports)));
  }

  return {
    policy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: objectMeta(workload, component.name),
      spec: { podSelector: component.selector, policyTypes: ['Ingress', 'Egress'], ingress, egress },
    },
    problems,
  };
}
