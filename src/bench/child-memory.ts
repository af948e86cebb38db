// Memory of one benchmark case, measured in a child process of its own. Measured in the parent, a
// case's heap figure is the difference between two moments of a heap that earlier cases and their
// garbage share, and it came out negative (`as decoded: -20.3 MB`). Here each case is a fresh Node
// process (the same module forked with `--bench-case NAME` and `--expose-gc`): it takes its
// baseline after a forced GC, before it has built anything, builds what it measures and keeps it
// alive, and reports `process.memoryUsage()` after another forced GC. A figure below its baseline
// cannot come from a cache the process still holds, so it is reported as an error, never printed.
// BENCH_HEAP_SNAPSHOT=DIR writes each case's heap at its final figure to DIR/<case>.heapsnapshot
// (open it in Chrome DevTools' Memory tab) to see where the memory goes.
import { fork } from 'node:child_process';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { fileURLToPath } from 'node:url';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** What V8 holds for its heap, used or not: RSS beyond it is Node.js itself, code, and malloc. */
  heapTotal: number;
}

/** A figure recorded inside a case, after a forced GC: what it holds at that point. */
export interface MemoryMark extends MemorySample {
  label: string;
}

export interface ChildReport {
  /** Before the case built anything (after a forced GC). */
  baseline: MemorySample;
  /** After the case returned, with what it built still alive (after a forced GC). */
  after: MemorySample;
  /** Figures the case recorded on its way, in order. */
  marks: MemoryMark[];
  /** The child's peak RSS over its whole life (resourceUsage().maxRSS), bytes. */
  peakRss: number;
  /** What the case returned (times, counts). */
  figures: Record<string, number | string | boolean>;
}

export interface Probe {
  /** Records memory now (after forced GCs) under a label. */
  mark(label: string): Promise<void>;
  /** Keeps `value` alive until the final figure is taken. */
  keep(value: unknown): void;
  /** The arguments the parent passed to this case. */
  args: readonly string[];
}

/** A case: optional set-up that counts as baseline (loading modules), then what it measures. */
export interface BenchCase {
  prepare?: () => Promise<void>;
  run: (probe: Probe) => Promise<Record<string, number | string | boolean>> | Record<string, number | string | boolean>;
}

const CASE_FLAG = '--bench-case';
/** How long a case may take, its set-up included. */
const CHILD_TIMEOUT_MS = 300_000;

function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  // Twice: objects freed by the first collection's finalizers go in the second.
  gc();
  gc();
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Memory after forced GCs: the lowest heap of a few, each on a later turn of the event loop. One
 * GC right after a computation sometimes left 60 MB of its garbage counted (stale temporaries of
 * the frames that ran it, sweeping not finished); garbage only adds to the heap, so the lowest
 * figure is the closest to what is alive.
 */
async function sample(): Promise<MemorySample> {
  let best: MemorySample | undefined;
  for (let i = 0; i < 4; i++) {
    await nextTurn();
    forceGc();
    const m = process.memoryUsage();
    if (best === undefined || m.heapUsed < best.heapUsed) best = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal };
  }
  return best as MemorySample;
}

/** The problems with a report: a figure below its baseline is a measurement error, not a size. */
export function memoryErrors(report: ChildReport): string[] {
  const errors: string[] = [];
  const points: MemoryMark[] = [...report.marks, { label: 'final', ...report.after }];
  for (const p of points) {
    if (p.heapUsed < report.baseline.heapUsed) errors.push(`${p.label}: heap ${p.heapUsed} B is below the baseline ${report.baseline.heapUsed} B`);
    if (p.rss < report.baseline.rss) errors.push(`${p.label}: RSS ${p.rss} B is below the baseline ${report.baseline.rss} B`);
  }
  return errors;
}

/** What cases keep alive: reachable from the module until the process exits. */
const held: unknown[] = [];

async function runCase(name: string, c: BenchCase, args: readonly string[]): Promise<ChildReport> {
  await c.prepare?.();
  const marks: MemoryMark[] = [];
  const baseline = await sample();
  const mark = async (label: string): Promise<void> => {
    marks.push({ label, ...(await sample()) });
  };
  const figures = await c.run({ mark, keep: (v) => held.push(v), args });
  const after = await sample();
  const snapshots = process.env['BENCH_HEAP_SNAPSHOT'];
  if (snapshots !== undefined && snapshots !== '') writeHeapSnapshot(path.join(snapshots, `${name}.heapsnapshot`));
  return { baseline, after, marks, peakRss: process.resourceUsage().maxRSS * 1024, figures };
}

/**
 * childCase runs the case named on the command line when this process is such a child, sends its
 * report to the parent and returns true; it returns false in any other process.
 */
export function childCase(cases: Readonly<Record<string, BenchCase>>): boolean {
  const at = process.argv.indexOf(CASE_FLAG);
  if (at < 0) return false;
  const name = process.argv[at + 1] ?? '';
  const c = cases[name];
  // Exits once the report is sent: what a case built (informers' timers) may keep it alive.
  const send = (msg: unknown): void => {
    process.send?.(msg, () => process.exit(0));
  };
  if (c === undefined) {
    send({ error: `no benchmark case ${name}` });
    return true;
  }
  runCase(name, c, process.argv.slice(at + 2)).then(
    (report) => send({ report }),
    (err: unknown) => send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
  return true;
}

/**
 * measureInChild forks `moduleUrl` (a module that calls {@link childCase} at its top level) with
 * `--expose-gc` to run one case (given `args`), and resolves with its report. It rejects when the child fails or
 * when a figure is below the child's baseline.
 */
export function measureInChild(moduleUrl: string, name: string, args: readonly string[] = [], timeoutMs = CHILD_TIMEOUT_MS): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(moduleUrl), [CASE_FLAG, name, ...args], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: { report?: ChildReport; error?: string } | undefined;
    // A case that never reports (an informer that never syncs) fails the benchmark instead of hanging it.
    const timer = setTimeout(() => {
      answer ??= { error: `no report after ${timeoutMs / 1000} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => (answer = m as typeof answer));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.report !== undefined) {
        const errors = memoryErrors(answer.report);
        if (errors.length === 0) resolve(answer.report);
        else reject(new Error(`benchmark case ${name}: memory measurement invalid: ${errors.join('; ')}`));
      } else reject(new Error(`benchmark case ${name} failed (exit ${code ?? signal ?? '?'}): ${answer?.error ?? 'no report'}`));
    });
  });
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
