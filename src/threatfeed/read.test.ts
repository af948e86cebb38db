// A feed read from its spec, and the summary status carries: it fits the status schema (the CRD's
// bounds) even for the most hostile document, and counts what the reader found.
import { threatFeedSpecSchema, threatFeedStatusSchema } from '../api/threatfeed.js';
import { MAX_LINE_LENGTH } from './formats.js';
import { feedSummary, readFeed } from './read.js';

const spec = (raw: unknown): ReturnType<typeof threatFeedSpecSchema.parse> => threatFeedSpecSchema.parse(raw);

describe('readFeed and feedSummary', () => {
  it('reads an inline list under the spec\'s bounds', () => {
    const feed = readFeed(spec({ source: { inline: ['10.1.0.0/25', '10.1.0.128/25', '10.0.0.0/12', 'bogus', '10.1.0.0/25'] }, format: 'PlainList', maxPrefix: { ipv4: 16 } }));
    expect(feedSummary(feed)).toEqual({
      accepted: 2,
      rejected: 2,
      duplicates: 1,
      networks: 1,
      rejections: [
        { line: 3, text: '10.0.0.0/12', reason: 'broader than /16, the bound for IPv4 (maxPrefix.ipv4)' },
        { line: 4, text: 'bogus', reason: 'does not parse: not an IPv4 or IPv6 address or CIDR' },
      ],
      // printf '10.1.0.0/24\n' | sha256sum
      digest: 'sha256:1306730e183f1fc50985893d8c22ab17e4aa1541e06fcc80ff554a06bb9f60b9',
    });
    expect(feed.blocked.carve({ family: 4, base: 0x0a000000n, prefix: 8, canonical: true })).toEqual(['10.1.0.0/24']);
  });

  it('reads the document for a ConfigMap or HTTPS source, in the spec\'s format', () => {
    const doc = '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}\n{"type":"metadata","records":1}\n';
    const feed = readFeed(spec({ source: { https: { url: 'https://www.spamhaus.org/drop/drop_v4.json' } }, format: 'SpamhausDROPJSON' }), doc);
    expect(feed.parsed.incomplete).toBeUndefined();
    expect(feedSummary(feed)).toMatchObject({ accepted: 1, rejected: 0, networks: 1 });
    expect(readFeed(spec({ source: { configMap: { namespace: 'ns', name: 'cm', key: 'k' } }, format: 'SpamhausDROPJSON' }), doc.split('\n')[0]).parsed.incomplete).toContain('no metadata line');
  });

  it('fits the status schema for a hostile document: at most ten rejections, each within the bounds', () => {
    const lines = [`${'9'.repeat(MAX_LINE_LENGTH + 5)}`, ...Array.from({ length: 30 }, (_, i) => `\u{1F600}`.repeat(40) + String(i)), '0.0.0.0/0'];
    const summary = feedSummary(readFeed(spec({ source: { configMap: { namespace: 'ns', name: 'cm', key: 'k' } }, format: 'PlainList' }), lines.join('\r\n')));
    expect(summary.rejected).toBe(32);
    expect(summary.rejections).toHaveLength(10);
    expect(threatFeedStatusSchema.safeParse({ ...summary, lastSuccessfulSync: '2026-12-01T12:00:00Z' }).error?.issues).toBeUndefined();
  });
});
