// The ThreatFeed API (bulkhead.dev/v1alpha1, cluster-scoped): a blocklist of networks, from an
// inline list, a ConfigMap key or an HTTPS URL, that is to be carved out of every CIDR egress and
// ingress of the AIWorkloads in its scope. The single source of truth of its CRD (src/api/crd.ts,
// `make generate`), as schema.ts is for AIWorkload; rules the API server enforces through CEL are
// attached with withRules, so zod refuses exactly what the API server refuses.
//
// The pure reading of feeds is src/threatfeed/; the operator's feed controller
// (src/controller/threatfeeds.ts) reads the sources and hands the sets to the reconciler.
import { z } from 'zod';
import { DNS_LABEL, condition, described, labelSelectorShape, withRules } from './schema.js';

export const THREAT_FEED_KIND = 'ThreatFeed';
export const THREAT_FEED_LIST_KIND = 'ThreatFeedList';
export const THREAT_FEED_PLURAL = 'threatfeeds';
export const THREAT_FEED_SINGULAR = 'threatfeed';

/** The formats a feed can be written in (src/threatfeed/formats.ts reads each). */
export const THREAT_FEED_FORMATS = ['SpamhausDROP', 'SpamhausDROPJSON', 'FireHOLNetset', 'PlainList'] as const;

/** Longer lines are refused unread, and an inline item cannot be longer. */
export const MAX_LINE_LENGTH = 1024;
/** Items of an inline list: a Spamhaus-DROP-sized list (about 1,500) fits with room to spare. */
export const MAX_INLINE_ITEMS = 5000;
/** How many refused lines status quotes. */
export const MAX_STATUS_REJECTIONS = 10;

/** The broadest entry accepted per family, as a prefix length (src/threatfeed/formats.ts says why). */
export const DEFAULT_MAX_PREFIX = Object.freeze({ ipv4: 8, ipv6: 24 });

/** The refresh period of an HTTPS feed: at least a minute, at most a day. */
export const REFRESH_SECONDS = Object.freeze({ min: 60, max: 86400, default: 3600 });

/**
 * An https:// URL with a host name or IPv4 address, an optional port and path, and no "@" anywhere
 * (so no user information: no credentials in a spec). Printable ASCII without spaces; an IPv6
 * literal host is not taken.
 * The same expression is the CEL rule (RE2) and the zod check.
 */
export const HTTPS_URL = /^https:\/\/[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?(\/[!-?A-~]*)?$/;
const HTTPS_URL_CEL = HTTPS_URL.source.replaceAll('\\/', '/');

const configMapKey = described(
  z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/),
  'A key of the ConfigMap\'s data: letters, digits, "-", "_" and ".".',
);

const configMapRef = (what: string): z.ZodType<{ namespace: string; name: string; key: string }> =>
  described(
    z.object({
      namespace: described(z.string().min(1).max(63).regex(DNS_LABEL), 'Namespace of the ConfigMap.'),
      name: described(z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/), 'Name of the ConfigMap.'),
      key: configMapKey,
    }),
    what,
  );

const httpsSource = z.object({
  url: withRules(
    z.string().min(1).max(2048),
    'The https:// URL of the feed, such as https://www.spamhaus.org/drop/drop_v4.json: a host name or IPv4 address, an optional port and path, printable ASCII without spaces or "@" (no user information). An IPv6 literal host is not accepted.',
    [
      {
        rule: `self.matches('${HTTPS_URL_CEL}')`,
        message: 'must be an https:// URL with a host, an optional port and path, printable ASCII without spaces or "@" (no user information), such as https://www.spamhaus.org/drop/drop_v4.json',
        check: (s) => HTTPS_URL.test(s),
      },
    ],
  ),
  refreshSeconds: described(
    z.number().int().min(REFRESH_SECONDS.min).max(REFRESH_SECONDS.max).default(REFRESH_SECONDS.default),
    `Seconds between fetches, ${REFRESH_SECONDS.min} to ${REFRESH_SECONDS.max}. Spamhaus asks for at most one download an hour. @default ${REFRESH_SECONDS.default}`,
  ),
  caConfigMap: configMapRef(
    'A ConfigMap key holding the PEM certificate authorities to verify the server with, instead of the system ones.',
  ).optional(),
});

const source = withRules(
  z.object({
    inline: described(
      z.array(z.string().max(MAX_LINE_LENGTH)).max(MAX_INLINE_ITEMS).optional(),
      `The feed itself, one line of the format per item (at most ${MAX_INLINE_ITEMS} items of ${MAX_LINE_LENGTH} characters). An empty list blocks nothing.`,
    ),
    configMap: configMapRef('A ConfigMap key whose value is the feed document.').optional(),
    https: described(httpsSource.optional(), 'A feed fetched over HTTPS and refreshed periodically.'),
  }),
  'Where the feed comes from: exactly one of inline, configMap, https.',
  [
    {
      rule: '[has(self.inline), has(self.configMap), has(self.https)].filter(x, x).size() == 1',
      message: 'set exactly one of: inline, configMap, https',
      check: (s) => [s.inline, s.configMap, s.https].filter((x) => x !== undefined).length === 1,
    },
  ],
);

