import { describe, expect, it } from '@jest/globals';
import { SegmentTally, segmentsOf } from './segment-tally.js';
import type { AIWorkloadObject } from './reconciler.js';

const workload = (name: string, components: number, trueConditions: string[], falseConditions: string[] = []): AIWorkloadObject =>
  ({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'AIWorkload',
    metadata: { name, namespace: 'ns' },
    spec: { components: Array.from({ length: components }, (_v, i) => ({ name: `c${i}` })) },
    status: {
      conditions: [
        ...trueConditions.map((type) => ({ type, status: 'True', reason: 'R', message: '', lastTransitionTime: '2026-12-02T00:00:00Z' })),
        ...falseConditions.map((type) => ({ type, status: 'False', reason: 'R', message: '', lastTransitionTime: '2026-12-02T00:00:00Z' })),
      ],
    },
  }) as unknown as AIWorkloadObject;

describe('segmentsOf', () => {
  it('counts the components under each counted condition that is True, and nothing for False or uncounted ones', () => {
    expect(segmentsOf(workload('a', 5, ['Ready', 'Exposed', 'Overlapping'], ['Stalled']))).toEqual({ ready: 5, reconciling: 0, stalled: 0, consent_pending: 0, exposed: 5 });
    expect(segmentsOf({ metadata: { name: 'bare' } } as AIWorkloadObject)).toEqual({ ready: 0, reconciling: 0, stalled: 0, consent_pending: 0, exposed: 0 });
  });
});

describe('SegmentTally', () => {
  it('agrees with a recount over every workload after adds, changes and deletes, whichever key changes', () => {
    const tally = new SegmentTally();
    const live = new Map<string, AIWorkloadObject>();
    const recount = (): Record<string, number> => {
      const sum: Record<string, number> = { ready: 0, reconciling: 0, stalled: 0, consent_pending: 0, exposed: 0 };
      for (const w of live.values()) for (const [k, n] of Object.entries(segmentsOf(w))) sum[k] = (sum[k] ?? 0) + n;
      return sum;
    };
    const conditions = ['Ready', 'Reconciling', 'Stalled', 'ConsentPending', 'Exposed'];
    // A fixed pseudo-random walk: 500 steps over 20 keys.
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed >>> 16) % n;
    };
    for (let step = 0; step < 500; step++) {
      const key = `ns/w${next(20)}`;
      if (next(4) === 0) {
        tally.remove(key);
        live.delete(key);
      } else {
        const w = workload(key, 1 + next(6), conditions.filter(() => next(2) === 0));
        tally.set(key, w);
        live.set(key, w);
      }
      expect(tally.counts()).toEqual(recount());
    }
    // The walk went through every kind of step: both live and deleted workloads at the end.
    expect([live.size > 0, live.size < 20]).toEqual([true, true]);
  });

  it('setting the same workload again does not count it twice, and removing an unknown key changes nothing', () => {
    const tally = new SegmentTally();
    tally.set('ns/a', workload('a', 3, ['Ready']));
    tally.set('ns/a', workload('a', 3, ['Ready']));
    tally.remove('ns/never');
    expect(tally.counts().ready).toBe(3);
    tally.remove('ns/a');
    expect(tally.counts().ready).toBe(0);
  });
});
