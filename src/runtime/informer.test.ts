import type { KubeObject } from '../api/kubernetes.js';
import { FakeClock, flushMicrotasks } from './clock.js';
import {
  backoffDelay,
  collectionPath,
  diffRelist,
  Informer,
  isGone,
  listItems,
  objectKey,
  type InformerOptions,
  type ListOptions,
  type ListPage,
  type ListWatchTransport,
  type RestartReason,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from './informer.js';

interface Obj extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> };
  data?: string;
}

function obj(ns: string, name: string, rv: string, labels: Record<string, string> = {}): Obj {
  return { metadata: { name, namespace: ns, resourceVersion: rv, labels } };
}

interface OpenWatch {
  opts: WatchOptions;
  onEvent: (e: WatchEvent<Obj>) => void;
  onDone: (err?: unknown) => void;
  stopped: boolean;
  done: boolean;
}

/** FakeTransport is an in-memory API: tests set the list answer and push watch events. */
class FakeTransport implements ListWatchTransport<Obj> {
  lists: ListOptions[] = [];
  watches: OpenWatch[] = [];
  /** Answers for list calls, in order; the last one repeats. */
  listAnswers: Array<Obj[] | { pages: Array<ListPage<Obj>> } | Error> = [];
  listRv = '100';
  private pageCursor = 0;

  list(opts: ListOptions): Promise<ListPage<Obj>> {
    this.lists.push(opts);
    const answer = this.listAnswers.length > 1 && !opts.continueToken ? this.listAnswers.shift() : this.listAnswers[0];
    if (answer instanceof Error) return Promise.reject(answer);
    if (answer && 'pages' in answer) {
      if (!opts.continueToken) this.pageCursor = 0;
      const page = answer.pages[this.pageCursor++];
      return Promise.resolve(page as ListPage<Obj>);
    }
    return Promise.resolve({ items: answer ?? [], resourceVersion: this.listRv });
  }

  watch(opts: WatchOptions, onEvent: (e: WatchEvent<Obj>) => void, onDone: (err?: unknown) => void): Promise<WatchHandle> {
    const w: OpenWatch = { opts, onEvent, onDone, stopped: false, done: false };
    this.watches.push(w);
    return Promise.resolve({
      stop: (): void => {
        if (w.stopped) return;
        w.stopped = true;
        // Like client-node: aborting ends the stream and reports an AbortError, asynchronously.
        queueMicrotask(() => this.end(w, new Error('The user aborted a request.')));
      },
    });
  }

  get current(): OpenWatch {
    const w = this.watches[this.watches.length - 1];
    if (!w) throw new Error('no watch opened');
    return w;
  }

  openWatches(): number {
    return this.watches.filter((w) => !w.done).length;
  }

  emit(type: WatchEvent<Obj>['type'], object: Obj | Record<string, unknown>): void {
    if (!this.current.stopped) this.current.onEvent({ type, object: object });
  }

  end(w: OpenWatch = this.current, err?: unknown): void {
    if (w.done) return;
    w.done = true;
    w.onDone(err);
  }
}

interface Harness {
  clock: FakeClock;
  t: FakeTransport;
  inf: Informer<Obj>;
  events: string[];
  restarts: RestartReason[];
}

