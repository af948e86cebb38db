// Giving back the memory V8 keeps after the informers' lists. A garbage collection does not unmap
// the pages it frees: V8 pools them for reuse, mapped and resident, and counts them in neither
// heapUsed nor heapTotal. Decoding the initial lists (10,000 pods arrive as 80 MiB of objects and
// are kept as 12) leaves some 80 MiB of such pages in the operator's RSS, and ordinary collections,
// forced or not, keep them; only a memory-reducing collection (V8's "last resort" GC, the one it
// runs under memory pressure) releases the pool. Node.js gives no API for it but the gc function of
// --expose-gc, which the image passes (Dockerfile). Without it this does nothing and says so once.
// Measured with 1,000 AIWorkloads and 10,000 pods cached (make bench-cache): RSS 211 -> 126 MiB,
// 80 ms of pause and 150 ms of CPU per collection (docs/benchmarks.md, docs/operations.md).
import type { Logger } from '../observe/logger.js';

/** How often the operator repeats it, for the garbage of later relists (a watch expired, a restart of the API server). */
export const HEAP_REDUCTION_INTERVAL_MS = 10 * 60_000;

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => unknown;

/**
 * reduceHeap runs one memory-reducing collection and returns true, or returns false when the
 * process has no gc function (it was started without --expose-gc).
 */
export function reduceHeap(gc: unknown = (globalThis as { gc?: unknown }).gc): boolean {
  if (typeof gc !== 'function') return false;
  // The options of V8's gc extension; an older V8 ignores `flavor` and runs a full collection.
  (gc as GcFunction)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

export interface HeapReduction {
  stop(): void;
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * startHeapReduction reduces the heap now (call it once the caches have synced) and then every
 * `intervalMs`, on a timer that does not keep the process alive. The first reduction is logged at
 * info with the RSS before and after; later ones at debug.
 */
export function startHeapReduction(logger: Logger, intervalMs = HEAP_REDUCTION_INTERVAL_MS, gc?: unknown): HeapReduction {
  const run = (first: boolean): void => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    if (!reduceHeap(gc ?? (globalThis as { gc?: unknown }).gc)) {
      if (first) logger.info('not releasing the heap V8 keeps after GCs: node runs without --expose-gc');
      return;
    }
    const fields = { rssBeforeMiB: mib(before), rssAfterMiB: mib(process.memoryUsage().rss), pauseMs: Math.round(performance.now() - started) };
    if (first) logger.info('released the heap V8 kept after the initial lists', fields);
    else logger.debug('released the heap V8 kept after GCs', fields);
  };
  run(true);
  const timer = setInterval(() => run(false), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
