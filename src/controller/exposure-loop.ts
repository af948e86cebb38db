// Exposure and audit analysis off the reconcile path. A reconcile writes policies and status from
// what it knows now; the analysis of what else can reach a segment (exposure) or what enforcing
// would cut (audit) depends on the whole cluster and costs far more than a reconcile, so it runs
// here: a loop of its own that coalesces the changes that may alter a result (a reconcile's desired
// objects, any pod, policy or namespace change), works one AIWorkload at a time, yields to the
// event loop after each (watches, lease renewals and reconciles go first), and defers to busy
// reconcile workers for up to maxDeferMs. When a result differs from the last one, it asks for a
// reconcile of that AIWorkload, which writes it into status (so status has one writer).
import type { AIWorkloadSpec } from '../api/types.js';
import type { GeneratedObject } from '../compile/objects.js';
import type { Clock } from '../runtime/clock.js';

/** What one AIWorkload's reconcile converges to: what the analysis is about. */
export interface ExposureInput {
  namespace: string;
  name: string;
  spec: AIWorkloadSpec;
  objects: readonly GeneratedObject[];
  audit: boolean;
}

export interface ExposureResult {
  exposed: string[];
  wouldBlock: string[];
}

export interface ExposureLoopOptions {
  compute(input: ExposureInput): ExposureResult;
  /** A result changed: reconcile this key so that status says so. */
  changed(key: string, result: ExposureResult): void;
  /** True while reconcile work is queued or running. */
  busy(): boolean;
  clock: Clock;
  /** How long marks are gathered before a round starts. @default 50 */
  delayMs?: number;
  /** The longest a result waits for busy reconcile workers before it is computed anyway. @default 1000 */
  maxDeferMs?: number;
  /** Called after every round with the number of AIWorkloads analysed (tests, metrics). */
  onRound?: (analysed: number) => void;
}

const POLL_MS = 20;
/** What a reconcile reports before the first analysis: nothing found. */
export const NO_FINDINGS: ExposureResult = Object.freeze({ exposed: [], wouldBlock: [] });
const sameResult = (a: ExposureResult, b: ExposureResult): boolean => JSON.stringify(a) === JSON.stringify(b);
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ExposureLoop {
  private readonly inputs = new Map<string, ExposureInput>();
  private readonly results = new Map<string, ExposureResult>();
  private readonly dirty = new Set<string>();
  /** Keys whose last result depended on more than their namespace (see noteWide). */
  private readonly wide = new Set<string>();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ExposureLoopOptions) {}

  /** The last result for a key; NO_FINDINGS until its first analysis. */
  result(key: string): ExposureResult {
    return this.results.get(key) ?? NO_FINDINGS;
  }

  /** Every result, by key (the exposed-segments gauge sums them). */
  allResults(): ReadonlyMap<string, ExposureResult> {
    return this.results;
  }

  /** What a reconcile converged to; analysed again at the next round. */
  update(key: string, input: ExposureInput): void {
    this.inputs.set(key, input);
    this.mark(key);
  }

  /** The AIWorkload is gone (or invalid): nothing to analyse, no result. */
  remove(key: string): void {
    this.inputs.delete(key);
    this.results.delete(key);
    this.dirty.delete(key);
    this.wide.delete(key);
  }

  mark(key: string): void {
    if (!this.inputs.has(key)) return;
    this.dirty.add(key);
    this.schedule();
  }

  markKeys(keys: Iterable<string>): void {
    for (const key of keys) this.mark(key);
  }

  /**
   * noteWide records whether a key's result depends on the cluster beyond its namespace (the full
   * analysis ran: any pod or namespace anywhere may be a peer), or only on its namespace's pods and
   * policies (nothing can be exposed, which those alone establish).
   */
  noteWide(key: string, wide: boolean): void {
    if (wide) this.wide.add(key);
    else this.wide.delete(key);
  }

  /** Something any wide result may depend on changed (a pod, a policy, a namespace anywhere). */
  markWide(): void {
    this.markKeys(this.wide);
  }

  /** Everything is analysed again. */
  markAll(): void {
    for (const key of this.inputs.keys()) this.dirty.add(key);
    this.schedule();
  }

  pending(): number {
    return this.dirty.size;
  }

  /** Nothing marked, scheduled or being analysed. */
  idle(): boolean {
    return this.dirty.size === 0 && this.timer === undefined && this.running === undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || this.running !== undefined || this.dirty.size === 0) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.round().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.opts.delayMs ?? 50);
  }

  private async round(): Promise<void> {
    let analysed = 0;
    for (const key of this.dirty) {
      if (this.stopped) return;
      await this.waitWhileBusy();
      this.dirty.delete(key);
      const input = this.inputs.get(key);
      if (input === undefined) continue;
      this.analyse(key, input);
      analysed++;
      await yieldToEventLoop();
    }
    this.opts.onRound?.(analysed);
  }

  /**
   * Computes one result. It is a change, which wakes the reconcile that writes it, only when it
   * differs from what status says now: the last result, or NO_FINDINGS before the first, which is
   * what the reconcile reported then (so a converging AIWorkload that nothing exposes is not
   * reconciled a second time just because it was analysed).
   */
  private analyse(key: string, input: ExposureInput): void {
    const result = this.opts.compute(input);
    const before = this.results.get(key);
    this.results.set(key, result);
    if (!sameResult(before ?? NO_FINDINGS, result)) this.opts.changed(key, result);
  }

  private async waitWhileBusy(): Promise<void> {
    const deadline = this.opts.clock.now() + (this.opts.maxDeferMs ?? 1000);
    while (!this.stopped && this.opts.busy() && this.opts.clock.now() < deadline) {
      await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, POLL_MS));
    }
  }
}
