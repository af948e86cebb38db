import { cpuSeconds, rssBytes } from './processes.js';

describe('cpuSeconds', () => {
  test("reads this process's CPU time from /proc, close to what Node.js counts, and it grows with work", () => {
    const before = cpuSeconds(process.pid);
    const own = process.cpuUsage();
    expect(before).toBeDefined();
    // Clock ticks of 10 ms: within a few ticks of Node.js's own count.
    expect(Math.abs((before ?? 0) - (own.user + own.system) / 1e6)).toBeLessThan(0.05);
    // Work until Node.js counts 150 ms more CPU (not wall time: a loaded machine may preempt us).
    let x = 0;
    while (process.cpuUsage(own).user < 150_000) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect((cpuSeconds(process.pid) ?? 0) - (before ?? 0)).toBeGreaterThanOrEqual(0.1);
  });

  test('is undefined for a process that does not exist', () => {
    expect(cpuSeconds(2 ** 22 + 1)).toBeUndefined();
    expect(rssBytes(2 ** 22 + 1)).toBeUndefined();
  });
});
