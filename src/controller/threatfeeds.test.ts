// The feed controller's timing and its fail-closed rules, on a fake clock with scripted sources:
// an HTTPS feed is read again every refresh period (conditionally), sooner after a failure, and
// never replaced by a failed or empty read; a feed not yet read holds its namespaces back; the
// cache brings back the last good set after a restart. Against the real API server and HTTPS
// server, e2e/security/threatfeed-sync.test.ts shows the same end to end.
import { describe, expect, it } from '@jest/globals';
import type { ThreatFeedStatus } from '../api/threatfeed.js';
import { createMetrics } from '../observe/metrics.js';
import { type Logger, createLogger, silentLogger } from '../observe/logger.js';
import { PassThrough } from 'node:stream';
import { FakeClock, flushMicrotasks } from '../runtime/clock.js';
import type { FetchFeedOptions, FetchFeedResult } from '../threatfeed/fetch.js';
import { type CachedSet, type FeedStore, ThreatFeedController, type ThreatFeedObject } from './threatfeeds.js';

const HOUR = 3_600_000;

interface Harness {
  clock: FakeClock;
  controller: ThreatFeedController;
  fetches: FetchFeedOptions[];
  statuses: ThreatFeedStatus[];
  changed: number[];
  cache: Map<string, CachedSet>;
  answer: (r: FetchFeedResult) => void;
}

function harness(opts: { cache?: Map<string, CachedSet>; events?: FeedStore['event']; logger?: Logger } = {}): Harness {
  const clock = new FakeClock();
  const fetches: FetchFeedOptions[] = [];
  const statuses: ThreatFeedStatus[] = [];
  const changed: number[] = [];
  const cache = opts.cache ?? new Map<string, CachedSet>();
  let next: FetchFeedResult = { kind: 'failed', reason: 'Network', message: 'no answer scripted' };
  const store: FeedStore = {
    writeStatus: (_name, status) => Promise.resolve(void statuses.push(status)),
    event: opts.events ?? (() => Promise.resolve()),
    readCache: (feed) => Promise.resolve(cache.get(feed)),
    writeCache: (feed, set) => Promise.resolve(void cache.set(feed.metadata.name, set)),
  };
  const controller = new ThreatFeedController({
    clock,
    logger: opts.logger ?? silentLogger(),
    metrics: createMetrics().threatFeed,
    sources: {
      getConfigMap: () => Promise.resolve(undefined),
      watchConfigMap: () => () => undefined,
      fetch: (o) => {
        fetches.push(o);
        return Promise.resolve(next);
      },
    },
    store,
    allowedHosts: ['feeds.example.com'],
    namespaceLabels: () => ({}),
    workloads: () => [{ key: 'ml/w', namespace: 'ml', segments: 3 }],
    changed: () => void changed.push(clock.now()),
  });
  return { clock, controller, fetches, statuses, changed, cache, answer: (r) => (next = r) };
}

const feed = (generation = 1, refreshSeconds = 3600): ThreatFeedObject => ({
  metadata: { name: 'drop', uid: 'uid-1', generation },
  spec: { source: { https: { url: 'https://feeds.example.com/drop.txt', refreshSeconds } }, format: 'PlainList' },
});

const body = (lines: string[], etag = '"v1"'): FetchFeedResult => ({ kind: 'changed', body: `${lines.join('\n')}\n`, etag, bytes: 1 });

/** Fires due timers and lets the reads they start finish. */
async function settle(h: Harness, ms = 0): Promise<void> {
  await h.clock.advanceAsync(ms);
  for (let i = 0; i < 5; i++) await flushMicrotasks();
}

const networks = (h: Harness): string[] => h.controller.forNamespace('ml').inForce?.blocked.cidrs.map((c) => `${c.base}/${c.prefix}`) ?? [];
const ready = (s: ThreatFeedStatus | undefined): string | undefined => s?.conditions?.find((c) => c.type === 'Ready')?.reason;

