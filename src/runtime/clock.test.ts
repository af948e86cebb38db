import { FakeClock, realClock } from './clock.js';

describe('FakeClock', () => {
  it('fires due timers in due order, ties in creation order, including timers set while firing', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    clock.setTimeout(() => fired.push('d@20'), 20);
    clock.setTimeout(() => fired.push('late'), 50);
    clock.advance(20);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20', 'd@20']);
    expect(clock.now()).toBe(20);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextDue()).toBe(50);
  });

  it('clearTimeout cancels a timer', () => {
    const clock = new FakeClock(0);
    let fired = false;
    const h = clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.clearTimeout(h);
    clock.advance(100);
    expect(fired).toBe(false);
  });

  it('advanceAsync lets async callbacks schedule further timers within the window', async () => {
    const clock = new FakeClock(0);
    const times: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        times.push(clock.now());
      }
    };
    const done = loop();
    await clock.advanceAsync(300);
    await done;
    expect(times).toEqual([100, 200, 300]);
  });

  it('sleep resolves early when its signal aborts and leaves no timer behind', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const s = clock.sleep(1000, ac.signal);
    ac.abort();
    await s;
    expect(clock.pendingTimers()).toBe(0);
    await clock.sleep(5, ac.signal); // already aborted: immediate
  });
});

describe('realClock', () => {
  it('sleep can be cancelled', async () => {
    const ac = new AbortController();
    const s = realClock.sleep(60_000, ac.signal);
    ac.abort();
    await expect(s).resolves.toBeUndefined();
  });
});
