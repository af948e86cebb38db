import { realClock } from '../runtime/clock.js';
import { type ExposureInput, ExposureLoop, type ExposureResult } from './exposure-loop.js';

const input = (name: string): ExposureInput => ({ namespace: 'ns', name, spec: { components: [] } as unknown as ExposureInput['spec'], objects: [], audit: false });

/** Polls with a deadline (no fixed sleeps). */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function loop(answers: Map<string, string[]>, busy: () => boolean = () => false): { loop: ExposureLoop; computed: string[]; changed: string[] } {
  const computed: string[] = [];
  const changed: string[] = [];
  const l = new ExposureLoop({
    clock: realClock,
    delayMs: 1,
    maxDeferMs: 200,
    busy,
    compute: (i): ExposureResult => {
      computed.push(i.name);
      return { exposed: answers.get(i.name) ?? [], wouldBlock: [] };
    },
    changed: (key) => changed.push(key),
  });
  return { loop: l, computed, changed };
}

describe('ExposureLoop', () => {
  it('coalesces marks into one analysis per workload, and reports only results that changed', async () => {
    const answers = new Map([['a', ['a: exposed']]]);
    const { loop: l, computed, changed } = loop(answers);
    l.update('ns/a', input('a'));
    l.update('ns/b', input('b'));
    for (let i = 0; i < 50; i++) l.markAll();
    await until(() => l.pending() === 0 && computed.length >= 2);
    await l.stop();
    expect(computed.sort()).toEqual(['a', 'b']);
    // b's first result (nothing) is what its reconcile already reported: no second reconcile.
    expect(changed).toEqual(['ns/a']);
    expect(l.result('ns/a')?.exposed).toEqual(['a: exposed']);
  });

  it('analyses again after a change, and says so only when the answer moved', async () => {
    const answers = new Map<string, string[]>();
    const { loop: l, computed, changed } = loop(answers);
    l.update('ns/a', input('a'));
    await until(() => computed.length === 1);
    l.markAll();
    await until(() => computed.length === 2);
    expect(changed).toEqual([]);
    answers.set('a', ['a: now exposed']);
    l.markAll();
    await until(() => changed.length === 1);
    answers.set('a', []);
    l.markAll();
    await until(() => changed.length === 2);
    expect(l.result('ns/a').exposed).toEqual([]);
    answers.set('a', ['a: now exposed']);
    l.markAll();
    await until(() => changed.length === 3);
    await l.stop();
    expect(l.result('ns/a')?.exposed).toEqual(['a: now exposed']);
  });

  it('defers to busy reconcile workers, but never for longer than maxDeferMs', async () => {
    let busy = true;
    const { loop: l, computed } = loop(new Map(), () => busy);
    const started = Date.now();
    l.update('ns/a', input('a'));
    await until(() => computed.length === 1);
    const waited = Date.now() - started;
    busy = false;
    await l.stop();
    expect(waited).toBeGreaterThanOrEqual(150);
  });

  it('markWide re-analyses only the keys whose last result read the whole cluster', async () => {
    const { loop: l, computed } = loop(new Map());
    l.update('ns/a', input('a'));
    l.update('ns/b', input('b'));
    await until(() => computed.length === 2);
    l.noteWide('ns/a', true);
    l.noteWide('ns/b', false);
    l.markWide();
    await until(() => computed.length === 3);
    await until(() => l.idle());
    await l.stop();
    expect(computed.slice(2)).toEqual(['a']);
  });

  it('forgets a removed workload', async () => {
    const { loop: l, computed } = loop(new Map([['a', ['x']]]));
    l.update('ns/a', input('a'));
    l.remove('ns/a');
    l.markAll();
    await l.stop();
    expect(computed).toEqual([]);
    expect(l.result('ns/a')).toEqual({ exposed: [], wouldBlock: [] });
  });
});
