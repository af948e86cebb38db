// The compiler: AIWorkload + cluster facts -> desired objects. Pure: no I/O, no clock, no randomness,
// so the controller, `bulkhead render` and the tests all get the same objects byte for byte.
import type { WorkloadInput, CompileFacts } from './facts.js';
import { buildRole, buildRoleBinding, buildServiceAccount } from './identity.js';
import { buildDefaultDeny, buildNetworkPolicy } from './network-policy.js';
import { type GeneratedObject, GENERATED_KINDS } from './objects.js';
import type { PeerProblem } from './peers.js';

export interface ComponentReport {
  name: string;
  networkPolicy: string;
  serviceAccount: string;
  role?: string;
  unresolvedPeers: PeerProblem[];
  consentPending: PeerProblem[];
}

export interface CompileResult {
  /** Sorted by kind (ServiceAccount, Role, RoleBinding, NetworkPolicy) then name. */
  objects: GeneratedObject[];
  components: ComponentReport[];
}

export function compile(workload: WorkloadInput, given: CompileFacts): CompileResult {
  const facts = given.threatFeeds === undefined && given.threatFeedsFor !== undefined ? { ...given, threatFeeds: given.threatFeedsFor(workload.namespace) } : given;
  const objects: GeneratedObject[] = [];
  const components: ComponentReport[] = [];
  for (const component of workload.spec.components) {
    const sa = buildServiceAccount(workload, component);
    const role = buildRole(workload, component);
    const { policy, problems } = buildNetworkPolicy(workload, component, facts);
    objects.push(sa, policy);
    if (role !== undefined) objects.push(role, buildRoleBinding(workload, component, role));
    components.push({
      name: component.name,
      networkPolicy: policy.metadata.name,
      serviceAccount: sa.metadata.name,
      ...(role !== undefined ? { role: role.metadata.name } : {}),
      unresolvedPeers: problems.filter((p) => p.kind === 'unresolved'),
      consentPending: problems.filter((p) => p.kind === 'consentPending'),
    });
  }
  if (workload.spec.namespaceDefaultDeny) objects.push(buildDefaultDeny(workload, facts));
  objects.sort((a, b) => {
    const byKind = GENERATED_KINDS.indexOf(a.kind) - GENERATED_KINDS.indexOf(b.kind);
    return byKind !== 0 ? byKind : a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
  return { objects, components };
}
