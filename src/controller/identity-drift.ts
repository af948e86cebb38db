// The IdentityDrift message: which pods of a segment run under another ServiceAccount than the
// segment's, and which ServiceAccounts those are. Bounded, so that a Deployment of 500 replicas
// under the wrong account does not make a condition message of 500 names. Pure.

/** A pod a segment's selector matches, and the ServiceAccount it runs as. */
export interface PodIdentity {
  name: string;
  serviceAccount: string;
}

/** Pods named in the message; the rest are counted ("and N more"). */
export const MAX_NAMED_PODS = 5;

const byName = (a: PodIdentity, b: PodIdentity): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The ServiceAccounts of `pods` with how many run as each, most used first: `default (6), legacy (1)`. */
function accountCounts(pods: readonly PodIdentity[]): string {
  const counts = new Map<string, number>();
  for (const p of pods) counts.set(p.serviceAccount, (counts.get(p.serviceAccount) ?? 0) + 1);
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))
    .map(([sa, n]) => `${sa} (${n})`)
    .join(', ');
}

/**
 * identityDriftMessage is the IdentityDrift line of one segment, e.g.
 * `model: 2 pod(s) not running as w-model: model-0 (as default), model-1 (as legacy)`. Pods are
 * named in name order, at most MAX_NAMED_PODS; beyond that the message says how many more and
 * counts every pod's ServiceAccount.
 */
export function identityDriftMessage(component: string, serviceAccount: string, pods: readonly PodIdentity[]): string {
  const sorted = [...pods].sort(byName);
  const named = sorted.slice(0, MAX_NAMED_PODS).map((p) => `${p.name} (as ${p.serviceAccount})`).join(', ');
  const rest = sorted.length - MAX_NAMED_PODS;
  const more = rest > 0 ? ` and ${rest} more; ServiceAccounts: ${accountCounts(sorted)}` : '';
  return `${component}: ${pods.length} pod(s) not running as ${serviceAccount}: ${named}${more}`;
}
