// Writes to the API server: server-side apply with one field manager, pruning with a UID
// precondition (never delete an object that was replaced under the same name), status through the
// status subresource, and Events.
import { API_VERSION, FIELD_MANAGER, KIND } from '../api/constants.js';
import type { AIWorkloadStatus } from '../api/types.js';
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import type { AIWorkloadObject, ClusterWriter } from '../controller/reconciler.js';
import { EventCorrelator } from '../observe/event-correlator.js';
import { type RestClient, isInvalid, isNotFound } from '../runtime/rest.js';
import { RESOURCES, collectionPath, objectPath } from './resources.js';

/** Server-side apply as Bulkhead's one field manager (also the feed store's). */
export const APPLY = { fieldManager: FIELD_MANAGER, force: true };
export const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';

export interface WriterOptions {
  /** Identity of this replica, for Events. */
  instance: string;
  now: () => Date;
  /** When false, every write is refused (a replica that is not the leader must not write). */
  mayWrite?: () => boolean;
  /** Deduplicates and rate-limits Events (src/observe/event-correlator.ts). @default one with client-go's limits */
  correlator?: EventCorrelator;
  /** Called for each Event the correlator drops, or that finds the send queue full. */
  onEventDropped?: () => void;
  /** Called when an Event could not be recorded (best effort: the reconcile never waits for it). */
  onEventFailed?: (reason: string, err: unknown) => void;
}

/** Events waiting to be sent; more are dropped (and counted) rather than held without bound. */
const MAX_PENDING_EVENTS = 1000;

/** A new Event (count 1) about `involved`, in `namespace`, as Bulkhead records every Event. */
export function eventBody(
  namespace: string,
  involved: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string | undefined },
  what: { type: string; reason: string; message: string },
  instance: string,
  now: string,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.name}.`, namespace },
    involvedObject: involved,
    ...what,
    source: { component: 'bulkhead' },
    reportingComponent: 'bulkhead.dev/operator',
    reportingInstance: instance,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

export class NotLeaderError extends Error {
  constructor() {
    super('this replica is not the leader; refusing to write');
  }
}

export function createWriter(rest: RestClient, opts: WriterOptions): ClusterWriter {
  const guard = (): void => {
    if (opts.mayWrite !== undefined && !opts.mayWrite()) throw new NotLeaderError();
  };
  const apply = async (obj: GeneratedObject): Promise<void> => {
    const path = objectPath(RESOURCES[obj.kind], obj.metadata.namespace, obj.metadata.name);
    await rest.request('PATCH', path, { query: APPLY, body: obj, contentType: APPLY_CONTENT_TYPE });
  };
  const correlator = opts.correlator ?? new EventCorrelator({ now: () => opts.now().getTime() });
  const pending: (() => Promise<void>)[] = [];
  let sending: Promise<void> | undefined;
  /** Creates an Event; returns its name. */
  const postEvent = async (target: AIWorkloadObject, namespace: string, type: string, reason: string, message: string, now: string): Promise<string | undefined> => {
    const involved = { apiVersion: API_VERSION, kind: KIND, name: target.metadata.name, namespace, uid: target.metadata.uid };
    const created = await rest.request<{ metadata?: { name?: string } }>('POST', collectionPath(RESOURCES.Event, namespace), {
      body: eventBody(namespace, involved, { type, reason, message }, opts.instance, now),
    });
    return created.metadata?.name;
  };
  /** count and lastTimestamp of an existing Event; false when it is gone (the Event TTL). */
  const bumpEvent = async (namespace: string, name: string, count: number, now: string): Promise<boolean> => {
    try {
      await rest.request('PATCH', objectPath(RESOURCES.Event, namespace, name), { body: { count, lastTimestamp: now }, contentType: 'application/merge-patch+json' });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
  return {
    async apply(obj) {
      guard();
      try {
        await apply(obj);
      } catch (err) {
        // roleRef is immutable: a binding whose role changed is deleted and created again.
        if (obj.kind === 'RoleBinding' && isInvalid(err) && String((err as Error).message).includes('roleRef')) {
          await rest.request('DELETE', objectPath(RESOURCES.RoleBinding, obj.metadata.namespace, obj.metadata.name)).catch((e: unknown) => {
            if (!isNotFound(e)) throw e;
          });
          await apply(obj);
          return;
        }
        throw err;
      }
    },
    async remove(kind: GeneratedKind, namespace: string, name: string, uid: string) {
      guard();
      try {
        await rest.request('DELETE', objectPath(RESOURCES[kind], namespace, name), {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(uid !== '' ? { preconditions: { uid } } : {}) },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async stripMetadata(kind: GeneratedKind, namespace: string, name: string, keys: { labels: string[]; annotations: string[] }, resourceVersion?: string) {
      guard();
      // A merge patch: null removes a key whoever owns it. The resourceVersion makes it conditional
      // (409 when the object changed since the plan; the next reconcile plans again).
      const nulls = (list: string[]): Record<string, null> | undefined => (list.length === 0 ? undefined : Object.fromEntries(list.map((k) => [k, null])));
      const metadata = { labels: nulls(keys.labels), annotations: nulls(keys.annotations), ...(resourceVersion === undefined ? {} : { resourceVersion }) };
      await rest.request('PATCH', objectPath(RESOURCES[kind], namespace, name), { body: { metadata }, contentType: 'application/merge-patch+json' });
    },
    async writeStatus(namespace: string, name: string, status: AIWorkloadStatus) {
      guard();
      await rest.request('PATCH', `${objectPath(RESOURCES.AIWorkload, namespace, name)}/status`, {
        query: APPLY,
        body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, status },
        contentType: APPLY_CONTENT_TYPE,
      });
    },
    /**
     * Records an Event without holding the reconcile up: it is queued and sent in order by one
     * background loop, as client-go's recorder does. A reconcile's writes and status go first.
     */
    event(target: AIWorkloadObject, type, reason, message) {
      guard();
      if (pending.length >= MAX_PENDING_EVENTS) return Promise.resolve(opts.onEventDropped?.());
      pending.push(async () => {
        const namespace = target.metadata.namespace ?? 'default';
        const text = message.slice(0, 1024);
        const decision = correlator.decide(target.metadata.uid ?? `${namespace}/${target.metadata.name}`, type, reason, text);
        if (decision.action === 'drop') return opts.onEventDropped?.();
        const now = opts.now().toISOString();
        if (decision.action === 'update' && (await bumpEvent(namespace, decision.name, decision.count, now))) return;
        correlator.forget(decision.key);
        const name = await postEvent(target, namespace, type, reason, text, now);
        if (name !== undefined) correlator.created(decision.key, name);
      });
      sending ??= drain().finally(() => {
        sending = undefined;
      });
      return Promise.resolve();
    },
    async flush() {
      while (sending !== undefined) await sending;
    },
  };

  async function drain(): Promise<void> {
    for (let send = pending.shift(); send !== undefined; send = pending.shift()) {
      try {
        await send();
      } catch (err) {
        opts.onEventFailed?.('event', err);
      }
    }
  }
}
