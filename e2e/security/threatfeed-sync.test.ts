// Threat feeds against the real control plane: the operator reads a ThreatFeed's source, carves its
// networks out of every covered segment, keeps the last good set when the source breaks (in
// memory and, across a restart, from its cache), and says so in status, Events and metrics.
// Sources: a ConfigMap key (watched) and an HTTPS URL served on loopback by this suite with its
// own CA. Each feed is scoped to this suite's namespace, so other suites never see it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import { generatePki } from '../../src/devcluster/pki.js';
import { bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { OPERATOR_NAMESPACE, operatorIdentity } from '../harness/operator-identity.js';

let operator: RunningOperator;
let ns: string;
let dir: string;
let server: Server;
/** What the HTTPS feed server answers; `requests` counts what it was asked. */
const feedServer = { status: 200, body: '', etag: '"v1"', requests: [] as { ifNoneMatch?: string | undefined }[] };

const suffix = Math.random().toString(36).slice(2, 8);
const CM_FEED = `tf-cm-${suffix}`;
const HTTPS_FEED = `tf-https-${suffix}`;
const CM = `tf-source-${suffix}`;
const CA_CM = `tf-ca-${suffix}`;

interface IpBlock {
  cidr: string;
  except?: string[];
}
interface Policy {
  spec: { egress?: { to?: { ipBlock?: IpBlock }[] }[]; ingress?: { from?: { ipBlock?: IpBlock }[] }[] };
}
interface FeedStatus {
  accepted?: number;
  rejected?: number;
  networks?: number;
  digest?: string;
  segmentsCovered?: number;
  lastSuccessfulSync?: string;
  rejections?: { line: number; text: string; reason: string }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

const apply = (obj: unknown): Promise<string> => kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: dump(obj) });

const configMap = (name: string, data: Record<string, string>): Promise<string> =>
  apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: OPERATOR_NAMESPACE }, data });

const scope = (): { namespaceSelector: { matchLabels: Record<string, string> } } => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });

const workload = (name: string): unknown => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'AIWorkload',
  metadata: { name, namespace: ns },
  spec: {
    components: [
      { name: 'gw', selector: { matchLabels: { app: `${name}-gw` } }, ports: [{ name: 'https', port: 8443 }] },
      { name: 'job', selector: { matchLabels: { app: `${name}-job` } } },
    ],
    ingress: [{ to: 'gw', from: { cidr: '0.0.0.0/0' }, ports: ['https'] }],
    egress: [
      { from: 'job', to: { cidr: '0.0.0.0/0' }, ports: [443] },
      { from: 'job', to: { cidr: '::/0' }, ports: [443] },
    ],
  },
});

async function policy(name: string): Promise<Policy> {
  return JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', name, '-o', 'json'])) as Policy;
}

const egressExcept = (p: Policy, cidr: string): string[] => p.spec.egress?.flatMap((r) => r.to ?? []).find((t) => t.ipBlock?.cidr === cidr)?.ipBlock?.except ?? [];
const ingressExcept = (p: Policy, cidr: string): string[] => p.spec.ingress?.flatMap((r) => r.from ?? []).find((t) => t.ipBlock?.cidr === cidr)?.ipBlock?.except ?? [];

async function feedStatus(name: string): Promise<FeedStatus> {
  const obj = JSON.parse(await kubectlOk(['get', 'threatfeed', name, '-o', 'json'])) as { status?: FeedStatus };
  return obj.status ?? {};
}

const ready = (s: FeedStatus): { status: string; reason: string; message: string } | undefined => s.conditions?.find((c) => c.type === 'Ready');

async function workloadFeeds(name: string): Promise<{ name: string; digest?: string }[]> {
  const obj = JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', name, '-o', 'json'])) as { status?: { threatFeeds?: { name: string; digest?: string }[] } };
  return obj.status?.threatFeeds ?? [];
}

/** Waits until the feed's set in force has this many networks, and returns its status. */
async function inForce(name: string, networks: number): Promise<FeedStatus> {
  return waitFor(async () => {
    const s = await feedStatus(name);
    return s.networks === networks && ready(s)?.status === 'True' ? s : undefined;
  }, { timeoutMs: 30_000, description: `ThreatFeed ${name} with ${networks} network(s) in force` });
}

/** Waits until both AIWorkloads are written with the feed's digest. */
async function writtenWith(feed: string, digest: string | undefined): Promise<void> {
  for (const w of ['a', 'b']) {
    await waitFor(async () => (await workloadFeeds(w)).some((f) => f.name === feed && f.digest === digest), { timeoutMs: 30_000, description: `AIWorkload ${w} written with ${feed} ${digest}` });
  }
}

