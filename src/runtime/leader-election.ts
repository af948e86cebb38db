/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's
 * tools/leaderelection algorithm:
 *
 * - a candidate gets the Lease, creating it if absent; every write is a replace guarded by the
 *   resourceVersion it read, so of two racing candidates one gets 409 Conflict and stays follower;
 * - a Lease held by someone else is expired only when `observedTime + leaseDuration < now`, where
 *   observedTime is when THIS replica last saw the Lease record change (its spec, not its
 *   renewTime, which was written with another machine's clock) and leaseDuration is the record's
 *   own `leaseDurationSeconds`;
 * - the leader renews every retryPeriod; if a renewal round does not succeed within renewDeadline
 *   (< leaseDuration, so this happens before any follower may take over) it stops leading;
 * - `release()` writes holderIdentity '' and leaseDurationSeconds 1, so a follower takes over on
 *   its next retry instead of waiting out the lease.
 *
 * One deliberate difference: a leader that observes the Lease held by someone else stops at once
 * instead of retrying until the renew deadline (a write that is already lost cannot be won back).
 */
import type { KubeConfig } from './kubeconfig.js';
import { type Clock, realClock, type TimerHandle } from './clock.js';
import { createRestClient, isConflict, isNotFound } from './rest.js';
import type { Logger } from '../observe/logger.js';

/** LeaseRecord is the election state in a Lease's spec; times are epoch milliseconds. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: number;
  renewTime?: number;
  leaseTransitions: number;
}

export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** LeaseConflictError is a 409: the Lease exists (create) or changed since it was read (replace). */
export class LeaseConflictError extends Error {
  constructor(message = 'lease conflict') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** LeaseStore reads and writes one Lease. Any thrown error is a failed attempt. */
export interface LeaseStore {
  /** get returns the Lease, or undefined when it does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** create creates the Lease; throws LeaseConflictError if it already exists. */
  create(record: LeaseRecord): Promise<StoredLease>;
  /** update replaces the Lease if its resourceVersion still matches; else LeaseConflictError. */
  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
  /** describe names the Lease for logs, e.g. `bulkhead-system/bulkhead-leader`. */
  describe(): string;
}

/** The Lease as the API serves it (coordination.k8s.io/v1); times are MicroTime strings. */
interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string; renewTime?: string };
}

function toStored(lease: LeaseObject): StoredLease {
  const s = lease.spec ?? {};
  const record: LeaseRecord = {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    leaseTransitions: s.leaseTransitions ?? 0,
  };
  if (s.acquireTime) record.acquireTime = new Date(s.acquireTime).getTime();
  if (s.renewTime) record.renewTime = new Date(s.renewTime).getTime();
  return { record, resourceVersion: lease.metadata?.resourceVersion ?? '' };
}

/** microTime formats epoch milliseconds as a MicroTime (RFC 3339 with six fractional digits). */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

function toLease(name: string, namespace: string, record: LeaseRecord, resourceVersion?: string): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTime !== undefined ? { acquireTime: microTime(record.acquireTime) } : {}),
      ...(record.renewTime !== undefined ? { renewTime: microTime(record.renewTime) } : {}),
    },
  };
}

/**
 * kubeLeaseStore is the LeaseStore on the operator's one transport (rest.ts): the same timeouts
 * and error model as every other request, and a 409 is the conflict the elector retries.
 */
export function kubeLeaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const rest = createRestClient(kc);
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const object = `${collection}/${encodeURIComponent(name)}`;
  const conflict = (err: unknown): unknown => (isConflict(err) ? new LeaseConflictError(`lease ${namespace}/${name}: conflict`) : err);
  return {
    async get(): Promise<StoredLease | undefined> {
      try {
        return toStored(await rest.request<LeaseObject>('GET', object));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record: LeaseRecord): Promise<StoredLease> {
      try {
        return toStored(await rest.request<LeaseObject>('POST', collection, { body: toLease(name, namespace, record) }));
      } catch (err) {
        throw conflict(err);
      }
    },
    async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
      try {
        return toStored(await rest.request<LeaseObject>('PUT', object, { body: toLease(name, namespace, record, resourceVersion) }));
      } catch (err) {
        throw conflict(err);
      }
    },
    describe: (): string => `${namespace}/${name}`,
  };
}

