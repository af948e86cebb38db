/**
 * Clock abstracts time so that the work queue, informer supervisor and leader elector can be driven
 * by tests without sleeping (kubebuilder's `Clock`, STYLE.md §8). Production code uses
 * {@link realClock}; tests use {@link FakeClock} and move time with `advance` / `advanceAsync`.
 */

/** TimerHandle is an opaque token returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  readonly __timer: true;
}

export interface Clock {
  /** now returns milliseconds since the Unix epoch. */
  now(): number;
  /** setTimeout runs fn once after ms milliseconds (ms <= 0 means "on the next tick"). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** clearTimeout cancels a timer; clearing a fired or unknown timer is a no-op. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * sleep resolves after ms milliseconds, or early (never rejecting) when signal aborts.
   * Callers check `signal.aborted` afterwards to tell the two apart.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface RealTimer extends TimerHandle {
  readonly timeout: NodeJS.Timeout;
}

/** realClock is the wall clock backed by Node's timers. */
export const realClock: Clock = {
  now: (): number => Date.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: RealTimer = { __timer: true, timeout: setTimeout(fn, Math.max(0, ms)) };
    return timer;
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout((handle as RealTimer).timeout);
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(realClock, ms, signal);
  },
};

interface FakeTimer extends TimerHandle {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** flushMicrotasks lets every promise chain that is ready settle (one macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * FakeClock is a manually driven clock for tests. Time only moves through `advance`,
 * `advanceAsync` or `set`. Timers fire in order of due time, ties in order of creation; timers
 * created while advancing fire in the same call if they fall due within the window.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = {
      __timer: true,
      due: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as FakeTimer;
    timer.cancelled = true;
    this.timers = this.timers.filter((t) => t !== timer);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** pendingTimers is the number of scheduled, unfired timers. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** nextDue returns the due time of the earliest timer, or undefined. */
  nextDue(): number | undefined {
    return this.takeNext(Number.POSITIVE_INFINITY, false)?.due;
  }

  /** advance moves time forward by ms synchronously, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let t = this.takeNext(target, true); t; t = this.takeNext(target, true)) {
      this.current = Math.max(this.current, t.due);
      t.fn();
    }
    this.current = target;
  }

  /**
   * advanceAsync is advance for async code: after each fired timer (and once at the start) it
   * lets pending promise chains settle, so timers that async callbacks schedule are honoured.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (let t = this.takeNext(target, true); t; t = this.takeNext(target, true)) {
      this.current = Math.max(this.current, t.due);
      t.fn();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private takeNext(limit: number, remove: boolean): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    if (best && remove) this.timers = this.timers.filter((t) => t !== best);
    return best;
  }
}
