// Status as kstatus reads it: conditions keyed by type (Ready, Reconciling, Stalled, ConsentPending,
// IdentityDrift, Exposed, Overlapping, PeerUnresolved, IdentityWidened, ThreatFeedUnavailable), each with reason, message and lastTransitionTime, plus observedGeneration.
// Pure: the reconciler passes in the outcome and the time.
import type { AIWorkloadStatus, ComponentStatus, Condition } from '../api/types.js';

/** AppliedOutcome is a reconcile that got as far as writing (or, in audit mode, planning). */
export interface AppliedOutcome {
  kind: 'applied';
  audit: boolean;
  components: ComponentStatus[];
  consentPending: string[];
  identityDrift: string[];
  exposed: string[];
  /** Pods in two or more segments (this AIWorkload's, or one of ours and another's). */
  overlapping?: string[];
  /** Declared peers that resolve to nothing (no EndpointSlice for KubeAPIServer, an AIWorkload that is not there). */
  unresolved?: string[];
  /** Bindings Bulkhead did not write that give a segment's ServiceAccount something (identity-bindings.ts). */
  identityWidened?: string[];
  ceiling: string[];
  /** Audit mode: current connections the desired policies would cut. */
  wouldBlock?: string[];
  /** The ThreatFeeds carved out of the policies, with the digest of each set in force. */
  threatFeeds?: { name: string; digest?: string }[];
  /** ThreatFeeds in scope that have no set in force (never read since the source failed). */
  feedsUnavailable?: string[];
}

/**
 * FailedOutcome is a reconcile whose writes the API server did not accept; the message names each
 * object and quotes the server. `refused` (authentication, RBAC, admission, validation) will not
 * clear by retrying alone: it is Stalled, a final result for the generation. Otherwise (timeouts,
 * conflicts that kept coming back, 5xx) it is Reconciling: retried with backoff.
 */
export interface FailedOutcome {
  kind: 'failed';
  refused: boolean;
  message: string;
}

export type Outcome = { kind: 'invalid'; message: string } | AppliedOutcome | FailedOutcome;

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
 * applied, refused as invalid, or its writes refused by the API server (both Stalled), so that
 * kstatus readers (Argo CD, Flux, kubectl wait) see Current or Failed rather than InProgress
 * forever. A transient failure keeps the previous one.
 */
export function computeStatus(prev: AIWorkloadStatus | undefined, outcome: Outcome, generation: number, now: string): AIWorkloadStatus {
  const prevConditions = prev?.conditions;
  const inputs = conditionsFor(outcome);
  // Conditions the outcome does not mention are carried over on failures (we learned nothing new)
  // and dropped otherwise (their cause is gone).
  const mentioned = new Set(inputs.map((i) => i.type));
  const carried = outcome.kind === 'failed' ? (prevConditions ?? []).filter((c) => !mentioned.has(c.type)) : [];
  const conditions = [...inputs.map((i) => condition(prevConditions, i, now, generation)), ...carried];
  const status: AIWorkloadStatus = { conditions };
  const observedGeneration = isFinal(outcome) ? generation : prev?.observedGeneration;
  if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
  return withLastApplied(status, outcome.kind === 'applied' ? outcome : prev);
}

/**
 * The per-component status and the feeds carved out of the policies, from this outcome when it
 * was applied; while the spec is invalid or writes fail, the last good ones are kept.
 */
function withLastApplied(status: AIWorkloadStatus, from: Pick<AIWorkloadStatus, 'components' | 'threatFeeds'> | undefined): AIWorkloadStatus {
  const components = from?.components;
  if (components !== undefined) {
    status.components = components;
    status.componentCount = components.length;
  }
  const feeds = from?.threatFeeds;
  if (feeds !== undefined && feeds.length > 0) status.threatFeeds = feeds;
  return status;
}

/** isFinal is true when the outcome is the generation's result until someone changes something. */
const isFinal = (outcome: Outcome): boolean => outcome.kind !== 'failed' || outcome.refused;

function conditionsFor(outcome: Outcome): ConditionInput[] {
  switch (outcome.kind) {
    case 'invalid':
      return [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: `spec is invalid; objects from the last valid spec are kept: ${outcome.message}` },
        { type: 'Reconciling', status: 'False', reason: 'InvalidSpec', message: 'waiting for a valid spec' },
        { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: outcome.message },
      ];
    case 'failed':
      return failedConditions(outcome);
    case 'applied':
      return [...(outcome.ceiling.length > 0 ? ceilingConditions(outcome) : convergedConditions(outcome)), ...findingConditions(outcome)];
  }
}

