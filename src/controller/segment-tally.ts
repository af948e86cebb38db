// bulkhead_segments{condition}: the segments (components) of every AIWorkload, counted under each
// of their conditions that is True. Kept as a running total per AIWorkload, so an AIWorkload event
// costs the same at 10 and at 1,000 AIWorkloads (recounting every cached AIWorkload on each of
// their status writes made converging 1,000 of them quadratic).
import type { SegmentCondition } from '../observe/metrics.js';
import type { AIWorkloadObject } from './reconciler.js';

/** The conditions bulkhead_segments counts, by condition type. */
const SEGMENT_CONDITIONS: Record<string, SegmentCondition> = { Ready: 'ready', Reconciling: 'reconciling', Stalled: 'stalled', ConsentPending: 'consent_pending', Exposed: 'exposed' };

type Counts = Record<SegmentCondition, number>;

const zero = (): Counts => ({ ready: 0, reconciling: 0, stalled: 0, consent_pending: 0, exposed: 0 });

/** One AIWorkload's segments under each condition that is True on it. */
export function segmentsOf(w: AIWorkloadObject): Counts {
  const counts = zero();
  const n = (w.spec as { components?: unknown[] } | undefined)?.components?.length ?? 0;
  for (const c of w.status?.conditions ?? []) {
    const label = SEGMENT_CONDITIONS[c.type];
    if (label !== undefined && c.status === 'True') counts[label] += n;
  }
  return counts;
}

/**
 * SegmentTally keeps each AIWorkload's contribution by key, so the totals stay right whatever the
 * informer reports as the old object (a relist after a watch gap replaces it wholesale).
 */
export class SegmentTally {
  private readonly byKey = new Map<string, Counts>();
  private readonly total = zero();

  /** Records the AIWorkload as it is now (added or changed). */
  set(key: string, w: AIWorkloadObject): void {
    this.add(this.byKey.get(key), -1);
    const now = segmentsOf(w);
    this.byKey.set(key, now);
    this.add(now, 1);
  }

  remove(key: string): void {
    this.add(this.byKey.get(key), -1);
    this.byKey.delete(key);
  }

  counts(): Readonly<Counts> {
    return this.total;
  }

  private add(c: Counts | undefined, sign: 1 | -1): void {
    if (c === undefined) return;
    for (const k of Object.keys(c) as SegmentCondition[]) this.total[k] += sign * c[k];
  }
}
