import { FakeClock, flushMicrotasks } from './clock.js';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialRateLimiter,
  WorkQueue,
  type QueueMetricsHooks,
} from './workqueue.js';

function newQueue(metrics: QueueMetricsHooks = {}): { clock: FakeClock; q: WorkQueue } {
  const clock = new FakeClock();
  return { clock, q: new WorkQueue({ clock, metrics }) };
}

describe('WorkQueue basics', () => {
  it('deduplicates keys that are already queued and keeps FIFO order', async () => {
    const { q } = newQueue();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  it('never hands out a key that is in flight; a key added meanwhile runs again after done', async () => {
    const { q } = newQueue();
    q.add('ns/a');
    const first = await q.get();
    expect(first).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.len()).toBe(0);
    q.add('ns/b');
    expect(await q.get()).toBe('ns/b');
    q.done('ns/b');
    q.done('ns/a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    expect(q.len()).toBe(0);
  });

  it('done on a key that was not re-added does not queue it', async () => {
    const { q } = newQueue();
    q.add('k');
    await q.get();
    q.done('k');
    expect(q.len()).toBe(0);
    q.done('k'); // unknown key: no-op
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const { q } = newQueue();
    const pending = q.get();
    q.add('k');
    await expect(pending).resolves.toBe('k');
    expect(q.inFlight()).toBe(1);
  });
});

describe('rate limiters', () => {
  it('per-key backoff doubles from the base, caps, and resets on forget', () => {
    const l = new ExponentialRateLimiter(5, 1000);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => l.when('k'))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 1000,
    ]);
    expect(l.when('k')).toBe(1000);
    expect(l.when('other')).toBe(5);
    expect(l.numRequeues('k')).toBe(10);
    l.forget('k');
    expect(l.numRequeues('k')).toBe(0);
    expect(l.when('k')).toBe(5);
  });

  it('default per-key cap is 1000 s, even after very many failures', () => {
    const l = new ExponentialRateLimiter();
    let d = 0;
    for (let i = 0; i < 2000; i++) d = l.when('k');
    expect(d).toBe(1_000_000);
  });

  it('token bucket allows a burst, then spaces retries at 1/qps and refills over time', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter(clock, 10, 3);
    expect([b.when('a'), b.when('b'), b.when('c')]).toEqual([0, 0, 0]);
    expect(b.when('d')).toBe(100);
    expect(b.when('e')).toBe(200);
    clock.advance(1000); // the debt of 2 is repaid and the bucket refills up to its burst
    expect(b.when('f')).toBe(0);
  });

  it('default controller limiter takes the max of per-key backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter(clock, { qps: 1, burst: 1, baseDelayMs: 5 });
    expect(l.when('a')).toBe(5); // bucket has a token; per-key 5 ms
    expect(l.when('b')).toBe(1000); // bucket empty: 1 s
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
  });
});

describe('WorkQueue delays', () => {
  it('addRateLimited backs off exponentially per key; forget resets', async () => {
    const { clock, q } = newQueue();
    q.addRateLimited('k');
    expect(q.len()).toBe(0);
    clock.advance(4);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    await q.get();
    q.done('k');
    q.addRateLimited('k');
    clock.advance(9);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.numRequeues('k')).toBe(2);
    await q.get();
    q.done('k');
    q.forget('k');
    q.addRateLimited('k');
    clock.advance(5);
    expect(q.len()).toBe(1);
  });

  it('the overall bucket spaces retries of many distinct keys once the burst is spent', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: defaultControllerRateLimiter(clock, { qps: 10, burst: 2 }) });
    for (const k of ['a', 'b', 'c', 'd']) q.addRateLimited(k);
    clock.advance(5);
    expect(q.len()).toBe(2); // burst: a and b after their 5 ms per-key delay
    clock.advance(95);
    expect(q.len()).toBe(3); // c after 100 ms
    clock.advance(100);
    expect(q.len()).toBe(4); // d after 200 ms
  });

  it('addAfter fires in due order regardless of call order', async () => {
    const { clock, q } = newQueue();
    q.addAfter('late', 300);
    q.addAfter('early', 100);
    q.addAfter('mid', 200);
    q.addAfter('now', 0);
    expect(q.len()).toBe(1);
    clock.advance(1000);
    const order: Array<string | undefined> = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['now', 'early', 'mid', 'late']);
  });

  it('repeated addAfter for one key keeps the earliest deadline and adds once', () => {
    const { clock, q } = newQueue();
    q.addAfter('k', 500);
    q.addAfter('k', 100);
    q.addAfter('k', 900);
    clock.advance(100);
    expect(q.len()).toBe(1);
    clock.advance(1000);
    expect(q.len()).toBe(1);
  });

  it('resyncEvery re-adds every listed key each period until stopped', async () => {
    const { clock, q } = newQueue();
    const stop = q.resyncEvery(1000, () => ['a', 'b']);
    clock.advance(999);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(2);
    clock.advance(1000); // dedup with what is still queued
    expect(q.len()).toBe(2);
    await q.get();
    await q.get();
    q.done('a');
    q.done('b');
    stop();
    clock.advance(5000);
    expect(q.len()).toBe(0);
  });
});

