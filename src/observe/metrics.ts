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
  readonly threatFeed: ThreatFeedMetrics;
}

/** The bulkhead_threatfeed_* metrics, each labelled by the ThreatFeed's name. */
export interface ThreatFeedMetrics {
  /** Distinct networks accepted, lines rejected, and CIDRs in force after merging (`kind`). */
  readonly entries: Gauge<'feed' | 'kind'>;
  /** Reads of the source, by result: changed, unchanged, failed. */
  readonly syncs: Counter<'feed' | 'result'>;
  /** Unix time of the last successful read; absent until one. */
  readonly lastSuccess: Gauge<'feed'>;
  /** 1 while the last read failed (the set in force is the last good one, or none), else 0. */
  readonly failing: Gauge<'feed'>;
  /** 1 while the feed has a set in force. */
  readonly inForce: Gauge<'feed'>;
  /** Segments of the AIWorkloads in scope. */
  readonly segmentsCovered: Gauge<'feed'>;
  /** From a change of the set in force to the last covered AIWorkload written with it. */
  readonly propagation: Histogram<'feed'>;
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
    threatFeed: threatFeedMetrics(registers),
  };
}

// A feed change reaches a few AIWorkloads in well under a second and a thousand in about a minute.
const PROPAGATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

function threatFeedMetrics(registers: Registry[]): ThreatFeedMetrics {
  return {
    entries: new Gauge({ name: 'bulkhead_threatfeed_entries', help: 'Entries of a ThreatFeed by kind: accepted (distinct networks), rejected (lines), networks (CIDRs in force after merging).', labelNames: ['feed', 'kind'], registers }),
    syncs: new Counter({ name: 'bulkhead_threatfeed_syncs_total', help: 'Reads of a ThreatFeed\'s source, by result: changed, unchanged, failed.', labelNames: ['feed', 'result'], registers }),
    lastSuccess: new Gauge({ name: 'bulkhead_threatfeed_last_success_timestamp_seconds', help: 'Unix time of the last successful read of a ThreatFeed\'s source.', labelNames: ['feed'], registers }),
    failing: new Gauge({ name: 'bulkhead_threatfeed_failing', help: '1 while the last read of a ThreatFeed\'s source failed (the last good set stays in force), else 0.', labelNames: ['feed'], registers }),
    inForce: new Gauge({ name: 'bulkhead_threatfeed_in_force', help: '1 while a ThreatFeed has a set in force, 0 while it has none (never read).', labelNames: ['feed'], registers }),
    segmentsCovered: new Gauge({ name: 'bulkhead_threatfeed_segments_covered', help: 'Segments of the AIWorkloads in a ThreatFeed\'s scope.', labelNames: ['feed'], registers }),
    propagation: new Histogram({ name: 'bulkhead_threatfeed_propagation_seconds', help: 'From a change of a ThreatFeed\'s set in force to the last AIWorkload in its scope written with it.', labelNames: ['feed'], buckets: PROPAGATION_BUCKETS, registers }),
  };
}

/** forgetThreatFeed removes every series of a deleted ThreatFeed. */
export function forgetThreatFeed(m: ThreatFeedMetrics, feed: string): void {
  for (const g of [m.lastSuccess, m.failing, m.inForce, m.segmentsCovered]) g.remove({ feed });
  for (const kind of ['accepted', 'rejected', 'networks']) m.entries.remove({ feed, kind });
  for (const result of ['changed', 'unchanged', 'failed']) m.syncs.remove({ feed, result });
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