/**
 * Writes failed. Not Ready either way; refused writes are Stalled (kstatus Failed: someone must
 * change RBAC, admission or the spec), others Reconciling (kstatus InProgress: retried).
 */
function failedConditions(outcome: FailedOutcome): ConditionInput[] {
  const ready: ConditionInput = { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: outcome.message };
  if (outcome.refused) {
    return [ready, { type: 'Reconciling', status: 'False', reason: 'ApplyFailed', message: '' }, { type: 'Stalled', status: 'True', reason: 'ApplyFailed', message: outcome.message }];
  }
  return [ready, { type: 'Reconciling', status: 'True', reason: 'Retrying', message: outcome.message }, { type: 'Stalled', status: 'False', reason: 'Retrying', message: '' }];
}

/**
 * Network policies and identities are in place; the API server refused Roles beyond the
 * operator's grantable ceiling. Only an admin widening the ceiling changes that.
 */
function ceilingConditions(outcome: AppliedOutcome): ConditionInput[] {
  const message = `${outcome.components.length} segment(s) enforced, but these permissions are outside the operator's grantable ceiling and were not granted: ${outcome.ceiling.join('; ')}`;
  return [
    { type: 'Ready', status: 'False', reason: 'PermissionsOutsideCeiling', message },
    { type: 'Reconciling', status: 'False', reason: 'PermissionsOutsideCeiling', message: '' },
    { type: 'Stalled', status: 'True', reason: 'PermissionsOutsideCeiling', message },
  ];
}

function convergedConditions(outcome: AppliedOutcome): ConditionInput[] {
  const n = outcome.components.length;
  const blocking = outcome.wouldBlock ?? [];
  const wouldBlock = blocking.length > 0 ? ` Enforcing would block: ${blocking.join('; ')}` : ' Enforcing would block no current connection.';
  return [
    outcome.audit
      ? { type: 'Ready', status: 'True', reason: 'Audited', message: `Audit mode: ${n} segment(s) computed; nothing written.${wouldBlock}` }
      : { type: 'Ready', status: 'True', reason: 'Applied', message: `${n} segment(s) enforced.` },
    { type: 'Reconciling', status: 'False', reason: 'Converged', message: '' },
    { type: 'Stalled', status: 'False', reason: 'Converged', message: '' },
  ];
}

/** Findings: a condition each, present (True) only while its list is not empty. */
const FINDINGS = [
  { field: 'consentPending', type: 'ConsentPending', reason: 'PeerHasNotDeclared' },
  { field: 'identityDrift', type: 'IdentityDrift', reason: 'PodsUnderOtherServiceAccount' },
  { field: 'exposed', type: 'Exposed', reason: 'UndeclaredPeerCanConnect' },
  { field: 'overlapping', type: 'Overlapping', reason: 'PodsInSeveralSegments' },
  { field: 'unresolved', type: 'PeerUnresolved', reason: 'PeerResolvesToNothing' },
  { field: 'identityWidened', type: 'IdentityWidened', reason: 'BoundOutsideBulkhead' },
  { field: 'feedsUnavailable', type: 'ThreatFeedUnavailable', reason: 'FeedNotInForce' },
] as const;

function findingConditions(outcome: AppliedOutcome): ConditionInput[] {
  return FINDINGS.filter((f) => (outcome[f.field] ?? []).length > 0).map((f) => ({ type: f.type, status: 'True', reason: f.reason, message: (outcome[f.field] ?? []).join('; ') }));
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Deep equality of plain JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isObject(a) || !isObject(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  return recordsEqual(a as Record<string, unknown>, b as Record<string, unknown>);
}

/** Undefined values count as absent keys, as they do once serialised. */
function recordsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
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
  if (!isObject(desired)) return desired === live;
  if (!isObject(live)) return false;
  if (Array.isArray(desired)) return Array.isArray(live) && listIsSubset(desired, live);
  return !Array.isArray(live) && Object.entries(desired).every(([k, v]) => isSubset(v, (live as Record<string, unknown>)[k]));
}

function listIsSubset(desired: readonly unknown[], live: readonly unknown[]): boolean {
  return desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]));
}

function isEmptyCollection(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}
