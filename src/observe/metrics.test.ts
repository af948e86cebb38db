import { FakeClock } from '../runtime/clock.js';
import { WorkQueue } from '../runtime/workqueue.js';
import { createMetrics, observeReconcile, workQueueMetricsHooks } from './metrics.js';

describe('metrics', () => {
  it('registers every metric on a private registry', async () => {
    const m = createMetrics();
    const text = await m.registry.metrics();
    for (const name of [
      'bulkhead_reconcile_total',
      'bulkhead_reconcile_duration_seconds',
      'bulkhead_workqueue_depth',
      'bulkhead_workqueue_queue_duration_seconds',
      'bulkhead_workqueue_work_duration_seconds',
      'bulkhead_workqueue_retries_total',
      'bulkhead_drift_repairs_total',
      'bulkhead_watch_restarts_total',
      'bulkhead_segments',
      'bulkhead_exposed_segments',
      'bulkhead_leader',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // Two registries in one process do not collide.
    expect(() => createMetrics()).not.toThrow();
  });

  it('records reconciles by result', async () => {
    const m = createMetrics();
    observeReconcile(m, 'success', 0.02);
    observeReconcile(m, 'error', 1.5);
    observeReconcile(m, 'success', 0.03);
    const text = await m.registry.metrics();
    expect(text).toContain('bulkhead_reconcile_total{result="success"} 2');
    expect(text).toContain('bulkhead_reconcile_total{result="error"} 1');
    expect(text).toContain('bulkhead_reconcile_duration_seconds_count{result="success"} 2');
  });

  it('exports every reconcile result and every repaired kind from the start, at 0, so that the first error or repair is an increase', async () => {
    const text = await createMetrics().registry.metrics();
    for (const result of ['success', 'error', 'requeue', 'requeue_after', 'invalid']) expect(text).toContain(`bulkhead_reconcile_total{result="${result}"} 0\n`);
    for (const kind of ['ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy']) expect(text).toContain(`bulkhead_drift_repairs_total{kind="${kind}"} 0\n`);
  });

  it('wires the work queue hooks', async () => {
    const m = createMetrics();
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, metrics: workQueueMetricsHooks(m) });
    q.add('a');
    q.add('b');
    clock.advance(2000);
    await q.get();
    clock.advance(500);
    q.done('a');
    q.addRateLimited('a');
    const text = await m.registry.metrics();
    expect(text).toContain('bulkhead_workqueue_depth 1');
    expect(text).toContain('bulkhead_workqueue_adds_total 2');
    expect(text).toContain('bulkhead_workqueue_retries_total 1');
    expect(text).toContain('bulkhead_workqueue_queue_duration_seconds_sum 2');
    expect(text).toContain('bulkhead_workqueue_work_duration_seconds_sum 0.5');
  });
});
