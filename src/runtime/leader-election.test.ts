import { FakeClock, flushMicrotasks } from './clock.js';
import {
  LeaderElector,
  LeaseConflictError,
  type LeaderElectionOptions,
  type LeaseRecord,
  type LeaseStore,
  type StoredLease,
} from './leader-election.js';

/** MemoryLease is one Lease object with API-server semantics: resourceVersion-guarded writes. */
class MemoryLease {
  lease: StoredLease | undefined;
  private rv = 0;

  write(record: LeaseRecord): StoredLease {
    this.lease = { record: { ...record }, resourceVersion: String(++this.rv) };
    return { record: { ...record }, resourceVersion: this.lease.resourceVersion };
  }
}

/** MemoryLeaseStore is one replica's client of a MemoryLease; `down` makes its calls fail, `hang` never answer. */
class MemoryLeaseStore implements LeaseStore {
  down = false;
  hang = false;
  constructor(private readonly backing: MemoryLease) {}

  private async call<T>(fn: () => T): Promise<T> {
    await Promise.resolve();
    if (this.hang) return new Promise<T>(() => {});
    if (this.down) throw new Error('connection refused');
    return fn();
  }

  get(): Promise<StoredLease | undefined> {
    return this.call(() => {
      const l = this.backing.lease;
      return l ? { record: { ...l.record }, resourceVersion: l.resourceVersion } : undefined;
    });
  }

  create(record: LeaseRecord): Promise<StoredLease> {
    return this.call(() => {
      if (this.backing.lease) throw new LeaseConflictError('already exists');
      return this.backing.write(record);
    });
  }

  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    return this.call(() => {
      if (!this.backing.lease) throw Object.assign(new Error('not found'), { code: 404 });
      if (this.backing.lease.resourceVersion !== resourceVersion) throw new LeaseConflictError();
      return this.backing.write(record);
    });
  }

  describe(): string {
    return 'test/leader';
  }
}

interface Candidate {
  id: string;
  store: MemoryLeaseStore;
  elector: LeaderElector;
  log: string[];
  stop: AbortController;
  done: Promise<void>;
  leadingSignal?: AbortSignal;
}

function candidate(
  id: string,
  lease: MemoryLease,
  clock: FakeClock,
  opts: Partial<LeaderElectionOptions> = {},
): Candidate {
  const store = new MemoryLeaseStore(lease);
  const log: string[] = [];
  const c: Partial<Candidate> = { id, store, log, stop: new AbortController() };
  c.elector = new LeaderElector({
    store,
    identity: id,
    clock,
    random: () => 0,
    callbacks: {
      onStartedLeading: (signal) => {
        c.leadingSignal = signal;
        log.push(`started@${clock.now()}`);
      },
      onStoppedLeading: () => log.push(`stopped@${clock.now()}`),
      onNewLeader: (leader) => log.push(`leader=${leader}`),
    },
    ...opts,
  });
  c.done = c.elector.run((c.stop as AbortController).signal);
  return c as Candidate;
}

