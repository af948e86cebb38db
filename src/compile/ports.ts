import type { Component, PortRef } from '../api/types.js';
import type { NetworkPolicyPort } from './objects.js';

type Protocol = NetworkPolicyPort['protocol'];

/**
 * Ports of a rule whose far end is a known component: names resolve to that component's declared
 * ports, numbers to the declared port with that number (or TCP). `undefined` means every port: no
 * refs given and the target declares none.
 */
export function targetPorts(target: Component, refs: PortRef[] | undefined): NetworkPolicyPort[] | undefined {
  const declared = target.ports ?? [];
  const fromDeclared = (p: (typeof declared)[number]): NetworkPolicyPort => ({
    protocol: p.protocol ?? 'TCP',
    port: p.port,
    ...(p.endPort !== undefined && p.endPort > p.port ? { endPort: p.endPort } : {}),
  });
  if (refs === undefined) return declared.length === 0 ? undefined : declared.map(fromDeclared);
  return refs.map((ref) => {
    const match = declared.find((p) => (typeof ref === 'number' ? p.port === ref : p.name === ref));
    if (match !== undefined) return fromDeclared(match);
    // Unknown names are refused by validation before compilation; numbers pass through as TCP.
    return { protocol: 'TCP', port: ref };
  });
}

/** Ports of a rule whose far end is not a component (CIDR, selector, platform). */
export function plainPorts(refs: PortRef[] | undefined, protocol: Protocol = 'TCP'): NetworkPolicyPort[] | undefined {
  return refs?.map((ref) => ({ protocol, port: ref }));
}