export interface LeaderCallbacks {
  /**
   * onStartedLeading is called once this replica leads. `signal` aborts the moment leadership
   * ends; everything that writes must stop then.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** onStoppedLeading is called when a replica that led stops leading (lost, or released). */
  onStoppedLeading(): void;
  /** onNewLeader is called when the observed holder changes (including to this replica). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  /** Unique per replica, e.g. the pod name plus a random suffix. */
  identity: string;
  callbacks: LeaderCallbacks;
  /** @default 15 000 */
  leaseDurationMs?: number;
  /** @default 10 000 */
  renewDeadlineMs?: number;
  /** @default 2 000 */
  retryPeriodMs?: number;
  /** Release the Lease when run()'s signal aborts. @default true */
  releaseOnCancel?: boolean;
  clock?: Clock;
  /** Random source in [0, 1) for acquire jitter. @default Math.random */
  random?: () => number;
  logger?: Logger;
}

/** client-go's JitterFactor for acquire retries. */
const JITTER_FACTOR = 1.2;
const TIMED_OUT = Symbol('timed out');

/**
 * checkTiming refuses settings under which two replicas could lead at once: the leader must give up
 * (renewDeadline) before a follower may take over (leaseDuration), and have time to retry first.
 */
function checkTiming(identity: string, leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number): void {
  if (!identity) throw new Error('leader election: identity must not be empty');
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  }
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) {
    throw new Error('leader election: renewDeadline must be greater than retryPeriod*1.2');
  }
}

/** LeaderElector runs one candidate. See the file comment. */
export class LeaderElector {
  private readonly store: LeaseStore;
  private readonly id: string;
  private readonly cb: LeaderCallbacks;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger | undefined;
  private observed: StoredLease | undefined;
  private observedSpec = '';
  private observedTime = 0;
  private reportedLeader = '';
  private leading = false;
  private leadingController: AbortController | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.store = opts.store;
    this.id = opts.identity;
    this.cb = opts.callbacks;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = opts.releaseOnCancel ?? true;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger?.child({ lease: opts.store.describe(), identity: opts.identity });
    checkTiming(this.id, this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
  }

  /** isLeader is true from onStartedLeading until leadership ends (before onStoppedLeading). */
  isLeader(): boolean {
    return this.leading;
  }

  /** hasObservedLease is true once this replica has read (or written) the Lease. */
  hasObservedLease(): boolean {
    return this.observed !== undefined;
  }

  /** leaderIdentity is the holder last observed ('' if released or unknown). */
  leaderIdentity(): string {
    return this.observed?.record.holderIdentity ?? '';
  }

