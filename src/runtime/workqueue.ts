/**
 * A rate-limited, delaying work queue of string keys with client-go semantics
 * (k8s.io/client-go/util/workqueue):
 *
 * - a key that is already queued is not queued twice (dedup);
 * - a key is handed to at most one worker at a time: a key added while it is being processed is
 *   marked dirty and queued again when the worker calls `done(key)`;
 * - `addRateLimited` delays a key by max(per-key exponential backoff, overall token bucket), like
 *   client-go's DefaultControllerRateLimiter; `forget` resets the per-key backoff;
 * - `addAfter` delays a key; several pending delays for one key collapse to the earliest.
 *
 * Differences from client-go, on purpose: `shutDown()` drops what is queued (a replica that lost its
 * lease must stop writing at once), while `shutDownWithDrain()` hands out what is already queued and
 * resolves when nothing is in flight (graceful SIGTERM). Both ignore later adds.
 */
import { type Clock, realClock, type TimerHandle } from './clock.js';

/** RateLimiter decides how long a key waits before it is retried (client-go's RateLimiter). */
export interface RateLimiter {
  /** when returns the delay in ms for the next retry of key, and records the retry. */
  when(key: string): number;
  /** forget clears the retry history of key. */
  forget(key: string): void;
  /** numRequeues is how many times key has been rate-limited since it was last forgotten. */
  numRequeues(key: string): number;
}

/** ExponentialRateLimiter delays key by baseMs * 2^failures, capped at maxMs. */
export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n, which Math.min caps.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * BucketRateLimiter is an overall token bucket (qps refill, burst capacity) shared by all keys.
 * Like golang.org/x/time/rate's Reserve, each call takes a token, going into debt if needed, and
 * returns how long to wait until that token exists.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly qps = 10,
    private readonly burst = 100,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** MaxOfRateLimiter returns the longest delay of its limiters (every limiter records the retry). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

export interface RateLimiterOptions {
  /** Per-key backoff base. @default 5 ms */
  baseDelayMs?: number;
  /** Per-key backoff cap. @default 1000 s */
  maxDelayMs?: number;
  /** Overall retry rate. @default 10 per second */
  qps?: number;
  /** Overall retry burst. @default 100 */
  burst?: number;
}

/** defaultControllerRateLimiter mirrors client-go: max(per-key exponential, overall bucket). */
export function defaultControllerRateLimiter(clock: Clock, opts: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ExponentialRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(clock, opts.qps ?? 10, opts.burst ?? 100),
  );
}

/**
 * QueueMetricsHooks receive queue measurements; every hook is optional. Durations are in seconds.
 * See `observe/metrics.ts` `workQueueMetricsHooks` for the Prometheus wiring.
 */
export interface QueueMetricsHooks {
  /** depth is called with the number of queued (not in-flight, not delayed) keys whenever it changes. */
  depth?(n: number): void;
  /** added is called for each add that was not deduplicated. */
  added?(): void;
  /** queueLatency is the time from add to get. */
  queueLatency?(seconds: number): void;
  /** workDuration is the time from get to done. */
  workDuration?(seconds: number): void;
  /** retried is called for each addRateLimited. */
  retried?(): void;
}

export interface WorkQueueOptions {
  /** @default realClock */
  clock?: Clock;
  /** @default defaultControllerRateLimiter(clock) */
  rateLimiter?: RateLimiter;
  metrics?: QueueMetricsHooks;
}

/** ReconcileResult is what a handler returns; an empty result (or void) means success. */
export interface ReconcileResult {
  /** Reconcile again after this many ms (and reset the key's backoff), like controller-runtime. */
  requeueAfter?: number;
  /** Reconcile again with rate-limited backoff, without treating the run as an error. */
  requeue?: boolean;
}

export type Handler = (key: string) => Promise<ReconcileResult | void>;

export interface RunWorkersOptions {
  /** onError sees every error a handler throws (the key is then retried with backoff). */
  onError?: (key: string, err: unknown) => void;
}

interface Waiting {
  readyAt: number;
  timer: TimerHandle;
}

