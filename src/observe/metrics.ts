/**
 * Prometheus metrics, on a private prom-client Registry (never the global one, so tests and
 * several operators in one process do not collide). `createMetrics()` returns typed handles;
 * docs/operations.md lists every metric and what it means.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GENERATED_KINDS } from '../compile/objects.js';
import type { QueueMetricsHooks } from '../runtime/workqueue.js';

/** ReconcileResultLabel is the `result` label of the reconcile metrics. */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after' | 'invalid';

/** Every ReconcileResultLabel: each starts at 0 (see createMetrics). */
export const RECONCILE_RESULTS: readonly ReconcileResultLabel[] = ['success', 'error', 'requeue', 'requeue_after', 'invalid'];

/** SegmentCondition is the `condition` label of bulkhead_segments. */
export type SegmentCondition = 'ready' | 'reconciling' | 'stalled' | 'consent_pending' | 'exposed';

export interface Metrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'result'>;
  readonly reconcileDuration: Histogram<'result'>;
  readonly workqueueDepth: Gauge;
  readonly workqueueAdds: Counter;
  readonly workqueueQueueDuration: Histogram;
  readonly workqueueWorkDuration: Histogram;
  readonly workqueueRetries: Counter;
  readonly driftRepairs: Counter<'kind'>;
  readonly eventsDropped: Counter;
  readonly watchRestarts: Counter<'resource'>;
  readonly segments: Gauge<'condition'>;
  readonly exposedSegments: Gauge;
  readonly leader: Gauge;
}

export interface MetricsOptions {
  /** Also collect process/Node.js default metrics. @default false */
  defaultMetrics?: boolean;
}

// Reconciles and queue waits range from about a millisecond to minutes of backoff.
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** createMetrics registers every Bulkhead metric on a new Registry. */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const reconcileTotal = new Counter({
    name: 'bulkhead_reconcile_total',
    help: 'Reconciles of AIWorkloads, by result.',
    labelNames: ['result'],
    registers,
  });
  // Every result and every kind is exported from the start, at 0: a series that first appears at
  // 1 has no increase, so rate() and increase() (the alerting rules) would miss the first error or
  // repair.
  for (const result of RECONCILE_RESULTS) reconcileTotal.inc({ result }, 0);
  const driftRepairs = new Counter({
    name: 'bulkhead_drift_repairs_total',
    help: 'Managed objects found changed or missing and repaired, by kind.',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of GENERATED_KINDS) driftRepairs.inc({ kind }, 0);
  return {
    registry,
    reconcileTotal,
    reconcileDuration: new Histogram({
      name: 'bulkhead_reconcile_duration_seconds',
      help: 'Time spent in one reconcile, by result.',
      labelNames: ['result'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'bulkhead_workqueue_depth',
      help: 'Keys waiting in the work queue (not in flight, not delayed).',
      registers,
    }),
    workqueueAdds: new Counter({
      name: 'bulkhead_workqueue_adds_total',
      help: 'Keys added to the work queue (after deduplication).',
      registers,
    }),
    workqueueQueueDuration: new Histogram({
      name: 'bulkhead_workqueue_queue_duration_seconds',
      help: 'Time a key waits in the work queue between add and the start of its reconcile.',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workqueueWorkDuration: new Histogram({
      name: 'bulkhead_workqueue_work_duration_seconds',
      help: 'Time from taking a key off the work queue to marking it done.',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    workqueueRetries: new Counter({
      name: 'bulkhead_workqueue_retries_total',
      help: 'Rate-limited re-adds (retries with backoff).',
      registers,
    }),
    driftRepairs,
    eventsDropped: new Counter({
      name: 'bulkhead_events_dropped_total',
      help: 'Events not recorded because an AIWorkload exceeded its Event rate (25, then one per 5 minutes).',
      registers,
    }),
    watchRestarts: new Counter({
      name: 'bulkhead_watch_restarts_total',
      help: 'Watch restarts and relists by the informer supervisor, by resource.',
      labelNames: ['resource'],
      registers,
    }),
    segments: new Gauge({
      name: 'bulkhead_segments',
      help: 'Segments (components of AIWorkloads) by condition.',
      labelNames: ['condition'],
      registers,
    }),
    exposedSegments: new Gauge({
      name: 'bulkhead_exposed_segments',
      help: 'Segments reachable by peers that were never declared.',
      registers,
    }),
    leader: new Gauge({
      name: 'bulkhead_leader',
      help: '1 while this replica holds the leader lease, else 0.',
      registers,
    }),
  };
}

/** workQueueMetricsHooks adapts the work queue's hooks to the Prometheus metrics. */
export function workQueueMetricsHooks(m: Metrics): QueueMetricsHooks {
  return {
    depth: (n) => m.workqueueDepth.set(n),
    added: () => m.workqueueAdds.inc(),
    queueLatency: (s) => m.workqueueQueueDuration.observe(s),
    workDuration: (s) => m.workqueueWorkDuration.observe(s),
    retried: () => m.workqueueRetries.inc(),
  };
}

/** observeReconcile records one reconcile's result and duration in seconds. */
export function observeReconcile(m: Metrics, result: ReconcileResultLabel, seconds: number): void {
  m.reconcileTotal.inc({ result });
  m.reconcileDuration.observe({ result }, seconds);
}
