// Exposure detection: which peers can reach a segment, and which destinations it can reach, beyond
// what its AIWorkload declared, because some other NetworkPolicy (ours or anyone's) also selects
// its pods. Policies are additive, so an allow-all added to the namespace silently widens every
// segment in it: callers nobody declared, or a way out for a dataset meant to have none.
import { ConnSet, type ClusterFacts, type ExposureFinding, analyze, findExposures } from '../analysis/index.js';
import { selectorMatches } from '../analysis/selectors.js';
import type { NetworkPolicy as AnalysisPolicy, Pod } from '../api/kubernetes.js';
import type { AnalysisOptions } from '../analysis/types.js';
import type { AIWorkloadSpec } from '../api/types.js';
import type { GeneratedObject, NetworkPolicy } from '../compile/objects.js';
import type { ExposureInput, ExposureResult } from './exposure-loop.js';

/** At most this many findings are named per segment; the count says how many there were. */
const MAX_NAMED = 3;

/**
 * The live cluster may be dual-stack, and a policy that opens IPv6 space (egress to `::/0`, say)
 * is as real a widening as one that opens IPv4 space, so both families are modelled. Without
 * IPv6 cidrs in any policy this only adds the IPv6 world as one more external peer; findings on it
 * sort after every other peer, so the first few named stay those an IPv4-only analysis names.
 */
const LIVE: Partial<AnalysisOptions> = { ipFamilies: 'Dual' };

/**
 * Exposure messages for the segments of one AIWorkload, one per exposed component. The live
 * policies of this workload are replaced by the desired ones, so the answer describes the state
 * the reconcile converges to, not a half-applied one.
 */
export function exposureMessages(facts: ClusterFacts, namespace: string, spec: AIWorkloadSpec, desired: readonly GeneratedObject[]): string[] {
  return exposureFindings(facts, namespace, spec, desired).flatMap((e) => exposureMessage(e.component, e.findings));
}

/** Every finding per exposed component (`bulkhead exposure` prints them all; the condition names a few). */
export function exposureFindings(
  facts: ClusterFacts,
  namespace: string,
  spec: AIWorkloadSpec,
  desired: readonly GeneratedObject[],
): { component: string; findings: ExposureFinding[] }[] {
  const ours = desired.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
  const ourNames = new Set(ours.map((p) => p.metadata.name));
  // A generated NetworkPolicy is an analysis NetworkPolicy as it stands (one model of the object).
  const oursForAnalysis: readonly AnalysisPolicy[] = ours;
  const policies: AnalysisPolicy[] = [
    ...facts.networkPolicies.filter((p) => p.metadata?.namespace !== namespace || !ourNames.has(p.metadata?.name ?? '')),
    ...oursForAnalysis,
  ];
  // Only a policy in the segment's namespace can admit anyone to its pods: with none but this
  // workload's own (which admit exactly what was declared), nothing can be exposed, unless a pod is
  // in two of its segments and so gets the rules of both.
  const foreign = policies.some((p) => p.metadata?.namespace === namespace && !oursForAnalysis.includes(p));
  if (!foreign && !segmentsSharePods(facts, namespace, spec)) return [];
  const withDesired: ClusterFacts = { ...facts, networkPolicies: policies };
  const segments = spec.components.flatMap((component) => {
    const policy = ours.find((p) => p.metadata.labels['bulkhead.dev/component'] === component.name);
    if (policy === undefined) return [];
    return [{ component: component.name, segment: { namespace, podSelector: component.selector, declaredIngress: policy.spec.ingress, declaredEgress: policy.spec.egress } }];
  });
  const findings = findExposures(withDesired, segments.map((s) => s.segment), LIVE);
  return segments.map((s, i) => ({ component: s.component, findings: findings[i] ?? [] })).filter((e) => e.findings.length > 0);
}

/** segmentsSharePods: some pod of the namespace is selected by two components of `spec`. */
function segmentsSharePods(facts: ClusterFacts, namespace: string, spec: AIWorkloadSpec): boolean {
  return facts.pods.some((p) => (p.metadata?.namespace ?? 'default') === namespace &&
    spec.components.filter((c) => selectorMatches(c.selector, p.metadata?.labels ?? {})).length > 1);
}

/** One component's message: its first few findings and how many more; none when not exposed. */
export function exposureMessage(component: string, findings: readonly ExposureFinding[]): string[] {
  if (findings.length === 0) return [];
  const named = findings.slice(0, MAX_NAMED).map((f) => {
    const via = f.policies.length > 0 ? `via ${f.policies.join(', ')}` : 'no policy isolates it';
    return `${f.source.id} can reach ${f.target.id} on ${f.excess.toString()} (${via})`;
  });
  const more = findings.length > MAX_NAMED ? ` and ${findings.length - MAX_NAMED} more` : '';
  return [`${component}: ${named.join('; ')}${more}`];
}