describe('ThreatFeedController', () => {
  it('holds the namespaces back until the first read, then reads again every refresh period, conditionally', async () => {
    const h = harness();
    h.answer(body(['192.0.2.0/24']));
    h.controller.upsert(feed());
    h.controller.start();
    expect(h.controller.forNamespace('ml').pending).toEqual(['drop']);
    await settle(h);
    expect(h.fetches).toHaveLength(1);
    expect(h.controller.forNamespace('ml')).toMatchObject({ pending: [], unavailable: [], digests: [{ name: 'drop' }] });
    expect(h.changed).toHaveLength(1);
    expect(ready(h.statuses.at(-1))).toBe('InForce');
    expect(h.statuses.at(-1)?.segmentsCovered).toBe(3);

    h.answer({ kind: 'notModified' });
    await settle(h, HOUR - 1);
    expect(h.fetches).toHaveLength(1);
    await settle(h, 1);
    expect(h.fetches).toHaveLength(2);
    expect(h.fetches[1]).toMatchObject({ etag: '"v1"', url: 'https://feeds.example.com/drop.txt', allowedHosts: ['feeds.example.com'] });
    // Nothing changed: no reconcile woken, the set and its digest the same.
    expect(h.changed).toHaveLength(1);
    expect(h.statuses.at(-1)?.lastSuccessfulSync).toBe(new Date(h.clock.now()).toISOString());
  });

  it('keeps the last good set through failed and unreadable reads, retrying after 30 s doubling, and takes a good read at once', async () => {
    const h = harness();
    h.answer(body(['192.0.2.0/24', '198.51.100.0/24']));
    h.controller.upsert(feed());
    h.controller.start();
    await settle(h);
    const good = h.controller.forNamespace('ml').digests;
    h.answer({ kind: 'failed', reason: 'Timeout', message: 'feeds.example.com: no answer in 30 s' });
    await settle(h, HOUR);
    expect(ready(h.statuses.at(-1))).toBe('FetchTimeout');
    expect(h.controller.forNamespace('ml').digests).toEqual(good);
    await settle(h, 30_000);
    expect(h.fetches).toHaveLength(3);
    await settle(h, 30_000);
    expect(h.fetches).toHaveLength(3); // the second retry waits 60 s
    h.answer(body(['garbage', 'more garbage']));
    await settle(h, 30_000);
    expect(h.fetches).toHaveLength(4);
    expect(ready(h.statuses.at(-1))).toBe('Unreadable');
    expect(h.controller.forNamespace('ml').digests).toEqual(good);
    expect(h.changed).toHaveLength(1);
    h.answer(body(['203.0.113.0/24'], '"v2"'));
    await settle(h, 120_000);
    expect(networks(h)).toEqual([`${0xcb007100}/24`]);
    expect(h.changed).toHaveLength(2);
    expect(ready(h.statuses.at(-1))).toBe('InForce');
  });

  it('after a restart with the source down, takes the set from its cache; a feed never read and not cached is unavailable', async () => {
    const first = harness();
    first.answer(body(['192.0.2.0/24']));
    first.controller.upsert(feed());
    first.controller.start();
    await settle(first);
    first.controller.stop();
    expect(first.cache.get('drop')?.networks).toEqual(['192.0.2.0/24']);

    const restarted = harness({ cache: first.cache });
    restarted.answer({ kind: 'failed', reason: 'TLS', message: 'feeds.example.com: certificate has expired' });
    restarted.controller.upsert(feed());
    restarted.controller.start();
    await settle(restarted);
    expect(restarted.controller.forNamespace('ml').digests).toEqual(first.controller.forNamespace('ml').digests);
    expect(ready(restarted.statuses.at(-1))).toBe('FetchTLS');

    const empty = harness();
    empty.answer({ kind: 'failed', reason: 'TLS', message: 'feeds.example.com: certificate has expired' });
    empty.controller.upsert(feed());
    empty.controller.start();
    await settle(empty);
    expect(empty.controller.forNamespace('ml')).toEqual({ digests: [], pending: [], unavailable: ['ThreatFeed drop has no set in force: feeds.example.com: certificate has expired'] });
    expect(ready(empty.statuses.at(-1))).toBe('NoSetInForce');
  });

  it('a feed whose cache belongs to another ThreatFeed of the same name does not inherit it', async () => {
    const cache = new Map<string, CachedSet>([['drop', { uid: 'uid-old', networks: ['192.0.2.0/24'], summary: { accepted: 1, rejected: 0, duplicates: 0, networks: 1, rejections: [], digest: `sha256:${'0'.repeat(64)}` }, sourceDigest: '', syncedAt: 0 }]]);
    const h = harness({ cache });
    h.answer({ kind: 'failed', reason: 'Network', message: 'feeds.example.com: refused' });
    h.controller.upsert(feed());
    h.controller.start();
    await settle(h);
    expect(h.controller.forNamespace('ml').inForce).toBeUndefined();
  });

  it('a refused Event does not stop a sync, and is logged with its reason rather than dropped unseen', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter((l) => l !== '')));
    const events: string[] = [];
    const h = harness({
      logger: createLogger({ stream: out, level: 'warn' }),
      events: (_feed, type, reason) => {
        events.push(`${type}/${reason}`);
        return Promise.reject(new Error('events is forbidden: User cannot create resource "events" in the namespace "default"'));
      },
    });
    h.answer({ kind: 'failed', reason: 'Timeout', message: 'feeds.example.com: no answer in 30 s' });
    h.controller.upsert(feed());
    h.controller.start();
    await settle(h);
    expect(events).toEqual(['Warning/ReadFailed']);
    // The status is written all the same: the failed Event did not end the sync.
    expect(ready(h.statuses.at(-1))).toBe('NoSetInForce');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['message'] === 'could not record Event');
    expect(logged).toEqual([expect.objectContaining({ feed: 'drop', reason: 'ReadFailed', error: expect.stringContaining('forbidden') })]);
  });
});
