// Probe loops: a new connection every few milliseconds from one host to one address, to measure
// when connections get through (drift windows, policy propagation, the startup race).
import type { Protocol } from './agent.js';
import type { Dataplane } from './dataplane.js';

/** One attempt of a probe loop: when it started (ms since the loop began) and whether it connected. */
export interface Attempt {
  at: number;
  open: boolean;
}

export interface ProbeLoop {
  /** Wall-clock time (Date.now()) of the loop's start; attempts count from it. */
  readonly startedAt: number;
  stop(): Promise<Attempt[]>;
}

/**
 * probeLoop opens a new connection every `intervalMs` (each with a `timeoutMs` deadline and no
 * retry: a loop measures when connections get through, not whether one eventually does) until
 * stopped; attempts overlap when a probe waits longer than the interval.
 */
export function probeLoop(dp: Dataplane, p: { from: string; address: string; protocol?: Protocol; port: number }, opts: { intervalMs?: number; timeoutMs?: number } = {}): ProbeLoop {
  const startedAt = Date.now();
  const attempts: Promise<Attempt>[] = [];
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const at = Date.now() - startedAt;
    attempts.push(dp.probe(p.from, p.address, p.protocol ?? 'TCP', p.port, { timeoutMs: opts.timeoutMs ?? 200, retry: false }).then((r) => ({ at, open: r.open })));
    timer = setTimeout(tick, opts.intervalMs ?? 20);
  };
  let timer = setTimeout(tick, 0);
  return {
    startedAt,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      return Promise.all(attempts);
    },
  };
}

/**
 * openWindow is the time from `since` (ms into the loop) to the start of the last attempt that
 * connected, plus one interval (the loop's resolution); 0 when none connected after `since`.
 */
export function openWindow(attempts: readonly Attempt[], since: number, intervalMs = 20): { windowMs: number; connected: number } {
  const after = attempts.filter((a) => a.at >= since && a.open);
  if (after.length === 0) return { windowMs: 0, connected: 0 };
  return { windowMs: Math.max(...after.map((a) => a.at)) - since + intervalMs, connected: after.length };
}