/** At most this many blocked connections are named in an audit report. */
const MAX_BLOCKED = 25;

/**
 * Audit mode: the connections possible now that the desired policies would cut, as
 * `SRC => DST : CONN` lines (at most MAX_BLOCKED, then a count). Computed by analysing the cached
 * cluster twice: as it is, and with this workload's desired policies in place of its live ones.
 */
export function wouldBlock(facts: ClusterFacts, namespace: string, desired: readonly GeneratedObject[]): string[] {
  const ours = desired.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
  const ourNames = new Set(ours.map((p) => p.metadata.name));
  const after: ClusterFacts = {
    ...facts,
    networkPolicies: [
      ...facts.networkPolicies.filter((p) => p.metadata?.namespace !== namespace || !ourNames.has(p.metadata?.name ?? '')),
      ...ours,
    ],
  };
  const key = (src: string, dst: string): string => `${src} => ${dst}`;
  const later = new Map(analyze(after, LIVE).connections.map((c) => [key(c.src.id, c.dst.id), c.conn]));
  const lines: string[] = [];
  for (const c of analyze(facts, LIVE).connections) {
    const lost = c.conn.subtract(later.get(key(c.src.id, c.dst.id)) ?? ConnSet.empty());
    if (!lost.isEmpty()) lines.push(`${key(c.src.id, c.dst.id)} : ${lost.toString()}`);
  }
  // Connections between pods first: an address range outside is split at every ipBlock boundary in
  // the cluster (the metadata endpoints each CIDR egress leaves out among them), and its pieces
  // would otherwise crowd them out of the report. The sort is stable: the analysis' order stays.
  const outside = (line: string): number => (line.includes('[External]') ? 1 : 0);
  lines.sort((a, b) => outside(a) - outside(b));
  return lines.length > MAX_BLOCKED ? [...lines.slice(0, MAX_BLOCKED), `and ${lines.length - MAX_BLOCKED} more`] : lines;
}

/** The pods and NetworkPolicies of one namespace, from the caches' namespace index. */
export interface NamespaceFacts {
  pods: readonly Pod[];
  networkPolicies: readonly AnalysisPolicy[];
}

/**
 * mayBeExposed: whether any analysis is needed for this workload's segments. A segment can only be
 * widened by a policy that selects one of its pods (policies add up on the pods they select; a
 * policy elsewhere can only narrow what its own pods may send), or by a pod in two of its
 * segments. When neither holds, the segments admit exactly what their own policies declare, so
 * the answer is "not exposed" without analysing the cluster. Cost: the namespace's pods and
 * policies, never the cluster's.
 */
export function mayBeExposed(ns: NamespaceFacts, spec: AIWorkloadSpec, desired: readonly GeneratedObject[]): boolean {
  const ourNames = new Set(desired.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name));
  const segmentPods = ns.pods.filter((p) => spec.components.some((c) => selectorMatches(c.selector, p.metadata?.labels ?? {})));
  if (segmentPods.length === 0) return false;
  const inTwo = segmentPods.some((p) => spec.components.filter((c) => selectorMatches(c.selector, p.metadata?.labels ?? {})).length > 1);
  if (inTwo) return true;
  const foreign = ns.networkPolicies.filter((p) => !ourNames.has(p.metadata?.name ?? ''));
  return foreign.some((p) => segmentPods.some((pod) => selectorMatches(p.spec?.podSelector ?? {}, pod.metadata?.labels ?? {})));
}

/** The exposure loop's analysis of one AIWorkload: exposure (when it may be exposed) and, in audit mode, what enforcing would cut. */
export function analyseWorkload(input: ExposureInput, ns: NamespaceFacts, cluster: () => ClusterFacts): ExposureResult {
  const guarded = (what: string, f: () => string[]): string[] => {
    try {
      return f();
    } catch (err) {
      // A malformed foreign policy must not stop the analysis of everyone else; report it instead.
      return [`${what} could not be computed: ${err instanceof Error ? err.message : String(err)}`];
    }
  };
  const exposable = mayBeExposed(ns, input.spec, input.objects);
  const facts = exposable || input.audit ? cluster() : undefined;
  return {
    exposed: facts === undefined || !exposable ? [] : guarded('exposure', () => exposureMessages(facts, input.namespace, input.spec, input.objects)),
    wouldBlock: facts === undefined || !input.audit ? [] : guarded('audit', () => wouldBlock(facts, input.namespace, input.objects)),
  };
}
