// Event correlation, as client-go's EventRecorder does it, so that something fighting the operator
// (another controller reverting a policy every second) cannot turn drift repair into a flood of
// Event objects in etcd:
// - an Event identical to one recorded in the last 10 minutes (same object, type, reason and
//   message) updates that Event's count and lastTimestamp instead of creating another;
// - each object has a token bucket (25 Events, then one per 5 minutes); past it, Events are
//   dropped and counted (bulkhead_events_dropped_total), while the metrics still count every repair.
// Pure: the caller does the writes and reports the created Event's name back.

export interface EventCorrelatorOptions {
  now: () => number;
  /** Identical Events within this window update one object. @default 10 minutes */
  dedupWindowMs?: number;
  /** Events an object may get at once. @default 25 */
  burst?: number;
  /** One more Event per object per this many milliseconds once the burst is spent. @default 5 minutes */
  refillMs?: number;
  /** Events and buckets remembered (least recently used forgotten first). @default 4096 */
  maxEntries?: number;
}

export type EventDecision =
  | { action: 'create'; key: string }
  | { action: 'update'; key: string; name: string; count: number }
  | { action: 'drop' };

interface Recorded {
  name: string;
  count: number;
  lastMs: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** A Map that forgets its least recently used entries beyond `max`. */
class Lru<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

export class EventCorrelator {
  private readonly recorded: Lru<Recorded>;
  private readonly buckets: Lru<Bucket>;
  private readonly window: number;
  private readonly burst: number;
  private readonly refill: number;

  constructor(private readonly opts: EventCorrelatorOptions) {
    const max = opts.maxEntries ?? 4096;
    this.recorded = new Lru(max);
    this.buckets = new Lru(max);
    this.window = opts.dedupWindowMs ?? 10 * 60_000;
    this.burst = opts.burst ?? 25;
    this.refill = opts.refillMs ?? 5 * 60_000;
  }

  /** What to do with an Event about object `uid`; `created` or `forget` must follow a create. */
  decide(uid: string, type: string, reason: string, message: string): EventDecision {
    const now = this.opts.now();
    if (!this.takeToken(uid, now)) return { action: 'drop' };
    const key = JSON.stringify([uid, type, reason, message]);
    const prev = this.recorded.get(key);
    if (prev === undefined || now - prev.lastMs > this.window) return { action: 'create', key };
    prev.count++;
    prev.lastMs = now;
    return { action: 'update', key, name: prev.name, count: prev.count };
  }

  /** The Event for `key` was created as `name` (count 1). */
  created(key: string, name: string): void {
    this.recorded.set(key, { name, count: 1, lastMs: this.opts.now() });
  }

  /** The Event for `key` is gone (expired by the API server's Event TTL): the next one creates. */
  forget(key: string): void {
    this.recorded.delete(key);
  }

  private takeToken(uid: string, now: number): boolean {
    const b = this.buckets.get(uid) ?? { tokens: this.burst, lastMs: now };
    const refilled = Math.min(this.burst, b.tokens + Math.floor((now - b.lastMs) / this.refill));
    // Time is credited only in whole tokens, so partial progress towards the next one is kept.
    const lastMs = refilled > b.tokens ? b.lastMs + (refilled - b.tokens) * this.refill : b.lastMs;
    const ok = refilled >= 1;
    this.buckets.set(uid, { tokens: ok ? refilled - 1 : refilled, lastMs: refilled >= this.burst ? now : lastMs });
    return ok;
  }
}
