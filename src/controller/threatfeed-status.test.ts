import { describe, expect, it } from '@jest/globals';
import { age, feedStatus } from './threatfeed-status.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const summary = { accepted: 3, rejected: 1, duplicates: 0, networks: 2, rejections: [{ line: 4, text: 'x', reason: 'does not parse' }], digest: `sha256:${'a'.repeat(64)}` };
const inForce = { summary, sourceDigest: `sha256:${'b'.repeat(64)}`, syncedAt: T0 };

describe('age', () => {
  it.each([
    [0, '0s'], [119_000, '119s'], [120_000, '2m'], [7_199_000, '120m'], [7_200_000, '2h'], [172_800_000, '2d'], [-5, '0s'],
  ])('%d ms is %s', (ms, text) => expect(age(ms)).toBe(text));
});

describe('feedStatus', () => {
  it('a set in force and the last read good: Ready InForce, with the counts, digests and the time of the read', () => {
    const s = feedStatus(undefined, { generation: 3, inForce, segmentsCovered: 7, now: T0 + 1000 });
    expect(s).toMatchObject({ ...summary, observedGeneration: 3, segmentsCovered: 7, sourceDigest: inForce.sourceDigest, lastSuccessfulSync: '2026-12-01T12:00:00.000Z' });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Ready', 'True', 'InForce', '2 network(s) in force, carved out of 7 segment(s).'],
      ['Stalled', 'False', 'InForce', ''],
    ]);
  });

  it('a failed read keeps the set: not Ready with the failure\'s reason, the set kept and its age; the counts are the set\'s', () => {
    const s = feedStatus(undefined, { generation: 3, inForce, failure: { reason: 'FetchTimeout', message: 'feeds.example.com: no answer in 30 s' }, segmentsCovered: 7, now: T0 + 3 * 3600_000 });
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    expect([ready?.status, ready?.reason]).toEqual(['False', 'FetchTimeout']);
    expect(ready?.message).toBe('feeds.example.com: no answer in 30 s; keeping the last good set (2 network(s), read 3h ago at 2026-12-01T12:00:00.000Z)');
    expect(s.digest).toBe(summary.digest);
    expect(s.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
  });

  it('a failed read with nothing in force says that nothing is blocked (NoSetInForce), and carries no counts', () => {
    const s = feedStatus(undefined, { generation: 1, failure: { reason: 'SourceNotFound', message: 'ConfigMap a/b does not exist' }, segmentsCovered: 0, now: T0 });
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'NoSetInForce' });
    expect(s.conditions?.[0]?.message).toContain('no set is in force');
    expect(s.digest).toBeUndefined();
    expect(s.accepted).toBeUndefined();
  });

  it('keeps lastTransitionTime while a condition keeps its status, and moves it when the status changes', () => {
    const first = feedStatus(undefined, { generation: 1, inForce, segmentsCovered: 1, now: T0 });
    const same = feedStatus(first, { generation: 1, inForce, segmentsCovered: 2, now: T0 + 60_000 });
    expect(same.conditions?.[0]?.lastTransitionTime).toBe('2026-12-01T12:00:00.000Z');
    const failed = feedStatus(same, { generation: 1, inForce, failure: { reason: 'Unreadable', message: 'x' }, segmentsCovered: 2, now: T0 + 120_000 });
    expect(failed.conditions?.[0]?.lastTransitionTime).toBe('2026-12-01T12:02:00.000Z');
  });

  it('an invalid spec is Stalled InvalidSpec, keeping what was in force', () => {
    const s = feedStatus(undefined, { generation: 2, inForce, invalid: 'spec is invalid: format: bad', segmentsCovered: 1, now: T0 });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['Ready', 'False', 'InvalidSpec'], ['Stalled', 'True', 'InvalidSpec']]);
    expect(s.conditions?.[0]?.message).toContain('keeping the last good set');
  });
});