  /**
   * run campaigns until this replica leads, leads until leadership is lost or signal aborts, and
   * then resolves. On abort it releases the Lease (unless releaseOnCancel is false). The caller
   * should exit the process when run resolves after leading.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    this.leading = true;
    this.leadingController = new AbortController();
    this.log?.info('Started leading');
    // Not awaited: the callback typically runs the controller for as long as it leads, while
    // renewals must go on (client-go runs it in its own goroutine).
    this.startLeadingCallback(this.leadingController.signal);
    await this.renewLoop(signal);
    this.stopLeading();
    if (signal.aborted && this.releaseOnCancel) await this.release();
    this.log?.info('Stopped leading');
    this.cb.onStoppedLeading();
  }

  /**
   * release gives the Lease up if this replica holds it: holder '' and a 1 s duration, so a
   * follower takes over at its next retry. Errors are logged; losing a release race is harmless.
   */
  async release(): Promise<void> {
    this.stopLeading();
    const held = this.observed;
    if (!held || held.record.holderIdentity !== this.id) return;
    const now = this.clock.now();
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: held.record.leaseTransitions,
    };
    try {
      this.observe(await this.store.update(record, held.resourceVersion), true);
      this.log?.info('Released lease');
    } catch (err) {
      this.log?.warn('Failed to release lease', { err: String(err) });
    }
  }

  private startLeadingCallback(leading: AbortSignal): void {
    const fail = (err: unknown): void => this.log?.error('onStartedLeading failed', { err: String(err) });
    try {
      const result = this.cb.onStartedLeading(leading);
      if (result) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private stopLeading(): void {
    this.leading = false;
    this.leadingController?.abort();
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log?.info('Attempting to acquire leader lease');
    while (!signal.aborted) {
      const ok = await this.attempt(this.renewDeadlineMs, signal);
      if (ok && !signal.aborted) return true;
      const wait = this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
      await this.clock.sleep(wait, signal);
    }
    return false;
  }

  /** renewLoop returns when leadership is lost or signal aborts. */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const renewed = await this.renewWithinDeadline(signal);
      if (signal.aborted) return;
      if (!renewed) {
        this.log?.warn(this.heldByOther() ? 'Lease taken by another holder' : 'Failed to renew lease within the deadline', {
          holder: this.leaderIdentity(),
        });
        return;
      }
    }
  }

  /**
   * renewWithinDeadline retries renewing until it succeeds, renewDeadline has passed, or the Lease
   * is seen held by another replica (a write already lost cannot be won back).
   */
  private async renewWithinDeadline(signal: AbortSignal): Promise<boolean> {
    const deadline = this.clock.now() + this.renewDeadlineMs;
    for (;;) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || signal.aborted) return false;
      const renewed = await this.attempt(remaining, signal);
      if (renewed || signal.aborted || this.heldByOther()) return renewed;
      await this.clock.sleep(Math.min(this.retryPeriodMs, deadline - this.clock.now()), signal);
    }
  }

  private heldByOther(): boolean {
    const holder = this.observed?.record.holderIdentity ?? '';
    return holder !== '' && holder !== this.id;
  }

  /** attempt runs tryAcquireOrRenew but gives up after ms or on abort (a hung request is a failure). */
  private async attempt(ms: number, signal: AbortSignal): Promise<boolean> {
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(TIMED_OUT), ms);
      onAbort = (): void => resolve(TIMED_OUT);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const tried = this.tryAcquireOrRenew().catch((err: unknown) => {
      this.log?.debug('Lease attempt failed', { err: String(err) });
      return false;
    });
    try {
      const result = await Promise.race([tried, deadline]);
      return result === true;
    } finally {
      if (timer) this.clock.clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** tryAcquireOrRenew is client-go's function of the same name. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    const current = await this.store.get();
    const now = this.clock.now();
    if (!current) {
      const record: LeaseRecord = {
        holderIdentity: this.id,
        leaseDurationSeconds: durationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      };
      this.observe(await this.store.create(record), true);
      return true;
    }
    this.observe(current, false);
    const rec = current.record;
    const heldMs = (rec.leaseDurationSeconds > 0 ? rec.leaseDurationSeconds : durationSeconds) * 1000;
    const iHold = rec.holderIdentity === this.id;
    if (rec.holderIdentity !== '' && !iHold && this.observedTime + heldMs >= now) return false;
    const record: LeaseRecord = {
      holderIdentity: this.id,
      leaseDurationSeconds: durationSeconds,
      acquireTime: iHold && rec.acquireTime !== undefined ? rec.acquireTime : now,
      renewTime: now,
      leaseTransitions: iHold ? rec.leaseTransitions : rec.leaseTransitions + 1,
    };
    this.observe(await this.store.update(record, current.resourceVersion), true);
    return true;
  }

  /** observe records what this replica saw; observedTime moves only when the record changed. */
  private observe(lease: StoredLease, wrote: boolean): void {
    const spec = JSON.stringify(lease.record);
    if (wrote || spec !== this.observedSpec) {
      this.observedSpec = spec;
      this.observedTime = this.clock.now();
    }
    this.observed = lease;
    const holder = lease.record.holderIdentity;
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.log?.info('New leader observed', { leader: holder });
      this.cb.onNewLeader?.(holder);
    }
  }
}
