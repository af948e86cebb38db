import { type ChildReport, measureInChild, memoryErrors } from './child-memory.js';

const report = (over: Partial<ChildReport>): ChildReport => ({
  baseline: { rss: 100, heapUsed: 50, heapTotal: 60 },
  after: { rss: 150, heapUsed: 80, heapTotal: 90 },
  marks: [],
  peakRss: 200,
  figures: {},
  ...over,
});

describe('memoryErrors', () => {
  it('accepts figures at or above the baseline', () => {
    expect(memoryErrors(report({}))).toEqual([]);
    expect(memoryErrors(report({ after: { rss: 100, heapUsed: 50, heapTotal: 60 } }))).toEqual([]);
  });

  it('reports a final heap or RSS below the baseline as an error, not a size', () => {
    expect(memoryErrors(report({ after: { rss: 150, heapUsed: 49, heapTotal: 60 } }))).toEqual(['final: heap 49 B is below the baseline 50 B']);
    expect(memoryErrors(report({ after: { rss: 99, heapUsed: 80, heapTotal: 90 } }))).toEqual(['final: RSS 99 B is below the baseline 100 B']);
  });

  it('checks every mark too', () => {
    expect(memoryErrors(report({ marks: [{ label: 'pods', rss: 120, heapUsed: 10, heapTotal: 60 }] }))).toEqual(['pods: heap 10 B is below the baseline 50 B']);
  });
});

describe('measureInChild', () => {
  const silent = new URL('./testdata/silent-child.mjs', import.meta.url).href;

  it('fails, naming the case, when the child exits without a report', async () => {
    await expect(measureInChild(silent, 'exit')).rejects.toThrow('benchmark case exit failed (exit 3): no report');
  });

  it('fails instead of hanging when the child does not report in time', async () => {
    await expect(measureInChild(silent, 'quiet', [], 500)).rejects.toThrow('benchmark case quiet failed (exit SIGKILL): no report after 0.5 s');
  });
});
