// From a ThreatFeed's spec and the document its source gave to what is in force and what status
// says about it. Pure: the controller (next step) fetches the document, calls readFeed, and writes
// the summary into status; what it does with an incomplete document (keep the last good set) is
// its decision, which `incomplete` informs.
import { MAX_STATUS_REJECTIONS, type ThreatFeedSpec, type ThreatFeedStatus } from '../api/threatfeed.js';
import { type ParsedFeed, parseFeed, parseFeedLines } from './formats.js';
import { BlockedSet } from './merge.js';

export interface ReadFeed {
  parsed: ParsedFeed;
  /** The accepted networks, merged, to carve out of ipBlocks. */
  blocked: BlockedSet;
}

/**
 * Reads a feed: the inline list of the spec, or `document` (the ConfigMap value or the HTTPS body)
 * for the other sources, in the spec's format and under its bounds. Never throws on the input.
 */
export function readFeed(spec: ThreatFeedSpec, document = ''): ReadFeed {
  const inline = spec.source.inline;
  const parsed = inline !== undefined ? parseFeedLines(inline, spec.format, spec.maxPrefix) : parseFeed(document, spec.format, spec.maxPrefix);
  return { parsed, blocked: new BlockedSet(parsed.accepted.map((e) => e.cidr)) };
}

/** The counts, the first rejections and the digest of a read feed, as ThreatFeed status carries them. */
export type FeedSummary = Required<Pick<ThreatFeedStatus, 'accepted' | 'rejected' | 'duplicates' | 'networks' | 'rejections' | 'digest'>>;

export function feedSummary({ parsed, blocked }: ReadFeed): FeedSummary {
  return {
    accepted: parsed.accepted.length,
    rejected: parsed.rejected.length,
    duplicates: parsed.duplicates,
    networks: blocked.cidrs.length,
    rejections: parsed.rejected.slice(0, MAX_STATUS_REJECTIONS).map((r) => ({ line: r.line, text: r.text, reason: r.reason })),
    digest: blocked.digest(),
  };
}
