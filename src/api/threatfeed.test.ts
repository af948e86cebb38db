// The ThreatFeed schema: the shared table of valid and refused specs (e2e/security/threatfeed-cases.ts,
// also run against the real API server) through zod, each refusal at the field the API server names;
// and the generated CRD: cluster-scoped, printer columns, a description and a bound on every field.
import { describe, expect, it } from '@jest/globals';
import { REFUSED_FEEDS, VALID_FEEDS } from '../../e2e/security/threatfeed-cases.js';
import { buildThreatFeedCrd } from './crd.js';
import { DEFAULT_MAX_PREFIX, HTTPS_URL, REFRESH_SECONDS, threatFeedSpecSchema } from './threatfeed.js';

/** A zod issue path as the API server writes a field: `spec.source.inline[0]`. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`), 'spec');

describe('ThreatFeed spec (zod)', () => {
  it.each(VALID_FEEDS.map((c) => [c.name, c] as const))('accepts %s', (_name, c) => {
    expect(threatFeedSpecSchema.safeParse(c.spec).error?.issues).toBeUndefined();
  });

  it.each(REFUSED_FEEDS.map((c) => [c.name, c] as const))('refuses %s, naming the field', (_name, c) => {
    const parsed = threatFeedSpecSchema.safeParse(c.spec);
    if (c.unknownField === true) {
      // zod drops unknown fields; the API server's strict field validation refuses them.
      expect(parsed.success).toBe(true);
      return;
    }
    expect(parsed.success).toBe(false);
    expect((parsed.error?.issues ?? []).map((i) => fieldOf(i.path))).toContain(c.field);
  });

  it('fills the defaults: bounds /8 and /24, an hourly refresh', () => {
    const spec = threatFeedSpecSchema.parse({ source: { https: { url: 'https://feeds.example.com/drop.txt' } }, format: 'SpamhausDROP' });
    expect(spec.maxPrefix).toEqual({ ipv4: 8, ipv6: 24 });
    expect(spec.source.https?.refreshSeconds).toBe(3600);
    expect(DEFAULT_MAX_PREFIX).toEqual({ ipv4: 8, ipv6: 24 });
    expect(REFRESH_SECONDS).toEqual({ min: 60, max: 86400, default: 3600 });
    expect(threatFeedSpecSchema.parse({ source: { inline: [] }, format: 'PlainList', maxPrefix: { ipv4: 16 } }).maxPrefix).toEqual({ ipv4: 16, ipv6: 24 });
  });

  it.each([
    ['https://a', true],
    ['https://feeds.example.com/x.json?since=1#frag', true],
    ['https://[::1]/feed', false],
    ['https://-bad.example.com/', false],
    ['https://example.com/caf\u00e9', false],
    ['HTTPS://example.com/', false],
    ['https://example.com@evil.example/', false],
    ['https:///path', false],
  ])('HTTPS_URL %s: %s', (url, ok) => {
    expect(HTTPS_URL.test(url)).toBe(ok);
  });
});

describe('generated ThreatFeed CRD', () => {
  type Node = { type?: string; description?: string; properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; maxItems?: number; maxLength?: number; enum?: unknown[]; maxProperties?: number; anyOf?: unknown };
  const crd = buildThreatFeedCrd() as {
    metadata: { name: string };
    spec: { scope: string; names: Record<string, unknown>; versions: { additionalPrinterColumns: { name: string; jsonPath: string }[]; schema: { openAPIV3Schema: Node } }[] };
  };
  const version = crd.spec.versions[0];
  const root = version?.schema.openAPIV3Schema as Node;

  it('is cluster-scoped, named threatfeeds.bulkhead.dev, with Ready, Accepted, Rejected, Segments, Synced and Age columns', () => {
    expect(crd.metadata.name).toBe('threatfeeds.bulkhead.dev');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ kind: 'ThreatFeed', plural: 'threatfeeds', singular: 'threatfeed', listKind: 'ThreatFeedList' });
    expect(version?.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Reason', '.status.conditions[?(@.type=="Ready")].reason'],
      ['Format', '.spec.format'],
      ['Accepted', '.status.accepted'],
      ['Rejected', '.status.rejected'],
      ['Segments', '.status.segmentsCovered'],
      ['Synced', '.status.lastSuccessfulSync'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  // Each check names the problem it finds; map values and list items take their parent's description.
  const checks: [problem: string, fails: (n: Node, p: string) => boolean][] = [
    ['no description', (n, p) => n.description === undefined && !p.endsWith('{}') && !p.endsWith('[]')],
    ['no maxItems', (n) => n.type === 'array' && n.maxItems === undefined],
    ['no maxLength', (n) => n.type === 'string' && n.maxLength === undefined && n.enum === undefined],
    ['no maxProperties', (n) => n.type === 'object' && n.properties === undefined && n.maxProperties === undefined],
    ['anyOf is not structural', (n) => n.anyOf !== undefined],
  ];

  it('has a description on every field and a bound on every string, list and map, in spec and status', () => {
    const problems: string[] = [];
    const walk = (node: Node, path: string): void => {
      for (const [problem, fails] of checks) if (fails(node, path)) problems.push(`${path}: ${problem}`);
      for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${path}.${k}`);
      if (node.items !== undefined) walk(node.items, `${path}[]`);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
    };
    walk(root.properties?.['spec'] as Node, 'spec');
    walk(root.properties?.['status'] as Node, 'status');
    expect(problems).toEqual([]);
  });
});
