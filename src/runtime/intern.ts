// Long lists of strings shared by value. A ThreatFeed puts the same except list, thousands of
// CIDRs long, into the NetworkPolicy of every segment in its scope: the compiler's output and the
// informer's cache would otherwise hold a copy per policy (measured by `make bench-threatfeed`: a
// 20,000-entry feed over 1,000 AIWorkloads took the heap to 985 MiB, almost all of it such copies).
// Interned, each distinct list exists once, frozen, however many objects hold it; a list no object
// holds any more is collected (the table keeps weak references only).
import { createHash } from 'node:crypto';

/** Shorter lists are not worth the digest: they are copied as they are. */
export const MIN_INTERNED_LENGTH = 16;

export class ListInterner {
  private readonly lists = new Map<string, WeakRef<readonly string[]>>();
  private readonly collected = new FinalizationRegistry<string>((key) => {
    if (this.lists.get(key)?.deref() === undefined) this.lists.delete(key);
  });

  /** The shared, frozen list equal to `list` (the first one seen, frozen), or `list` itself when short. */
  intern(list: readonly string[]): readonly string[] {
    if (list.length < MIN_INTERNED_LENGTH) return list;
    const key = createHash('sha256').update(list.join('\n')).digest('base64');
    const known = this.lists.get(key)?.deref();
    // Equal digests of different lists would be a SHA-256 collision; compared anyway, it costs a pass.
    if (known !== undefined && known.length === list.length && known.every((s, i) => s === list[i])) return known;
    const frozen = Object.isFrozen(list) ? list : Object.freeze([...list]);
    this.lists.set(key, new WeakRef(frozen));
    this.collected.register(frozen, key);
    return frozen;
  }

  /** Distinct lists held now (for tests and benchmarks). */
  size(): number {
    return [...this.lists.values()].filter((r) => r.deref() !== undefined).length;
  }
}

/** The process's interner: the compiler and the caches share it, so both hold the same lists. */
export const sharedLists = new ListInterner();