async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = (await operator.get('/metrics')).body;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function startFeedServer(): Promise<{ url: string; ca: string }> {
  dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-tf-'));
  const pki = await generatePki(dir);
  const [cert, key, ca] = await Promise.all([readFile(pki.serving.cert, 'utf8'), readFile(pki.serving.key, 'utf8'), readFile(pki.ca.cert, 'utf8')]);
  server = createServer({ cert, key }, (req, res) => {
    feedServer.requests.push({ ifNoneMatch: req.headers['if-none-match'] });
    if (feedServer.status === 200 && req.headers['if-none-match'] === feedServer.etag) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(feedServer.status, { etag: feedServer.etag, 'content-type': 'text/plain' }).end(feedServer.status === 200 ? feedServer.body : 'broken');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/drop.txt`, ca };
}

let feedUrl: string;

beforeAll(async () => {
  await ensureCrd();
  // The operator's namespace and RBAC, where the feed ConfigMaps and the cache live.
  await operatorIdentity();
  ns = await freshNamespace('threatfeed');
  const served = await startFeedServer();
  feedUrl = served.url;
  await configMap(CA_CM, { 'ca.crt': served.ca });
  operator = await startOperator({ args: ['--threatfeed-hosts', '127.0.0.1'] });
  await apply(workload('a'));
  await apply(workload('b'));
  for (const w of ['a', 'b']) await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', `aiworkload/${w}`, '--timeout=60s']);
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await kubectl(['delete', 'threatfeed', CM_FEED, HTTPS_FEED, '--ignore-not-found']);
  await kubectl(['-n', OPERATOR_NAMESPACE, 'delete', 'configmap', CM, CA_CM, '--ignore-not-found']);
  await new Promise((resolve) => server?.close(resolve));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  if (ns !== undefined) await deleteNamespace(ns);
}, 60_000);

describe('a ConfigMap feed', () => {
  test('is carved out of every covered segment, IPv4 and IPv6, egress and CIDR ingress; status, AIWorkload status and metrics say so', async () => {
    await configMap(CM, { feed: '# DROP-like\n198.51.100.0/25\n198.51.100.128/25 ; adjacent: merged\n203.0.113.7\n2001:db8:bad::/48\n' });
    await apply({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name: CM_FEED }, spec: { source: { configMap: { namespace: OPERATOR_NAMESPACE, name: CM, key: 'feed' } }, format: 'PlainList', scope: scope() } });
    const s = await inForce(CM_FEED, 3);
    expect(s).toMatchObject({ accepted: 4, rejected: 0, networks: 3, segmentsCovered: 4 });
    expect(s.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await writtenWith(CM_FEED, s.digest);
    for (const w of ['a', 'b']) {
      const job = await policy(`${w}-job`);
      expect(egressExcept(job, '0.0.0.0/0')).toEqual(expect.arrayContaining(['198.51.100.0/24', '203.0.113.7/32']));
      expect(egressExcept(job, '0.0.0.0/0')).not.toContain('198.51.100.0/25');
      expect(egressExcept(job, '::/0')).toContain('2001:db8:bad::/48');
      expect(ingressExcept(await policy(`${w}-gw`), '0.0.0.0/0')).toEqual(['198.51.100.0/24', '203.0.113.7/32']);
    }
    expect(await metric('bulkhead_threatfeed_entries', { feed: CM_FEED, kind: 'networks' })).toBe(3);
    expect(await metric('bulkhead_threatfeed_in_force', { feed: CM_FEED })).toBe(1);
    expect(await metric('bulkhead_threatfeed_failing', { feed: CM_FEED })).toBe(0);
    // The propagation to both AIWorkloads was timed.
    await waitFor(async () => ((await metric('bulkhead_threatfeed_propagation_seconds_count', { feed: CM_FEED })) ?? 0) >= 1, { description: 'a propagation observed' });
  }, 90_000);

  test('bulkhead diff and exposure compile with the sets in force, as the operator does: no difference, no finding', async () => {
    const diff = await bulkhead(['diff', '-f', '-'], { input: dump(workload('a')) });
    expect([diff.code, diff.stdout, diff.stderr]).toEqual([0, '', '']);
    const exposure = await bulkhead(['exposure', '-n', ns]);
    expect([exposure.code, exposure.stdout]).toEqual([0, '']);
  }, 60_000);

  test('a change of the ConfigMap rewrites every covered segment; removed entries leave the policies', async () => {
    await configMap(CM, { feed: '192.0.2.0/24\n203.0.113.7\n' });
    const s = await inForce(CM_FEED, 2);
    await writtenWith(CM_FEED, s.digest);
    for (const w of ['a', 'b']) {
      const except = egressExcept(await policy(`${w}-job`), '0.0.0.0/0');
      expect(except).toEqual(expect.arrayContaining(['192.0.2.0/24', '203.0.113.7/32']));
      expect(except).not.toContain('198.51.100.0/24');
      expect(egressExcept(await policy(`${w}-job`), '::/0')).not.toContain('2001:db8:bad::/48');
    }
  }, 90_000);

  test('rejected lines are counted with their line numbers and a Warning Event; the readable ones are in force', async () => {
    await configMap(CM, { feed: '192.0.2.0/24\nnot-a-network\n0.0.0.0/0\n10.0.0.0/4\n203.0.113.7\n' });
    const s = await waitFor(async () => {
      const st = await feedStatus(CM_FEED);
      return st.rejected === 3 ? st : undefined;
    }, { timeoutMs: 30_000, description: 'three rejected lines' });
    expect(s.accepted).toBe(2);
    expect(s.rejections?.map((r) => [r.line, r.text])).toEqual([[2, 'not-a-network'], [3, '0.0.0.0/0'], [4, '10.0.0.0/4']]);
    const events = await waitFor(async () => {
      const out = await kubectlOk(['-n', 'default', 'get', 'events', '--field-selector', `involvedObject.name=${CM_FEED},reason=EntriesRejected`, '-o', 'jsonpath={.items[*].message}']);
      return out !== '' ? out : undefined;
    }, { description: 'an EntriesRejected Event' });
    expect(events).toContain('3 line(s) rejected');
    expect(events).toContain('line 2 (not-a-network)');
  }, 60_000);

  test('a broken update (no readable line) and a deleted ConfigMap keep the last good set, with a condition saying so and its age', async () => {
    const good = await inForce(CM_FEED, 2);
    await configMap(CM, { feed: 'garbage\nmore garbage here\n' });
    const broken = await waitFor(async () => {
      const st = await feedStatus(CM_FEED);
      return ready(st)?.reason === 'Unreadable' ? st : undefined;
    }, { timeoutMs: 30_000, description: 'Ready=False Unreadable' });
    expect(ready(broken)?.status).toBe('False');
    expect(ready(broken)?.message).toMatch(/not one of its 2 entry line\(s\) could be read \(line 1: .*keeping the last good set \(2 network\(s\), read \d+s ago at /);
    expect(broken.digest).toBe(good.digest);
    expect(egressExcept(await policy('a-job'), '0.0.0.0/0')).toEqual(expect.arrayContaining(['192.0.2.0/24', '203.0.113.7/32']));
    expect(await metric('bulkhead_threatfeed_failing', { feed: CM_FEED })).toBe(1);

    await kubectlOk(['-n', OPERATOR_NAMESPACE, 'delete', 'configmap', CM]);
    const gone = await waitFor(async () => {
      const st = await feedStatus(CM_FEED);
      return ready(st)?.reason === 'SourceNotFound' ? st : undefined;
    }, { timeoutMs: 30_000, description: 'Ready=False SourceNotFound' });
    expect(ready(gone)?.message).toContain(`ConfigMap ${OPERATOR_NAMESPACE}/${CM} does not exist; keeping the last good set`);
    expect(gone.digest).toBe(good.digest);
    expect(egressExcept(await policy('b-job'), '0.0.0.0/0')).toEqual(expect.arrayContaining(['192.0.2.0/24', '203.0.113.7/32']));
  }, 90_000);

  test('a scope that no longer covers the namespace takes the set out of its segments; covering it again brings it back', async () => {
    const cmFeed = (sel: Record<string, string>): unknown => ({
      apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name: CM_FEED },
      spec: { source: { configMap: { namespace: OPERATOR_NAMESPACE, name: CM, key: 'feed' } }, format: 'PlainList', scope: { namespaceSelector: { matchLabels: sel } } },
    });
    await apply(cmFeed({ 'bulkhead.dev/no-such-label': 'x' }));
    for (const w of ['a', 'b']) {
      await waitFor(async () => !egressExcept(await policy(`${w}-job`), '0.0.0.0/0').includes('192.0.2.0/24'), { timeoutMs: 30_000, description: `${w}-job without the feed` });
      await waitFor(async () => (await workloadFeeds(w)).length === 0, { timeoutMs: 30_000, description: `AIWorkload ${w} lists no feed` });
    }
    await apply(cmFeed({ 'kubernetes.io/metadata.name': ns }));
    for (const w of ['a', 'b']) await waitFor(async () => egressExcept(await policy(`${w}-job`), '0.0.0.0/0').includes('192.0.2.0/24'), { timeoutMs: 30_000, description: `${w}-job with the feed again` });
  }, 90_000);

  test('deleting the ThreatFeed takes its networks out of every segment', async () => {
    await kubectlOk(['delete', 'threatfeed', CM_FEED]);
    for (const w of ['a', 'b']) {
      await waitFor(async () => !egressExcept(await policy(`${w}-job`), '0.0.0.0/0').includes('192.0.2.0/24'), { timeoutMs: 30_000, description: `${w}-job without the feed` });
      await waitFor(async () => (await workloadFeeds(w)).length === 0, { timeoutMs: 30_000, description: `AIWorkload ${w} lists no feed` });
    }
  }, 90_000);
});

describe('an HTTPS feed (loopback, its own CA)', () => {
  const feed = (): unknown => ({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'ThreatFeed',
    metadata: { name: HTTPS_FEED },
    spec: {
      source: { https: { url: feedUrl, refreshSeconds: 60, caConfigMap: { namespace: OPERATOR_NAMESPACE, name: CA_CM, key: 'ca.crt' } } },
      format: 'SpamhausDROP',
      scope: scope(),
    },
  });
  const refresh = (): Promise<string> => kubectlOk(['annotate', 'threatfeed', HTTPS_FEED, `bulkhead.dev/refresh-requested=${Date.now()}`, '--overwrite']);

  test('is fetched with the CA of its ConfigMap and carved out; a refresh asks conditionally and a change is applied', async () => {
    feedServer.body = '; Spamhaus DROP List\n192.0.2.0/24 ; SBL1\n';
    await apply(feed());
    const first = await inForce(HTTPS_FEED, 1);
    await writtenWith(HTTPS_FEED, first.digest);
    expect(egressExcept(await policy('a-job'), '0.0.0.0/0')).toContain('192.0.2.0/24');

    // Asked again with nothing changed: a conditional request answered 304, the set unchanged.
    const asked = feedServer.requests.length;
    await refresh();
    await waitFor(() => feedServer.requests.length > asked, { description: 'a second request' });
    expect(feedServer.requests[asked]?.ifNoneMatch).toBe('"v1"');

    feedServer.body = '192.0.2.0/24 ; SBL1\n198.51.100.0/24 ; SBL2\n';
    feedServer.etag = '"v2"';
    await refresh();
    const second = await inForce(HTTPS_FEED, 2);
    await writtenWith(HTTPS_FEED, second.digest);
    expect(egressExcept(await policy('b-job'), '0.0.0.0/0')).toEqual(expect.arrayContaining(['192.0.2.0/24', '198.51.100.0/24']));
  }, 120_000);

  test('a failing server keeps the last good set, also across a restart of the operator (the cache)', async () => {
    const good = await inForce(HTTPS_FEED, 2);
    feedServer.status = 500;
    await refresh();
    const failing = await waitFor(async () => {
      const st = await feedStatus(HTTPS_FEED);
      return ready(st)?.reason === 'FetchHTTPStatus' ? st : undefined;
    }, { timeoutMs: 30_000, description: 'Ready=False FetchHTTPStatus' });
    expect(ready(failing)?.message).toContain('keeping the last good set (2 network(s)');
    expect(failing.digest).toBe(good.digest);

    // A new operator knows nothing in memory; the server still fails. The cache keeps the set.
    await operator.stop();
    operator = await startOperator({ args: ['--threatfeed-hosts', '127.0.0.1'] });
    await waitFor(async () => (await metric('bulkhead_threatfeed_in_force', { feed: HTTPS_FEED })) === 1, { timeoutMs: 30_000, description: 'the cached set in force after the restart' });
    expect(await metric('bulkhead_threatfeed_failing', { feed: HTTPS_FEED })).toBe(1);
    // Touch the workloads so the new operator writes them: they keep the feed's networks.
    for (const w of ['a', 'b']) await kubectlOk(['-n', ns, 'annotate', 'aiworkload', w, `touched=${Date.now()}`, '--overwrite']);
    await writtenWith(HTTPS_FEED, good.digest);
    expect(egressExcept(await policy('a-job'), '0.0.0.0/0')).toEqual(expect.arrayContaining(['192.0.2.0/24', '198.51.100.0/24']));

    // The server recovers: Ready again.
    feedServer.status = 200;
    await refresh();
    await inForce(HTTPS_FEED, 2);
  }, 150_000);

  test('a host not allowed by --threatfeed-hosts is never contacted', async () => {
    const asked = feedServer.requests.length;
    await apply({ ...(feed() as Record<string, unknown>), spec: { ...((feed() as { spec: Record<string, unknown> }).spec), source: { https: { url: feedUrl.replace('127.0.0.1', 'localhost'), caConfigMap: { namespace: OPERATOR_NAMESPACE, name: CA_CM, key: 'ca.crt' } } } } });
    const refused = await waitFor(async () => {
      const st = await feedStatus(HTTPS_FEED);
      return ready(st)?.reason === 'FetchHostNotAllowed' ? st : undefined;
    }, { timeoutMs: 30_000, description: 'Ready=False FetchHostNotAllowed' });
    expect(ready(refused)?.message).toContain('keeping the last good set');
    expect(feedServer.requests.length).toBe(asked);
  }, 60_000);
});
