// The ThreatFeed CRD on the real API server: the generated CRD (crds/) is accepted and served as
// generated, cluster-scoped; every valid spec of the shared table (threatfeed-cases.ts, also run
// through zod in src/api/threatfeed.test.ts) is accepted with its defaults filled in, and every
// refused one is refused naming its field (server-side dry run, strict field validation). A stored
// ThreatFeed shows its status in `kubectl get` columns and its fields in `kubectl explain`.
// Nothing here runs the operator (e2e/security/threatfeed-sync.test.ts does); the stored feed is
// scoped to a namespace label nothing carries, so an operator running meanwhile would carve it out
// of no segment.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { dump } from 'js-yaml';
import { buildThreatFeedCrd } from '../../src/api/crd.js';
import { kubectl, kubectlOk, waitEstablished } from '../harness/cluster.js';
import { ensureCrd } from '../harness/operator.js';
import { REFUSED_FEEDS, VALID_FEEDS } from './threatfeed-cases.js';

const SLOW = 120_000;
const CRD = 'threatfeeds.bulkhead.dev';
// Cluster-scoped: names unique to this run, so that no other suite's feeds collide.
const suffix = randomBytes(3).toString('hex');
const feedName = (what: string): string => `${what}-${suffix}`;

const feed = (name: string, spec: unknown): string => dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name }, spec });

const dryRun = (spec: unknown): ReturnType<typeof kubectl> =>
  kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'], { input: feed(feedName('dry-run'), spec) });

describe('ThreatFeed CRD on the real API server', () => {
  const created: string[] = [];

  beforeAll(async () => {
    await ensureCrd();
    await waitEstablished(CRD);
  }, SLOW);

  afterAll(async () => {
    for (const name of created) await kubectl(['delete', 'threatfeed', name, '--ignore-not-found', '--wait=false']);
  }, SLOW);

  it('serves the generated CRD as generated: cluster-scoped, the same v1alpha1 schema and columns', async () => {
    const served = JSON.parse(await kubectlOk(['get', 'crd', CRD, '-o', 'json'])) as {
      spec: { scope: string; versions: { name: string; schema: unknown; additionalPrinterColumns: unknown }[] };
    };
    const generated = buildThreatFeedCrd() as { spec: { versions: { schema: unknown; additionalPrinterColumns: unknown }[] } };
    expect(served.spec.scope).toBe('Cluster');
    expect(served.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
    expect(served.spec.versions[0]?.schema).toEqual(generated.spec.versions[0]?.schema);
    expect(served.spec.versions[0]?.additionalPrinterColumns).toEqual(generated.spec.versions[0]?.additionalPrinterColumns);
  }, SLOW);

  it.each(VALID_FEEDS.map((c) => [c.name, c] as const))('accepts %s', async (_name, c) => {
    const res = await dryRun(c.spec);
    expect([res.code, res.stderr]).toEqual([0, '']);
    const stored = JSON.parse(res.stdout) as { metadata: { namespace?: string }; spec: { maxPrefix: { ipv4: number; ipv6: number } } };
    // Defaults the API server fills in from the CRD, the same as zod's.
    expect(stored.spec.maxPrefix).toEqual(expect.objectContaining({ ipv4: expect.any(Number), ipv6: expect.any(Number) }));
    expect(stored.metadata.namespace).toBeUndefined();
  }, SLOW);

  it('fills the defaults: bounds /8 and /24, an hourly refresh', async () => {
    const res = await dryRun({ source: { https: { url: 'https://www.spamhaus.org/drop/drop_v6.json' } }, format: 'SpamhausDROPJSON' });
    expect(res.code).toBe(0);
    const stored = JSON.parse(res.stdout) as { spec: { maxPrefix: unknown; source: { https: { refreshSeconds: number } } } };
    expect(stored.spec.maxPrefix).toEqual({ ipv4: 8, ipv6: 24 });
    expect(stored.spec.source.https.refreshSeconds).toBe(3600);
  }, SLOW);

  it.each(REFUSED_FEEDS.map((c) => [c.name, c] as const))('refuses %s, naming the field', async (_name, c) => {
    const res = await dryRun(c.spec);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(c.field);
    if (c.says !== undefined) expect(res.stderr).toContain(c.says);
  }, SLOW);

  it('shows a stored feed\'s status in kubectl get, and its fields in kubectl explain', async () => {
    const name = feedName('columns');
    const scope = { namespaceSelector: { matchLabels: { 'bulkhead.dev/no-such-label': 'x' } } };
    await kubectlOk(['create', '-f', '-'], { input: feed(name, { source: { inline: ['203.0.113.0/24', 'bogus'] }, format: 'PlainList', scope }) });
    created.push(name);
    // No operator runs here: the status is written through the status subresource, as the operator writes it.
    const ready = { type: 'Ready', status: 'True', reason: 'InForce', message: '1 network(s) in force, carved out of 0 segment(s).', lastTransitionTime: '2026-12-01T12:00:00Z' };
    const status = { accepted: 1, rejected: 1, duplicates: 0, networks: 1, segmentsCovered: 0, rejections: [{ line: 2, text: 'bogus', reason: 'does not parse: not an IPv4 or IPv6 address or CIDR' }], lastSuccessfulSync: '2026-12-01T12:00:00Z', conditions: [ready] };
    await kubectlOk(['patch', 'threatfeed', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    const table = await kubectlOk(['get', 'threatfeed', name]);
    const [header, row] = table.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'READY', 'ACCEPTED', 'REJECTED', 'SEGMENTS', 'SYNCED', 'AGE']);
    expect(row?.slice(0, 5)).toEqual([name, 'True', '1', '1', '0']);
    // A status the schema refuses is refused on the status subresource too.
    const bad = await kubectl(['patch', 'threatfeed', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { digest: 'md5:abc' } })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('status.digest');
    const explained = await kubectlOk(['explain', 'threatfeed.spec.source.https.refreshSeconds']);
    expect(explained).toContain('Seconds between fetches, 60 to 86400');
  }, SLOW);
});
