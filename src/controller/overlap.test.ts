import { MAX_NAMED_OVERLAPS, overlapMessages } from './overlap.js';

const seg = (workload: string, component: string, matchLabels: Record<string, string>): { workload: string; component: string; selector: { matchLabels: Record<string, string> } } =>
  ({ workload, component, selector: { matchLabels } });

describe('overlapMessages', () => {
  const ours = [seg('w', 'data', { app: 'minio' }), seg('w', 'ingest', { job: 'ingest' })];

  it('names a pod in two of our segments', () => {
    expect(overlapMessages(ours, [], [{ name: 'both', labels: { app: 'minio', job: 'ingest' } }, { name: 'data-0', labels: { app: 'minio' } }]))
      .toEqual(['pod both is in segments w/data and w/ingest']);
  });

  it('names a pod in one of ours and one of another AIWorkload', () => {
    expect(overlapMessages(ours, [seg('v', 'cache', { app: 'minio' })], [{ name: 'data-0', labels: { app: 'minio' } }]))
      .toEqual(['pod data-0 is in segments w/data and v/cache']);
  });

  it('ignores overlaps that are not ours', () => {
    expect(overlapMessages(ours, [seg('v', 'a', { x: '1' }), seg('v', 'b', { y: '1' })], [{ name: 'p', labels: { x: '1', y: '1' } }])).toEqual([]);
  });

  it('is bounded', () => {
    const pods = Array.from({ length: 8 }, (_v, i) => ({ name: `p${i}`, labels: { app: 'minio', job: 'ingest' } }));
    const lines = overlapMessages(ours, [], pods);
    expect(lines).toHaveLength(MAX_NAMED_OVERLAPS + 1);
    expect(lines[MAX_NAMED_OVERLAPS]).toBe('and 3 more pod(s) in several segments');
  });
});
