// What one reconcile came to. The reconciler returns an outcome on every path, failures included;
// the work queue's next step and the reconcile metric are derived from it here, as the status is
// in status.ts, so that none of them can disagree about what happened.
import type { ErrorClass } from '../runtime/rest.js';
import type { ReconcileResultLabel } from '../observe/metrics.js';
import type { ReconcileResult } from '../runtime/workqueue.js';

/** One write the API server did not accept. */
export interface WriteFailure {
  verb: 'apply' | 'prune' | 'strip metadata of';
  kind: string;
  namespace: string;
  name: string;
  class: ErrorClass;
  /** The API server's words (rest.serverMessage), or the transport's for a timeout. */
  message: string;
}

export type ReconcileOutcome =
  /** Nothing to converge: the AIWorkload is gone, being deleted, or its namespace is. */
  | { kind: 'skipped' }
  /** The spec is invalid: terminal until it changes (Stalled). */
  | { kind: 'invalid' }
  /** Everything was written (or, in audit mode, planned); `requeueAfter` when a Role was refused for the ceiling. */
  | { kind: 'applied'; requeueAfter?: number }
  /** A write failed and status says so (ApplyFailed). `refused` failures are retried on a timer, others with backoff. */
  | { kind: 'failed'; refused: boolean; message: string }
  /** The cluster changed under the cached read (a conflict, a vanished namespace): read again, with backoff, reporting nothing. */
  | { kind: 'requeue'; message: string };

/** A refused write needs someone to change RBAC, admission or the spec: look again every minute, not with growing backoff. */
export const REFUSED_RETRY_MS = 60_000;

/** A conflict is re-read this many times before it counts as a failure (ApplyFailed). */
export const MAX_CONFLICT_RETRIES = 5;

/** At most this many failures are spelled out in a message; the rest are counted. */
const MAX_LISTED = 3;

/** describeFailure names the object (kind namespace/name) and quotes the API server. */
export function describeFailure(f: WriteFailure): string {
  const how = f.class === 'refused' ? 'refused' : 'failed';
  return `${f.verb} ${f.kind} ${f.namespace}/${f.name} ${how}: ${f.message}`;
}

/** failureMessage is the ApplyFailed message for a reconcile's failed writes. */
export function failureMessage(failures: readonly WriteFailure[], conflictsExhausted: boolean): string {
  const listed = failures.slice(0, MAX_LISTED).map(describeFailure);
  if (failures.length > MAX_LISTED) listed.push(`and ${failures.length - MAX_LISTED} more`);
  const suffix = conflictsExhausted ? ` (still conflicting after ${MAX_CONFLICT_RETRIES} retries)` : '';
  return `${listed.join('; ')}${suffix}`;
}

/**
 * failedOutcome decides what failed writes come to: a conflict or a vanished object is re-read
 * (`requeue`) until it has happened MAX_CONFLICT_RETRIES times in a row; any other failure, or a
 * conflict that keeps coming back, is reported (`failed`).
 */
export function failedOutcome(failures: readonly WriteFailure[], attempt: number): ReconcileOutcome {
  const stale = failures.every((f) => f.class === 'conflict' || f.class === 'not-found');
  if (stale && attempt < MAX_CONFLICT_RETRIES) return { kind: 'requeue', message: failureMessage(failures, false) };
  return { kind: 'failed', refused: failures.some((f) => f.class === 'refused'), message: failureMessage(failures, stale) };
}

/** resultLabel is the `result` label of bulkhead_reconcile_total for an outcome. */
export function resultLabel(outcome: ReconcileOutcome): ReconcileResultLabel {
  switch (outcome.kind) {
    case 'skipped':
      return 'success';
    case 'applied':
      return outcome.requeueAfter !== undefined ? 'requeue_after' : 'success';
    case 'invalid':
      return 'invalid';
    case 'failed':
      return 'error';
    case 'requeue':
      return 'requeue';
  }
}

/** queueResult is what the work queue does next with the key. */
export function queueResult(outcome: ReconcileOutcome): ReconcileResult {
  switch (outcome.kind) {
    case 'applied':
      return outcome.requeueAfter !== undefined ? { requeueAfter: outcome.requeueAfter } : {};
    case 'failed':
      return outcome.refused ? { requeueAfter: REFUSED_RETRY_MS } : { requeue: true };
    case 'requeue':
      return { requeue: true };
    default:
      return {};
  }
}