describe('WorkQueue metrics hooks', () => {
  it('reports depth, adds, queue latency, work duration and retries', async () => {
    const seen = { depth: [] as number[], adds: 0, latency: [] as number[], work: [] as number[], retries: 0 };
    const { clock, q } = newQueue({
      depth: (n) => seen.depth.push(n),
      added: () => seen.adds++,
      queueLatency: (s) => seen.latency.push(s),
      workDuration: (s) => seen.work.push(s),
      retried: () => seen.retries++,
    });
    q.add('a');
    q.add('a');
    q.add('b');
    clock.advance(1500);
    await q.get();
    clock.advance(250);
    q.done('a');
    q.addRateLimited('a');
    expect(seen.adds).toBe(2);
    expect(seen.depth).toEqual([1, 2, 1]);
    expect(seen.latency).toEqual([1.5]);
    expect(seen.work).toEqual([0.25]);
    expect(seen.retries).toBe(1);
  });
});

describe('WorkQueue shutdown', () => {
  it('shutDown drops queued and delayed keys, ignores adds, releases waiting getters', async () => {
    const { clock, q } = newQueue();
    q.add('a');
    q.addAfter('b', 100);
    await q.get(); // a in flight
    q.add('a'); // dirty
    const { q: q2 } = newQueue();
    const waiting = q2.get();
    q2.shutDown();
    await expect(waiting).resolves.toBeUndefined();

    q.add('c');
    q.shutDown();
    expect(q.len()).toBe(0);
    q.add('d');
    clock.advance(1000);
    expect(q.len()).toBe(0);
    await expect(q.get()).resolves.toBeUndefined();
    q.done('a'); // dirty key is not re-queued after shutDown
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('shutDownWithDrain hands out queued keys and resolves once nothing is in flight', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('b');
    await q.get(); // a in flight
    q.add('a'); // dirty before the drain: runs again
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => {
      drained = true;
    });
    q.add('ignored');
    expect(await q.get()).toBe('b');
    q.done('b');
    await flushMicrotasks();
    expect(drained).toBe(false);
    const idle = q.get(); // waits: a is in flight and dirty
    q.done('a');
    expect(await idle).toBe('a');
    q.done('a');
    await drain;
    expect(drained).toBe(true);
    await expect(q.get()).resolves.toBeUndefined();
  });
});

describe('WorkQueue.runWorkers', () => {
  it('runs different keys concurrently up to n, never the same key twice at once', async () => {
    const { q } = newQueue();
    const running = new Set<string>();
    let maxConcurrent = 0;
    let overlapSameKey = false;
    const gates: Array<() => void> = [];
    const runs: string[] = [];
    const done = q.runWorkers(2, async (key) => {
      if (running.has(key)) overlapSameKey = true;
      running.add(key);
      maxConcurrent = Math.max(maxConcurrent, running.size);
      runs.push(key);
      await new Promise<void>((r) => gates.push(r));
      running.delete(key);
    });
    q.add('a');
    q.add('b');
    q.add('c');
    await flushMicrotasks();
    expect(runs).toEqual(['a', 'b']);
    q.add('a'); // changes while a is reconciling
    gates.shift()?.();
    await flushMicrotasks();
    expect(runs).toEqual(['a', 'b', 'c']);
    gates.shift()?.();
    await flushMicrotasks();
    expect(runs).toEqual(['a', 'b', 'c', 'a']);
    while (gates.length) {
      gates.shift()?.();
      await flushMicrotasks();
    }
    q.shutDown();
    await done;
    expect(maxConcurrent).toBe(2);
    expect(overlapSameKey).toBe(false);
  });

  it('retries failures with backoff, honours requeueAfter, and forgets on success', async () => {
    const { clock, q } = newQueue();
    const runs: Array<[string, number]> = [];
    const errors: string[] = [];
    let failuresLeft = 3;
    const handle = (key: string): { requeueAfter: number } | undefined => {
      runs.push([key, clock.now()]);
      if (key === 'flaky' && failuresLeft-- > 0) throw new Error('boom');
      if (key === 'timed' && runs.filter(([k]) => k === 'timed').length === 1) return { requeueAfter: 30_000 };
      return undefined;
    };
    // The executor turns a throw into a rejection, as an async handler would.
    const done = q.runWorkers(1, (key) => new Promise((resolve) => resolve(handle(key))), { onError: (key) => errors.push(key) });
    const t0 = clock.now();
    q.add('flaky');
    q.add('timed');
    await clock.advanceAsync(100);
    const flakyTimes = runs.filter(([k]) => k === 'flaky').map(([, t]) => t - t0);
    expect(flakyTimes).toEqual([0, 5, 15, 35]); // backoff 5, 10, 20 ms
    expect(errors).toEqual(['flaky', 'flaky', 'flaky']);
    expect(q.numRequeues('flaky')).toBe(0); // success forgot it
    await clock.advanceAsync(30_000);
    expect(runs.filter(([k]) => k === 'timed').map(([, t]) => t - t0)).toEqual([0, 30_000]);
    q.shutDown();
    await done;
  });

  it('after shutDownWithDrain the workers finish queued keys and exit', async () => {
    const { q } = newQueue();
    const runs: string[] = [];
    const done = q.runWorkers(3, async (key) => {
      await flushMicrotasks();
      runs.push(key);
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await q.shutDownWithDrain();
    await done;
    expect(runs.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