/** WorkQueue is the controller's queue of `namespace/name` keys. See the file comment. */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: QueueMetricsHooks;
  private queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting>();
  private getters: Array<(key: string | undefined) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private readonly resyncTimers = new Set<TimerHandle>();
  private shuttingDown = false;
  private draining = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = opts.metrics ?? {};
  }

  /** add queues key unless it is already queued; a key in flight is re-queued on `done`. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added?.();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** addAfter adds key after ms; a pending earlier delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      this.clock.clearTimeout(existing.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { readyAt, timer });
  }

  /** addRateLimited adds key after the rate limiter's delay (a retry). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.retried?.();
    this.addAfter(key, this.limiter.when(key));
  }

  /** forget resets key's backoff; call it when key was processed successfully. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** numRequeues is how many retries key has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * get resolves with the next key, marking it in flight, or with undefined once the queue is shut
   * down (after a drain, once no queued keys remain). Every key obtained must be passed to `done`.
   */
  get(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    // While draining, a key in flight may still be re-queued (it was dirty), so idle workers wait
    // until nothing is in flight.
    if (this.shuttingDown && (!this.draining || this.processing.size === 0)) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** done marks key as no longer in flight; if it was added meanwhile it is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.workDuration?.((this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) {
      if (this.shuttingDown && !this.draining) {
        this.dirty.delete(key);
        this.addedAt.delete(key);
      } else {
        this.push(key);
      }
    }
    this.checkDrained();
  }

  /** len is the number of queued keys (not counting in-flight or delayed ones). */
  len(): number {
    return this.queue.length;
  }

  /** inFlight is the number of keys handed out and not yet done. */
  inFlight(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * shutDown stops the queue at once: later adds are ignored, queued and delayed keys are dropped,
   * waiting and later `get` calls resolve undefined. Keys in flight finish on their own.
   */
  shutDown(): void {
    this.beginShutdown();
    for (const key of this.queue) {
      this.dirty.delete(key);
      this.addedAt.delete(key);
    }
    this.queue = [];
    this.metrics.depth?.(0);
    this.releaseGetters();
    this.checkDrained();
  }

  /**
   * shutDownWithDrain ignores later adds and drops delayed keys, but keeps handing out the keys
   * already queued; it resolves when the queue is empty and nothing is in flight.
   */
  shutDownWithDrain(): Promise<void> {
    this.draining = true;
    this.beginShutdown();
    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.checkDrained();
    return drained;
  }

  /**
   * runWorkers starts n workers that take keys and run handler, at most one run per key at a time.
   * A thrown error retries the key with backoff; `{requeue: true}` does the same without an error;
   * `{requeueAfter}` forgets the backoff and re-adds after that delay; success forgets the backoff.
   * Resolves when the queue has shut down and every worker has finished its last key.
   */
  async runWorkers(n: number, handler: Handler, opts: RunWorkersOptions = {}): Promise<void> {
    const worker = async (): Promise<void> => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        await this.processOne(key, handler, opts);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, n) }, () => worker()));
  }

  /**
   * resyncEvery adds every key from listKeys each ms (level-based periodic resync, deduplicated
   * like any add). Returns a function that stops it; shutdown stops it too.
   */
  resyncEvery(ms: number, listKeys: () => Iterable<string>): () => void {
    let handle: TimerHandle | undefined;
    const tick = (): void => {
      if (handle) this.resyncTimers.delete(handle);
      if (this.shuttingDown) return;
      for (const key of listKeys()) this.add(key);
      schedule();
    };
    const schedule = (): void => {
      handle = this.clock.setTimeout(tick, ms);
      this.resyncTimers.add(handle);
    };
    schedule();
    return () => {
      if (!handle) return;
      this.clock.clearTimeout(handle);
      this.resyncTimers.delete(handle);
      handle = undefined;
    };
  }

  private async processOne(key: string, handler: Handler, opts: RunWorkersOptions): Promise<void> {
    try {
      const result = await handler(key);
      if (result?.requeueAfter !== undefined && result.requeueAfter > 0) {
        this.forget(key);
        this.addAfter(key, result.requeueAfter);
      } else if (result?.requeue) {
        this.addRateLimited(key);
      } else {
        this.forget(key);
      }
    } catch (err) {
      opts.onError?.(key, err);
      this.addRateLimited(key);
    } finally {
      this.done(key);
    }
  }

  private beginShutdown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) this.clock.clearTimeout(w.timer);
    this.waiting.clear();
    for (const t of this.resyncTimers) this.clock.clearTimeout(t);
    this.resyncTimers.clear();
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      getter(this.start(key));
      return;
    }
    this.queue.push(key);
    this.metrics.depth?.(this.queue.length);
  }

  private take(): string {
    const key = this.queue.shift() as string;
    this.metrics.depth?.(this.queue.length);
    return this.start(key);
  }

  private start(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    const now = this.clock.now();
    if (added !== undefined) this.metrics.queueLatency?.((now - added) / 1000);
    this.startedAt.set(key, now);
    return key;
  }

  private releaseGetters(): void {
    const getters = this.getters;
    this.getters = [];
    for (const g of getters) g(undefined);
  }

  private checkDrained(): void {
    if (!this.shuttingDown || this.processing.size > 0 || this.queue.length > 0) return;
    this.releaseGetters();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
