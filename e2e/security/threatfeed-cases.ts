// ThreatFeed specs, valid and refused, each refused one with the field its refusal must name. Shared
// by the unit test of the zod schema (src/api/threatfeed.test.ts) and the suite against the real API
// server under the generated CRD (e2e/security/threatfeed.test.ts), so both refuse the same specs.

export type FeedSpec = Record<string, unknown>;

export interface FeedCase {
  name: string;
  spec: FeedSpec;
  /** The field a refusal names, as the API server writes it (`spec.source.https.url`); absent: accepted. */
  field?: string;
  /** A word of the refusal's message, so that the right rule is known to have refused it. */
  says?: string;
  /** Unknown fields: the API server refuses them (strict field validation); zod drops them. */
  unknownField?: boolean;
}

const https = (extra: Record<string, unknown> = {}): FeedSpec => ({
  source: { https: { url: 'https://www.spamhaus.org/drop/drop_v4.json', ...extra } },
  format: 'SpamhausDROPJSON',
});

export const VALID_FEEDS: FeedCase[] = [
  { name: 'an inline plain list', spec: { source: { inline: ['203.0.113.0/24', '198.51.100.7'] }, format: 'PlainList' } },
  { name: 'an empty inline list', spec: { source: { inline: [] }, format: 'PlainList' } },
  { name: 'a ConfigMap key', spec: { source: { configMap: { namespace: 'bulkhead-system', name: 'firehol-level1', key: 'firehol_level1.netset' } }, format: 'FireHOLNetset' } },
  { name: 'Spamhaus DROP over HTTPS, defaults', spec: https() },
  {
    name: 'HTTPS with a port, a query, a refresh, its own CA, a scope and bounds',
    spec: {
      source: {
        https: {
          url: 'https://feeds.example.com:8443/drop.txt?list=drop',
          refreshSeconds: 86400,
          caConfigMap: { namespace: 'bulkhead-system', name: 'feeds-ca', key: 'ca.crt' },
        },
      },
      format: 'SpamhausDROP',
      scope: { namespaceSelector: { matchLabels: { 'bulkhead.dev/threat-intel': 'on' } } },
      maxPrefix: { ipv4: 16, ipv6: 32 },
    },
  },
  { name: 'an HTTPS feed at an IPv4 address, refreshed every minute', spec: https({ url: 'https://127.0.0.1:9443/feed.netset', refreshSeconds: 60 }) },
];

export const REFUSED_FEEDS: FeedCase[] = [
  {
    name: 'two sources',
    spec: { source: { inline: ['203.0.113.0/24'], configMap: { namespace: 'ns', name: 'cm', key: 'k' } }, format: 'PlainList' },
    field: 'spec.source',
    says: 'exactly one of: inline, configMap, https',
  },
  { name: 'no source', spec: { source: {}, format: 'PlainList' }, field: 'spec.source', says: 'exactly one of' },
  { name: 'an http:// URL', spec: https({ url: 'http://www.spamhaus.org/drop/drop_v4.json' }), field: 'spec.source.https.url', says: 'https://' },
  { name: 'a URL with user information', spec: https({ url: 'https://user:secret@feeds.example.com/drop.txt' }), field: 'spec.source.https.url', says: 'user information' },
  { name: 'a file:// URL', spec: https({ url: 'file:///etc/passwd' }), field: 'spec.source.https.url', says: 'https://' },
  { name: 'a URL with a space', spec: https({ url: 'https://feeds.example.com/a b' }), field: 'spec.source.https.url', says: 'https://' },
  { name: 'a refresh below a minute', spec: https({ refreshSeconds: 59 }), field: 'spec.source.https.refreshSeconds', says: '60' },
  { name: 'a refresh above a day', spec: https({ refreshSeconds: 86401 }), field: 'spec.source.https.refreshSeconds', says: '86400' },
  { name: 'an unknown format', spec: { source: { inline: [] }, format: 'CSV' }, field: 'spec.format', says: 'SpamhausDROP' },
  { name: 'no format', spec: { source: { inline: [] } }, field: 'spec.format', says: 'Required' },
  { name: 'an inline line over 1,024 characters', spec: { source: { inline: ['1'.repeat(1025)] }, format: 'PlainList' }, field: 'spec.source.inline[0]', says: '1024' },
  { name: 'a ConfigMap without a key', spec: { source: { configMap: { namespace: 'ns', name: 'cm' } }, format: 'PlainList' }, field: 'spec.source.configMap.key', says: 'Required' },
  { name: 'a ConfigMap key with a slash', spec: { source: { configMap: { namespace: 'ns', name: 'cm', key: 'a/b' } }, format: 'PlainList' }, field: 'spec.source.configMap.key', says: 'match' },
  { name: 'an IPv4 bound of 0', spec: { source: { inline: [] }, format: 'PlainList', maxPrefix: { ipv4: 0 } }, field: 'spec.maxPrefix.ipv4', says: '1' },
  { name: 'an IPv4 bound of 33', spec: { source: { inline: [] }, format: 'PlainList', maxPrefix: { ipv4: 33 } }, field: 'spec.maxPrefix.ipv4', says: '32' },
  { name: 'an IPv6 bound of 129', spec: { source: { inline: [] }, format: 'PlainList', maxPrefix: { ipv6: 129 } }, field: 'spec.maxPrefix.ipv6', says: '128' },
  {
    name: 'a namespaceSelector requirement In without values',
    spec: { source: { inline: [] }, format: 'PlainList', scope: { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In' }] } } },
    field: 'spec.scope.namespaceSelector.matchExpressions[0]',
    says: 'values must be non-empty',
  },
  { name: 'a misspelt field', spec: { source: { inline: [] }, format: 'PlainList', maxprefix: { ipv4: 8 } }, field: 'maxprefix', unknownField: true },
];
