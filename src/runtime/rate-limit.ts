// Client-side rate limiting of API requests (client-go's `--kube-api-qps` / `--kube-api-burst`):
// a token bucket of `burst` tokens refilled at `qps` per second, computed as GCRA (the time the
// next request may go, with `burst - 1` requests of tolerance), so waiting callers are served in
// order and no timer ticks while nobody asks. The API server's own Priority and Fairness protects
// it regardless; this keeps one operator from taking more than its share.
import type { Clock } from './clock.js';

export interface RateLimiter {
  /** Resolves when the caller may send one request (at once when a token is free). */
  take(signal?: AbortSignal): Promise<void>;
}

export interface RateLimit {
  /** Requests per second; 0 or less: no limit. */
  qps: number;
  /** Requests that may go at once after a quiet spell (at least 1). */
  burst: number;
}

export const UNLIMITED: RateLimiter = { take: () => Promise.resolve() };

export function tokenBucket(limit: RateLimit, clock: Clock): RateLimiter {
  if (!(limit.qps > 0)) return UNLIMITED;
  const interval = 1000 / limit.qps;
  const tolerance = (Math.max(1, Math.floor(limit.burst)) - 1) * interval;
  // The theoretical arrival time of the next request: never earlier than now.
  let tat = Number.NEGATIVE_INFINITY;
  return {
    take(signal?: AbortSignal): Promise<void> {
      const now = clock.now();
      tat = Math.max(tat, now);
      const wait = tat - tolerance - now;
      tat += interval;
      return wait > 0 ? clock.sleep(wait, signal) : Promise.resolve();
    },
  };
}