describe('LeaderElector', () => {
  it('creates the Lease when absent, leads, and renews every retry period', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advanceAsync(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['leader=a', 'started@0']);
    expect(lease.lease?.record).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: 0,
      renewTime: 0,
      leaseTransitions: 0,
    });
    await clock.advanceAsync(6_000);
    expect(lease.lease?.record.renewTime).toBe(6_000);
    expect(lease.lease?.record.acquireTime).toBe(0);
    a.stop.abort();
    await a.done;
  });

  it('rejects settings where the lease could expire before the leader notices', () => {
    const store = new MemoryLeaseStore(new MemoryLease());
    const callbacks = { onStartedLeading: (): void => {}, onStoppedLeading: (): void => {} };
    expect(() => new LeaderElector({ store, identity: 'a', callbacks, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /leaseDuration/,
    );
    expect(() => new LeaderElector({ store, identity: 'a', callbacks, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      /renewDeadline/,
    );
    expect(() => new LeaderElector({ store, identity: '', callbacks })).toThrow(/identity/);
  });

  it('lets exactly one of two simultaneous candidates win; the other follows and observes it', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    const b = candidate('b', lease, clock);
    await clock.advanceAsync(30_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(b.elector.hasObservedLease()).toBe(true);
    expect(b.elector.leaderIdentity()).toBe('a');
    expect(b.log).toEqual(['leader=a']);
    expect(lease.lease?.record.leaseTransitions).toBe(0);
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.done, b.done]);
  });

  it('a leader that cannot renew stops before a follower may take over; the follower then leads', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advanceAsync(0);
    const b = candidate('b', lease, clock);
    await clock.advanceAsync(4_000); // a renewed at 2 s and 4 s; b observed the changes
    a.store.down = true; // a is partitioned from the API server
    await clock.advanceAsync(30_000);
    await a.done;
    const stoppedAt = Number(a.log.find((l) => l.startsWith('stopped@'))?.split('@')[1]);
    const startedB = Number(b.log.find((l) => l.startsWith('started@'))?.split('@')[1]);
    // Last renewal at 4 s: a gives up by 4 + 2 + 10 = 16 s; b waits until 4 + 15 = 19 s at least.
    expect(stoppedAt).toBeLessThanOrEqual(16_000);
    expect(startedB).toBeGreaterThanOrEqual(19_000);
    expect(stoppedAt).toBeLessThan(startedB);
    expect(a.leadingSignal?.aborted).toBe(true);
    expect(a.elector.isLeader()).toBe(false);
    expect(b.elector.isLeader()).toBe(true);
    expect(lease.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, acquireTime: startedB });
    b.stop.abort();
    await b.done;
  });

  it('judges expiry by when it observed the record change, not by the renewTime written in it', async () => {
    const clock = new FakeClock(3_600_000);
    const lease = new MemoryLease();
    // Written by a holder whose clock is an hour behind ours: renewTime looks ancient.
    lease.write({ holderIdentity: 'ghost', leaseDurationSeconds: 15, renewTime: 0, acquireTime: 0, leaseTransitions: 4 });
    const b = candidate('b', lease, clock);
    await clock.advanceAsync(14_000);
    expect(b.elector.isLeader()).toBe(false);
    // The ghost renews: the record changed, so the 15 s start over from this observation.
    lease.write({ holderIdentity: 'ghost', leaseDurationSeconds: 15, renewTime: 1, acquireTime: 0, leaseTransitions: 4 });
    await clock.advanceAsync(14_000);
    expect(b.elector.isLeader()).toBe(false);
    await clock.advanceAsync(6_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(lease.lease?.record.leaseTransitions).toBe(5);
    b.stop.abort();
    await b.done;
  });

  it('release on shutdown hands the lease over at once instead of after the lease duration', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advanceAsync(0);
    const b = candidate('b', lease, clock);
    await clock.advanceAsync(5_000);
    a.stop.abort(); // SIGTERM
    await a.done;
    expect(a.log.at(-1)).toBe('stopped@5000');
    expect(lease.lease?.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advanceAsync(2_000); // one retry period
    expect(b.elector.isLeader()).toBe(true);
    b.stop.abort();
    await b.done;
  });

  it('stops at once when it sees another holder on the Lease', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advanceAsync(0);
    lease.write({ holderIdentity: 'intruder', leaseDurationSeconds: 15, renewTime: 0, acquireTime: 0, leaseTransitions: 1 });
    await clock.advanceAsync(2_000);
    await a.done;
    expect(a.log).toEqual(['leader=a', 'started@0', 'leader=intruder', 'stopped@2000']);
    // It lost, so it must not release someone else's lease.
    expect(lease.lease?.record.holderIdentity).toBe('intruder');
  });

  it('treats a hung renewal as a failure and stops within the renew deadline', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await clock.advanceAsync(0);
    a.store.hang = true;
    await clock.advanceAsync(12_000);
    await a.done;
    expect(a.log.at(-1)).toBe('stopped@12000');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a follower that is shut down never calls onStoppedLeading and leaves no timers', async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    const b = candidate('b', lease, clock);
    await clock.advanceAsync(3_000);
    b.stop.abort();
    await b.done;
    expect(b.log).toEqual(['leader=a']);
    a.stop.abort();
    await a.done;
    await flushMicrotasks();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('microTime', () => {
  it('writes six fractional digits, as the API server parses MicroTime', async () => {
    const { microTime } = await import('./leader-election.js');
    expect(microTime(Date.UTC(2026, 11, 1, 14, 0, 0, 123))).toBe('2026-12-01T14:00:00.123000Z');
  });
});
