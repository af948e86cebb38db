import type { ErrorClass } from '../runtime/rest.js';
import { MAX_CONFLICT_RETRIES, REFUSED_RETRY_MS, type ReconcileOutcome, type WriteFailure, failedOutcome, failureMessage, queueResult, resultLabel } from './outcome.js';

const failure = (cls: ErrorClass, name = 'w-model', verb: WriteFailure['verb'] = 'apply'): WriteFailure => ({ verb, kind: 'NetworkPolicy', namespace: 'ml', name, class: cls, message: `${cls} words` });

describe('failureMessage', () => {
  test('names each object and quotes the server; beyond three it counts', () => {
    expect(failureMessage([failure('refused')], false)).toBe('apply NetworkPolicy ml/w-model refused: refused words');
    expect(failureMessage([failure('retryable', 'a'), failure('conflict', 'b', 'prune')], false)).toBe('apply NetworkPolicy ml/a failed: retryable words; prune NetworkPolicy ml/b failed: conflict words');
    expect(failureMessage(['a', 'b', 'c', 'd', 'e'].map((n) => failure('refused', n)), false)).toBe(
      'apply NetworkPolicy ml/a refused: refused words; apply NetworkPolicy ml/b refused: refused words; apply NetworkPolicy ml/c refused: refused words; and 2 more',
    );
  });
});

describe('failedOutcome', () => {
  test.each<{ name: string; failures: WriteFailure[]; attempt: number; want: ReconcileOutcome }>([
    { name: 'a refusal is final at once', failures: [failure('refused')], attempt: 0, want: { kind: 'failed', refused: true, message: 'apply NetworkPolicy ml/w-model refused: refused words' } },
    { name: 'a timeout is reported at once, not refused', failures: [failure('retryable')], attempt: 0, want: { kind: 'failed', refused: false, message: 'apply NetworkPolicy ml/w-model failed: retryable words' } },
    { name: 'a conflict is re-read', failures: [failure('conflict')], attempt: MAX_CONFLICT_RETRIES - 1, want: { kind: 'requeue', message: 'apply NetworkPolicy ml/w-model failed: conflict words' } },
    { name: 'a vanished object is re-read', failures: [failure('not-found')], attempt: 0, want: { kind: 'requeue', message: 'apply NetworkPolicy ml/w-model failed: not-found words' } },
    {
      name: 'a conflict that keeps coming back is a failure',
      failures: [failure('conflict')],
      attempt: MAX_CONFLICT_RETRIES,
      want: { kind: 'failed', refused: false, message: `apply NetworkPolicy ml/w-model failed: conflict words (still conflicting after ${MAX_CONFLICT_RETRIES} retries)` },
    },
    {
      name: 'a conflict beside a refusal is reported with it',
      failures: [failure('conflict', 'a'), failure('refused', 'b')],
      attempt: 0,
      want: { kind: 'failed', refused: true, message: 'apply NetworkPolicy ml/a failed: conflict words; apply NetworkPolicy ml/b refused: refused words' },
    },
  ])('$name', ({ failures, attempt, want }) => {
    expect(failedOutcome(failures, attempt)).toEqual(want);
  });
});

describe('resultLabel and queueResult', () => {
  // Every result label docs/operations.md lists comes from some outcome.
  test.each<{ outcome: ReconcileOutcome; label: string; queue: object }>([
    { outcome: { kind: 'skipped' }, label: 'success', queue: {} },
    { outcome: { kind: 'applied' }, label: 'success', queue: {} },
    { outcome: { kind: 'applied', requeueAfter: 60_000 }, label: 'requeue_after', queue: { requeueAfter: 60_000 } },
    { outcome: { kind: 'invalid' }, label: 'invalid', queue: {} },
    { outcome: { kind: 'failed', refused: true, message: 'm' }, label: 'error', queue: { requeueAfter: REFUSED_RETRY_MS } },
    { outcome: { kind: 'failed', refused: false, message: 'm' }, label: 'error', queue: { requeue: true } },
    { outcome: { kind: 'requeue', message: 'm' }, label: 'requeue', queue: { requeue: true } },
  ])('$outcome.kind $label', ({ outcome, label, queue }) => {
    expect(resultLabel(outcome)).toBe(label);
    expect(queueResult(outcome)).toEqual(queue);
  });
});
