// What a ThreatFeed's status says, from what the feed controller knows of it. Pure: the controller
// passes in the time.
import type { Condition } from '../api/types.js';
import type { ThreatFeedStatus } from '../api/threatfeed.js';
import type { FeedSummary } from '../threatfeed/read.js';

/** The set a feed has in force: the last good read of its source. */
export interface FeedInForce {
  summary: FeedSummary;
  /** sha256 of the document the source gave. */
  sourceDigest: string;
  /** When the source was last read and accepted (or answered "not modified"). */
  syncedAt: number;
}

/** The last read of the source, when it failed. */
export interface FeedFailure {
  reason: string;
  message: string;
}

export interface FeedStatusInput {
  generation: number;
  inForce?: FeedInForce | undefined;
  failure?: FeedFailure | undefined;
  /** The spec cannot be read (never, with the CRD's validation; a status still says so). */
  invalid?: string | undefined;
  segmentsCovered: number;
  now: number;
}

/** "3m", "2h", "5d": the age of a set, for a condition message. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

interface ConditionInput {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** The Ready and Stalled conditions: Ready while a set is in force and the last read worked. */
export function feedConditions(input: FeedStatusInput): ConditionInput[] {
  const { inForce, failure, invalid } = input;
  if (invalid !== undefined) {
    return [
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: `${invalid}${kept(input)}` },
      { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: invalid },
    ];
  }
  if (failure !== undefined) {
    const reason = inForce === undefined ? 'NoSetInForce' : failure.reason;
    return [
      { type: 'Ready', status: 'False', reason, message: `${failure.message}${kept(input)}` },
      { type: 'Stalled', status: 'True', reason: failure.reason, message: failure.message },
    ];
  }
  const networks = inForce?.summary.networks ?? 0;
  return [
    { type: 'Ready', status: 'True', reason: 'InForce', message: `${networks} network(s) in force, carved out of ${input.segmentsCovered} segment(s).` },
    { type: 'Stalled', status: 'False', reason: 'InForce', message: '' },
  ];
}

/** What stays in force after a failed read: the last good set and its age, or nothing. */
function kept({ inForce, now }: FeedStatusInput): string {
  if (inForce === undefined) return '; no set is in force: no AIWorkload in scope has these networks carved out';
  return `; keeping the last good set (${inForce.summary.networks} network(s), read ${age(now - inForce.syncedAt)} ago at ${new Date(inForce.syncedAt).toISOString()})`;
}

/** The status of a ThreatFeed; conditions keep their lastTransitionTime while their status holds. */
export function feedStatus(prev: ThreatFeedStatus | undefined, input: FeedStatusInput): ThreatFeedStatus {
  const now = new Date(input.now).toISOString();
  const conditions: Condition[] = feedConditions(input).map((c) => {
    const old = prev?.conditions?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old !== undefined && old.status === c.status ? old.lastTransitionTime : now, observedGeneration: input.generation };
  });
  const status: ThreatFeedStatus = { observedGeneration: input.generation, segmentsCovered: input.segmentsCovered, conditions };
  const inForce = input.inForce;
  if (inForce === undefined) return status;
  return { ...status, ...inForce.summary, sourceDigest: inForce.sourceDigest, lastSuccessfulSync: new Date(inForce.syncedAt).toISOString() };
}