async function startInformer(initial: Obj[], opts: Partial<InformerOptions<Obj>> = {}): Promise<Harness> {
  const clock = new FakeClock(0);
  const t = new FakeTransport();
  t.listAnswers = [initial];
  const events: string[] = [];
  const restarts: RestartReason[] = [];
  const inf = new Informer<Obj>({
    transport: t,
    resource: 'things',
    labelSelector: 'app.kubernetes.io/managed-by=bulkhead',
    clock,
    random: () => 0, // no jitter: delays are the undiscounted backoff
    onRestart: (r) => restarts.push(r),
    indexers: { byApp: (o) => (o.metadata.labels?.['app'] ? [o.metadata.labels['app']] : []) },
    ...opts,
  });
  inf.addEventHandler({
    onAdd: (o) => events.push(`add ${objectKey(o)}@${o.metadata.resourceVersion}`),
    onUpdate: (a, b) => events.push(`update ${objectKey(b)}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => events.push(`delete ${objectKey(o)}`),
  });
  inf.start();
  await inf.waitForSync();
  await flushMicrotasks();
  return { clock, t, inf, events, restarts };
}

describe('pure helpers', () => {
  it('backoffDelay doubles from 800 ms, caps at 30 s, and jitters downward only', () => {
    const none = (): number => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, none))).toEqual([
      800, 1600, 3200, 6400, 12800, 25600, 30000, 30000,
    ]);
    expect(backoffDelay(1, () => 0.999)).toBe(400);
    expect(backoffDelay(100, () => 0.5, { initialMs: 10, maxMs: 1000, jitter: 0.2 })).toBe(900);
    expect(backoffDelay(1_000_000, none)).toBe(30000);
  });

  it('diffRelist finds adds, resourceVersion changes and vanished objects', () => {
    const current = new Map<string, Obj>([
      ['a/same', obj('a', 'same', '1')],
      ['a/changed', obj('a', 'changed', '1')],
      ['a/gone', obj('a', 'gone', '1')],
    ]);
    const d = diffRelist(current, [obj('a', 'same', '1'), obj('a', 'changed', '2'), obj('b', 'new', '3')]);
    expect(d.added.map(objectKey)).toEqual(['b/new']);
    expect(d.updated.map((u) => [u.old.metadata.resourceVersion, u.new.metadata.resourceVersion])).toEqual([['1', '2']]);
    expect(d.deleted.map(objectKey)).toEqual(['a/gone']);
  });

  it('isGone recognises 410 as status, code or reason', () => {
    expect(isGone({ statusCode: 410 })).toBe(true);
    expect(isGone({ kind: 'Status', code: 410, reason: 'Expired' })).toBe(true);
    expect(isGone({ code: 500 })).toBe(false);
    expect(isGone(new Error('x'))).toBe(false);
    expect(isGone(undefined)).toBe(false);
  });

  it('collectionPath handles core, grouped and namespaced resources', () => {
    expect(collectionPath({ group: '', version: 'v1', plural: 'pods' })).toBe('/api/v1/pods');
    expect(collectionPath({ group: 'bulkhead.dev', version: 'v1alpha1', plural: 'aiworkloads', namespace: 'ml' })).toBe(
      '/apis/bulkhead.dev/v1alpha1/namespaces/ml/aiworkloads',
    );
  });
});

describe('Informer list and watch', () => {
  it('lists, emits adds, then watches from the list resourceVersion with the same selector and bookmarks', async () => {
    const h = await startInformer([obj('ns1', 'a', '10', { app: 'x' }), obj('ns2', 'b', '11')]);
    expect(h.inf.hasSynced()).toBe(true);
    expect(h.events).toEqual(['add ns1/a@10', 'add ns2/b@11']);
    expect(h.t.lists[0]?.labelSelector).toBe('app.kubernetes.io/managed-by=bulkhead');
    expect(h.t.current.opts).toMatchObject({
      resourceVersion: '100',
      labelSelector: 'app.kubernetes.io/managed-by=bulkhead',
      allowWatchBookmarks: true,
    });
    // Server-side timeout falls before the quiet timeout (300 s).
    expect(h.t.current.opts.timeoutSeconds).toBe(240);
    expect(h.inf.get('ns1', 'a')?.metadata.resourceVersion).toBe('10');
    expect(h.inf.listByNamespace('ns2').map(objectKey)).toEqual(['ns2/b']);
    expect(h.inf.byIndex('byApp', 'x').map(objectKey)).toEqual(['ns1/a']);
    await h.inf.stop();
  });

  it('follows paginated lists and watches from the last page resourceVersion', async () => {
    const clock = new FakeClock(0);
    const t = new FakeTransport();
    t.listAnswers = [
      {
        pages: [
          { items: [obj('n', 'a', '1')], resourceVersion: '50', continueToken: 'c1' },
          { items: [obj('n', 'b', '2')], resourceVersion: '50' },
        ],
      },
    ];
    const inf = new Informer<Obj>({ transport: t, resource: 'things', clock, pageSize: 1 });
    inf.start();
    await inf.waitForSync();
    await flushMicrotasks();
    expect(inf.listKeys()).toEqual(['n/a', 'n/b']);
    expect(t.lists.map((l) => [l.limit, l.continueToken])).toEqual([
      [1, undefined],
      [1, 'c1'],
    ]);
    expect(t.current.opts.resourceVersion).toBe('50');
    await inf.stop();
  });

  it('applies watch events to the store and indexes, and tracks bookmarks', async () => {
    const h = await startInformer([obj('ns1', 'a', '10', { app: 'x' })]);
    h.t.emit('ADDED', obj('ns1', 'b', '101', { app: 'x' }));
    h.t.emit('MODIFIED', obj('ns1', 'a', '102', { app: 'y' }));
    h.t.emit('DELETED', obj('ns1', 'b', '103'));
    h.t.emit('DELETED', obj('ns1', 'never-seen', '104'));
    h.t.emit('BOOKMARK', { metadata: { resourceVersion: '200' } });
    expect(h.events.slice(1)).toEqual(['add ns1/b@101', 'update ns1/a@10->102', 'delete ns1/b']);
    expect(h.inf.listKeys()).toEqual(['ns1/a']);
    expect(h.inf.byIndex('byApp', 'x')).toEqual([]);
    expect(h.inf.byIndex('byApp', 'y').map(objectKey)).toEqual(['ns1/a']);
    expect(h.inf.lastResourceVersion()).toBe('200');
    await h.inf.stop();
  });

  it('transforms every listed and watched object before caching it or handing it to handlers', async () => {
    const slim = (o: Obj): Obj => ({ metadata: { ...o.metadata, labels: {} } });
    const seen: (Obj | undefined)[] = [];
    const h = await startInformer([{ ...obj('n', 'a', '10', { app: 'x' }), data: 'big' }], { transform: slim });
    h.inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_a, b) => seen.push(b), onDelete: (o) => seen.push(o) });
    h.t.emit('ADDED', { ...obj('n', 'b', '101', { app: 'x' }), data: 'big' });
    h.t.emit('MODIFIED', { ...obj('n', 'a', '102', { app: 'y' }), data: 'big' });
    h.t.emit('DELETED', { ...obj('n', 'b', '103', { app: 'x' }), data: 'big' });
    expect(seen.map((o) => [objectKey(o as Obj), o?.data, o?.metadata.labels])).toEqual([
      ['n/b', undefined, {}],
      ['n/a', undefined, {}],
      ['n/b', undefined, {}],
    ]);
    expect(h.inf.list().map((o) => [objectKey(o), o.data, o.metadata.resourceVersion])).toEqual([['n/a', undefined, '102']]);
    // The index is built from the transformed object: the labels it indexes by are gone.
    expect(h.inf.byIndex('byApp', 'y')).toEqual([]);
    await h.inf.stop();
  });

  it('keeps going when a handler throws', async () => {
    const h = await startInformer([]);
    h.inf.addEventHandler({
      onAdd: () => {
        throw new Error('bad handler');
      },
    });
    h.t.emit('ADDED', obj('n', 'a', '101'));
    h.t.emit('ADDED', obj('n', 'b', '102'));
    expect(h.inf.listKeys()).toEqual(['n/a', 'n/b']);
    expect(h.events).toEqual(['add n/a@101', 'add n/b@102']);
    await h.inf.stop();
  });
});

describe('Informer supervision', () => {
  it('relists on a 410 ERROR event, emitting synthetic deletes and updates, then watches from the new list', async () => {
    const h = await startInformer([obj('n', 'keep', '1'), obj('n', 'change', '1'), obj('n', 'vanish', '1')]);
    h.t.listAnswers = [[obj('n', 'keep', '1'), obj('n', 'change', '5'), obj('n', 'new', '6')]];
    h.t.listRv = '300';
    h.t.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await flushMicrotasks();
    await flushMicrotasks();
    expect(h.restarts).toEqual(['gone']);
    expect(h.events.slice(3)).toEqual(['add n/new@6', 'update n/change@1->5', 'delete n/vanish']);
    expect(h.t.lists).toHaveLength(2);
    expect(h.t.watches).toHaveLength(2);
    expect(h.t.current.opts.resourceVersion).toBe('300');
    expect(h.t.watches[0]?.done).toBe(true); // the old watch was closed before the relist
    await h.inf.stop();
  });

  it('relists when the watch request itself fails with HTTP 410', async () => {
    const h = await startInformer([]);
    h.t.end(h.t.current, Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flushMicrotasks();
    await flushMicrotasks();
    expect(h.restarts).toEqual(['gone']);
    expect(h.t.lists).toHaveLength(2);
    await h.inf.stop();
  });

  it('restarts a cleanly closed watch after a backoff, not in a tight loop, from the latest resourceVersion', async () => {
    const h = await startInformer([]);
    h.t.emit('ADDED', obj('n', 'a', '150'));
    h.t.end(); // clean close
    await flushMicrotasks();
    expect(h.restarts).toEqual(['closed']);
    expect(h.t.watches).toHaveLength(1);
    await h.clock.advanceAsync(799);
    expect(h.t.watches).toHaveLength(1);
    await h.clock.advanceAsync(1);
    expect(h.t.watches).toHaveLength(2);
    expect(h.t.current.opts.resourceVersion).toBe('150');
    expect(h.t.lists).toHaveLength(1); // no relist for a clean close
    await h.inf.stop();
  });

  it('backs off exponentially on repeated errors and relists after too many', async () => {
    const h = await startInformer([], { maxWatchFailures: 3 });
    const openedAt: number[] = [h.clock.now()];
    for (let i = 0; i < 4; i++) {
      h.t.end(h.t.current, new Error('connection reset'));
      const before = h.t.watches.length;
      while (h.t.watches.length === before) await h.clock.advanceAsync(100);
      openedAt.push(h.clock.now());
    }
    const gaps = openedAt.slice(1).map((t, i) => t - (openedAt[i] ?? 0));
    expect(gaps.slice(0, 3)).toEqual([800, 1600, 3200]);
    expect(h.restarts).toEqual(['error', 'error', 'error', 'too-many-failures']);
    expect(h.t.lists).toHaveLength(2); // the fourth failure relisted
    await h.inf.stop();
  });

  it('reports itself disconnected while watches or lists fail, and connected once a list or watch succeeds', async () => {
    const h = await startInformer([], { maxWatchFailures: 1 });
    expect(h.inf.connected()).toBe(true);
    h.t.end(h.t.current, new Error('connect ECONNREFUSED'));
    await flushMicrotasks();
    expect(h.inf.connected()).toBe(false);
    h.t.listAnswers = [new Error('connect ECONNREFUSED')];
    h.t.end(h.t.current, new Error('connect ECONNREFUSED'));
    while (h.t.lists.length < 2) await h.clock.advanceAsync(100);
    expect(h.inf.connected()).toBe(false);
    h.t.listAnswers = [[]];
    while (h.t.lists.length < 3) await h.clock.advanceAsync(100);
    await flushMicrotasks();
    expect(h.inf.connected()).toBe(true);
    // A clean close (the server's watch timeout) is not a lost connection.
    h.t.end();
    await flushMicrotasks();
    expect(h.inf.connected()).toBe(true);
    await h.inf.stop();
  });

  it('a watch that stayed healthy resets the failure count', async () => {
    const h = await startInformer([], { healthyWatchMs: 10_000 });
    h.t.end(h.t.current, new Error('reset'));
    await h.clock.advanceAsync(800);
    h.t.end(h.t.current, new Error('reset'));
    await h.clock.advanceAsync(1600);
    expect(h.t.watches).toHaveLength(3);
    await h.clock.advanceAsync(20_000); // quiet timeout is 300 s: still open
    h.t.end(h.t.current, new Error('reset'));
    await h.clock.advanceAsync(799);
    expect(h.t.watches).toHaveLength(3);
    await h.clock.advanceAsync(1);
    expect(h.t.watches).toHaveLength(4);
    await h.inf.stop();
  });

  it('aborts and relists a watch that goes quiet; events and bookmarks keep it alive', async () => {
    const h = await startInformer([], { quietTimeoutMs: 60_000 });
    await h.clock.advanceAsync(50_000);
    h.t.emit('BOOKMARK', { metadata: { resourceVersion: '120' } });
    await h.clock.advanceAsync(50_000);
    expect(h.t.current.stopped).toBe(false);
    expect(h.restarts).toEqual([]);
    await h.clock.advanceAsync(10_000);
    expect(h.t.watches[0]?.stopped).toBe(true);
    expect(h.restarts).toEqual(['quiet']);
    expect(h.t.lists).toHaveLength(2);
    expect(h.t.watches).toHaveLength(2);
    expect(h.t.openWatches()).toBe(1);
    await h.inf.stop();
  });

  it('retries a failing list with backoff and only then becomes synced', async () => {
    const clock = new FakeClock(0);
    const t = new FakeTransport();
    t.listAnswers = [new Error('connection refused'), new Error('connection refused'), [obj('n', 'a', '1')]];
    const restarts: RestartReason[] = [];
    const inf = new Informer<Obj>({ transport: t, resource: 'things', clock, random: () => 0, onRestart: (r) => restarts.push(r) });
    inf.start();
    await clock.advanceAsync(0);
    expect(inf.hasSynced()).toBe(false);
    await clock.advanceAsync(800);
    expect(t.lists).toHaveLength(2);
    await clock.advanceAsync(1600);
    expect(t.lists).toHaveLength(3);
    expect(inf.hasSynced()).toBe(true);
    expect(restarts).toEqual(['list-error', 'list-error']);
    await inf.stop();
  });

  it('stop resolves only after the watch reported done, and leaves no timers behind', async () => {
    const h = await startInformer([]);
    let stopped = false;
    const stopping = h.inf.stop().then(() => {
      stopped = true;
    });
    expect(h.t.current.stopped).toBe(true);
    await stopping;
    expect(stopped).toBe(true);
    expect(h.t.openWatches()).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('stop during a backoff sleep ends at once', async () => {
    const h = await startInformer([]);
    h.t.end(h.t.current, new Error('reset'));
    await flushMicrotasks();
    expect(h.clock.pendingTimers()).toBe(1); // the backoff sleep
    await h.inf.stop();
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.t.watches).toHaveLength(1);
  });
});

describe('listItems', () => {
  test('gives the items of a list of a built-in kind the apiVersion and kind a watch event has', () => {
    const raw = { apiVersion: 'v1', kind: 'ServiceAccountList', items: [{ metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'b' } }] };
    expect(listItems(raw)).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'b' } },
    ]);
  });

  test('leaves items alone when the list says nothing', () => {
    expect(listItems({ items: [{ metadata: { name: 'a' } }] })).toEqual([{ metadata: { name: 'a' } }]);
    expect(listItems({})).toEqual([]);
  });
});
