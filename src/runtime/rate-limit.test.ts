import { FakeClock } from './clock.js';
import { tokenBucket } from './rate-limit.js';

/** Takes n tokens at once and returns when each was granted, in ms after the start. */
async function grants(qps: number, burst: number, n: number, clock = new FakeClock()): Promise<number[]> {
  const limiter = tokenBucket({ qps, burst }, clock);
  const start = clock.now();
  const at: number[] = [];
  const all = Array.from({ length: n }, () => limiter.take().then(() => at.push(clock.now() - start)));
  await clock.advanceAsync(60_000);
  await Promise.all(all);
  return at;
}

describe('tokenBucket', () => {
  it('lets a burst go at once, then one request per 1/qps seconds', async () => {
    expect(await grants(10, 3, 6)).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('refills while idle, but never beyond the burst', async () => {
    const clock = new FakeClock();
    const limiter = tokenBucket({ qps: 2, burst: 2 }, clock);
    await limiter.take();
    await limiter.take();
    clock.advance(10_000);
    let granted = 0;
    const three = [limiter.take(), limiter.take(), limiter.take()].map((p) => p.then(() => granted++));
    await Promise.resolve();
    await Promise.resolve();
    expect(granted).toBe(2);
    await clock.advanceAsync(500);
    await Promise.all(three);
    expect(granted).toBe(3);
  });

  it('holds the rate over many requests: n requests take (n - burst) / qps seconds', async () => {
    const at = await grants(50, 10, 510);
    expect(at[at.length - 1]).toBe(10_000);
  });

  it('qps 0 or less means no limit', async () => {
    expect(await grants(0, 1, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(await grants(-1, 1, 3)).toEqual([0, 0, 0]);
  });
});
