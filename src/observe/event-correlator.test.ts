import { EventCorrelator, type EventDecision } from './event-correlator.js';

function setup(opts: { burst?: number; maxEntries?: number } = {}): { c: EventCorrelator; clock: { t: number }; record: (uid: string, message: string) => EventDecision } {
  const clock = { t: 0 };
  const c = new EventCorrelator({ now: () => clock.t, ...opts });
  let n = 0;
  const record = (uid: string, message: string): EventDecision => {
    const d = c.decide(uid, 'Normal', 'DriftCorrected', message);
    if (d.action === 'create') c.created(d.key, `ev-${++n}`);
    return d;
  };
  return { c, clock, record };
}

describe('EventCorrelator', () => {
  it('turns identical Events within 10 minutes into one Event with a count', () => {
    const { clock, record } = setup();
    expect(record('w1', 'create NetworkPolicy a').action).toBe('create');
    clock.t = 60_000;
    expect(record('w1', 'create NetworkPolicy a')).toMatchObject({ action: 'update', name: 'ev-1', count: 2 });
    clock.t = 120_000;
    expect(record('w1', 'create NetworkPolicy a')).toMatchObject({ action: 'update', name: 'ev-1', count: 3 });
    // Another message, or another object, is another Event.
    expect(record('w1', 'create NetworkPolicy b')).toMatchObject({ action: 'create' });
    expect(record('w2', 'create NetworkPolicy a')).toMatchObject({ action: 'create' });
    // Ten quiet minutes later the same message starts a new Event.
    clock.t = 120_000 + 10 * 60_000 + 1;
    expect(record('w1', 'create NetworkPolicy a')).toMatchObject({ action: 'create' });
  });

  it('after forget (the Event expired on the server), the next identical one is created afresh', () => {
    const { c, record } = setup();
    const first = record('w', 'm');
    const second = record('w', 'm');
    expect(second.action).toBe('update');
    if (first.action !== 'create') throw new Error('expected a create');
    c.forget(first.key);
    expect(record('w', 'm').action).toBe('create');
  });

  it('lets an object have 25 Events at once, then one per 5 minutes; other objects are not affected', () => {
    const { clock, record } = setup();
    const actions = Array.from({ length: 30 }, () => record('busy', 'same').action);
    expect(actions.filter((a) => a !== 'drop')).toHaveLength(25);
    expect(actions.slice(25)).toEqual(['drop', 'drop', 'drop', 'drop', 'drop']);
    expect(record('calm', 'same').action).toBe('create');
    clock.t = 5 * 60_000 - 1;
    expect(record('busy', 'same').action).toBe('drop');
    clock.t = 5 * 60_000;
    expect(record('busy', 'same').action).not.toBe('drop');
    expect(record('busy', 'same').action).toBe('drop');
    // A long quiet spell refills the bucket, but never beyond the burst.
    clock.t = 24 * 3600_000;
    expect(Array.from({ length: 30 }, () => record('busy', 'x' + String(clock.t)).action).filter((a) => a !== 'drop')).toHaveLength(25);
  });

  it('forgets the least recently used entries beyond its bound', () => {
    const { record } = setup({ maxEntries: 2 });
    record('a', 'm');
    record('b', 'm');
    record('a', 'm'); // a is now the most recently used
    record('c', 'm'); // evicts b
    expect(record('a', 'm').action).toBe('update');
    expect(record('b', 'm').action).toBe('create');
  });
});
