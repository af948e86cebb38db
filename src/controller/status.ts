// Status as kstatus reads it: conditions keyed by type (Ready, Reconciling, Stalled, ConsentPending,
// IdentityDrift, Exposed), each with reason, message and lastTransitionTime, plus observedGeneration.
// Pure: the reconciler passes in the outcome and the time.
import type { AIWorkloadStatus, ComponentStatus, Condition } from '../api/types.js';

export type Outcome =
  | { kind: 'invalid'; message: string }
  | {
      kind: 'applied';
      audit: boolean;
      components: ComponentStatus[];
      consentPending: string[];
      identityDrift: string[];
      exposed: string[];
      ceiling: string[];
      /** Audit mode: current connections the desired policies would cut. */
      wouldBlock?: string[];
    }
  | { kind: 'error'; message: string };

interface ConditionInput {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

function condition(prev: Condition[] | undefined, input: ConditionInput, now: string, generation: number): Condition {
  const old = prev?.find((c) => c.type === input.type);
  const lastTransitionTime = old !== undefined && old.status === input.status ? old.lastTransitionTime : now;
  return { ...input, lastTransitionTime, observedGeneration: generation };
}

/**
 * The status for an outcome. observedGeneration advances when the generation's result is final:
 * applied, or refused as invalid (Stalled), so that kstatus readers (Argo CD, Flux, kubectl wait)
 * see Current or Failed rather than InProgress forever. A transient error keeps the previous one.
 */
export function computeStatus(prev: AIWorkloadStatus | undefined, outcome: Outcome, generation: number, now: string): AIWorkloadStatus {
  const prevConditions = prev?.conditions;
  const inputs: ConditionInput[] = [];
  let observedGeneration = prev?.observedGeneration;
  let components = prev?.components;
  switch (outcome.kind) {
    case 'invalid':
      observedGeneration = generation;
      inputs.push(
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: `spec is invalid; objects from the last valid spec are kept: ${outcome.message}` },
        { type: 'Reconciling', status: 'False', reason: 'InvalidSpec', message: 'waiting for a valid spec' },
        { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: outcome.message },
      );
      break;
    case 'error':
      inputs.push(
        { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: outcome.message },
        { type: 'Reconciling', status: 'True', reason: 'Retrying', message: outcome.message },
        { type: 'Stalled', status: 'False', reason: 'Retrying', message: '' },
      );
      break;
    case 'applied': {
      observedGeneration = generation;
      components = outcome.components;
      const n = outcome.components.length;
      if (outcome.ceiling.length > 0) {
        // Network policies and identities are in place; the API server refused Roles beyond the
        // operator's grantable ceiling. Only an admin widening the ceiling changes that.
        const message = `${n} segment(s) enforced, but these permissions are outside the operator's grantable ceiling and were not granted: ${outcome.ceiling.join('; ')}`;
        inputs.push(
          { type: 'Ready', status: 'False', reason: 'PermissionsOutsideCeiling', message },
          { type: 'Reconciling', status: 'False', reason: 'PermissionsOutsideCeiling', message: '' },
          { type: 'Stalled', status: 'True', reason: 'PermissionsOutsideCeiling', message },
        );
      } else {
        inputs.push(
          outcome.audit
            ? {
                type: 'Ready',
                status: 'True',
                reason: 'Audited',
                message: `Audit mode: ${n} segment(s) computed; nothing written.${(outcome.wouldBlock ?? []).length > 0 ? ` Enforcing would block: ${(outcome.wouldBlock ?? []).join('; ')}` : ' Enforcing would block no current connection.'}`,
              }
            : { type: 'Ready', status: 'True', reason: 'Applied', message: `${n} segment(s) enforced.` },
          { type: 'Reconciling', status: 'False', reason: 'Converged', message: '' },
          { type: 'Stalled', status: 'False', reason: 'Converged', message: '' },
        );
      }
      if (outcome.consentPending.length > 0) {
        inputs.push({ type: 'ConsentPending', status: 'True', reason: 'PeerHasNotDeclared', message: outcome.consentPending.join('; ') });
      }
      if (outcome.identityDrift.length > 0) {
        inputs.push({ type: 'IdentityDrift', status: 'True', reason: 'PodsUnderOtherServiceAccount', message: outcome.identityDrift.join('; ') });
      }
      if (outcome.exposed.length > 0) {
        inputs.push({ type: 'Exposed', status: 'True', reason: 'UndeclaredPeerCanConnect', message: outcome.exposed.join('; ') });
      }
      break;
    }
  }
  // Conditions the outcome does not mention are carried over on errors (we learned nothing new)
  // and dropped otherwise (their cause is gone).
  const mentioned = new Set(inputs.map((i) => i.type));
  const carried = outcome.kind === 'error' ? (prevConditions ?? []).filter((c) => !mentioned.has(c.type)) : [];
  const conditions = [...inputs.map((i) => condition(prevConditions, i, now, generation)), ...carried];
  const status: AIWorkloadStatus = { conditions };
  if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
  if (components !== undefined) {
    status.components = components;
    status.componentCount = components.length;
  }
  return status;
}

/** Deep equality of plain JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * True when every field of `desired` has the same value in `live` (maps may have extra keys, lists
 * must match element by element). Used to skip writes that would change nothing, so that an idle
 * resync makes no write requests.
 *
 * An empty list or map in `desired` matches an absent field: the API server omits empty
 * `omitempty` fields when it serialises an object (a NetworkPolicy applied with `ingress: []`
 * reads back without `ingress`), so without this rule such an object never looks converged and
 * is re-applied on every reconcile.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === undefined) return true;
  if (live === undefined && isEmptyCollection(desired)) return true;
  if (typeof desired !== 'object' || desired === null) return desired === live;
  if (typeof live !== 'object' || live === null) return false;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (Array.isArray(live)) return false;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => isSubset(v, (live as Record<string, unknown>)[k]));
}

function isEmptyCollection(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}