const maxPrefix = described(
  z
    .object({
      ipv4: described(
        z.number().int().min(1).max(32).default(DEFAULT_MAX_PREFIX.ipv4),
        `The broadest IPv4 entry accepted, as a prefix length: an entry with a shorter prefix (a larger network) is rejected, so that a typo cannot cut the cluster off. 1 to 32. @default ${DEFAULT_MAX_PREFIX.ipv4}`,
      ),
      ipv6: described(
        z.number().int().min(1).max(128).default(DEFAULT_MAX_PREFIX.ipv6),
        `The broadest IPv6 entry accepted, as a prefix length. 1 to 128. @default ${DEFAULT_MAX_PREFIX.ipv6}`,
      ),
    })
    .default({ ipv4: DEFAULT_MAX_PREFIX.ipv4, ipv6: DEFAULT_MAX_PREFIX.ipv6 }),
  `Bounds on how broad an entry may be, per family. The whole address space (0.0.0.0/0, ::/0) is always rejected. @default {ipv4: ${DEFAULT_MAX_PREFIX.ipv4}, ipv6: ${DEFAULT_MAX_PREFIX.ipv6}}`,
);

export const threatFeedSpecSchema = described(z.object({
  source,
  format: described(
    z.enum(THREAT_FEED_FORMATS),
    'How the feed is written. SpamhausDROP: the DROP text file ("1.10.16.0/20 ; SBL256894", ";" comments). SpamhausDROPJSON: drop_v4.json or drop_v6.json, one JSON object with a "cidr" a line and a closing metadata line. FireHOLNetset: a FireHOL .netset ("#" comments, a network or a single address a line). PlainList: a network or address a line, "#" and ";" comments.',
  ),
  scope: described(
    z
      .object({
        namespaceSelector: described(
          z.object(labelSelectorShape).optional(),
          'The namespaces whose AIWorkloads the feed covers, by their labels (kubernetes.io/metadata.name names one). Absent: every namespace.',
        ),
      })
      .optional(),
    'Which AIWorkloads the feed covers. Absent: every AIWorkload in the cluster.',
  ),
  maxPrefix,
}), 'A blocklist: where it comes from, how it is written, which AIWorkloads it covers, and how broad an entry may be.');

const rejection = z.object({
  line: described(z.number().int().min(1), 'Line number in the feed (1-based; the item number of an inline list).'),
  text: described(z.string().max(256), 'The line, cut to 80 characters.'),
  reason: described(z.string().max(512), 'Why the line was rejected.'),
});

const feedCondition = condition.extend({
  type: described(z.string().min(1).max(316), 'Type of condition, such as Ready.'),
});

export const threatFeedStatusSchema = described(z.object({
  observedGeneration: described(z.number().int().min(0).optional(), 'The generation last read successfully.'),
  accepted: described(z.number().int().min(0).optional(), 'Distinct networks accepted from the feed.'),
  rejected: described(z.number().int().min(0).optional(), 'Lines rejected (each is also in rejections, up to the first ten).'),
  duplicates: described(z.number().int().min(0).optional(), 'Lines that repeated an accepted network (accepted once).'),
  networks: described(z.number().int().min(0).optional(), 'CIDRs in force after merging overlapping and adjacent entries.'),
  rejections: described(
    z.array(rejection).max(MAX_STATUS_REJECTIONS).optional(),
    `The first ${MAX_STATUS_REJECTIONS} rejected lines, with their line numbers and reasons.`,
  ),
  digest: described(
    z.string().max(71).regex(/^sha256:[0-9a-f]{64}$/).optional(),
    'sha256: and the SHA-256 of the merged set in force, one canonical CIDR a line: equal digests block the same addresses.',
  ),
  sourceDigest: described(
    z.string().max(71).regex(/^sha256:[0-9a-f]{64}$/).optional(),
    'sha256: and the SHA-256 of the document the source last gave (the inline list as lines joined by line feeds).',
  ),
  segmentsCovered: described(z.number().int().min(0).optional(), 'Segments (components) of the AIWorkloads in scope whose policies carry the set.'),
  lastSuccessfulSync: z.string().max(64).optional().meta({ description: 'When the source was last read and accepted (RFC 3339).', format: 'date-time' }),
  conditions: described(z.array(feedCondition).max(16).optional(), 'kstatus conditions, one per type.').meta({
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
}), 'What the operator last read from the feed (written by the operator).');

export const threatFeedSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({
    name: z.string(),
    uid: z.string().optional(),
    generation: z.number().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: threatFeedSpecSchema,
  status: threatFeedStatusSchema.optional(),
});

export type ThreatFeedSpec = z.output<typeof threatFeedSpecSchema>;
export type ThreatFeedStatus = z.output<typeof threatFeedStatusSchema>;
export type ThreatFeed = z.output<typeof threatFeedSchema>;
export type ThreatFeedFormat = (typeof THREAT_FEED_FORMATS)[number];
