// Argo CD's health check for ThreatFeeds (integrations/argocd/threatfeed-health.lua), run by
// gopher-lua as Argo CD runs it: first on statuses built by the operator's own feedStatus, then on
// ThreatFeeds the real operator read on the real control plane (an inline list, a ConfigMap that
// is missing, appears, then turns unreadable), and on an AIWorkload whose feed has no set in force
// (health.lua), each read back with `kubectl get -o json` as Argo CD would see it.
//
// Every feed here covers no AIWorkload but this suite's own (a namespace label nothing carries, or
// this suite's namespace by name), so that no other suite sees it; afterAll deletes them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { ThreatFeedStatus } from '../../src/api/threatfeed.js';
import { type FeedStatusInput, feedStatus } from '../../src/controller/threatfeed-status.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, startOperator } from '../harness/operator.js';
import { OPERATOR_NAMESPACE, operatorIdentity } from '../harness/operator-identity.js';
import { type Health, THREATFEED_HEALTH_SCRIPT, argoHealth, repoRoot } from './lua.js';

type Condition = { type: string; status: string; reason: string; message?: string };
type Live = { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Condition[] } };

const script = (): string => readFileSync(path.join(repoRoot(), THREATFEED_HEALTH_SCRIPT), 'utf8');
const feedHealth = (obj: unknown): Promise<Health> => argoHealth(obj, script());

const NOW = Date.parse('2030-01-01T00:10:00.000Z');
const SYNCED = Date.parse('2030-01-01T00:00:00.000Z');
const WAITING: Health = { status: 'Progressing', message: 'waiting for the operator to read the feed' };

const object = (generation: number, status?: ThreatFeedStatus): unknown => ({
  apiVersion: 'bulkhead.dev/v1alpha1',
  kind: 'ThreatFeed',
  metadata: { name: 'drop', generation },
  spec: { source: { configMap: { namespace: 'bulkhead-system', name: 'drop', key: 'feed' } }, format: 'PlainList' },
  ...(status !== undefined ? { status } : {}),
});

const inForce = { summary: { accepted: 3, rejected: 0, duplicates: 0, networks: 2, rejections: [], digest: `sha256:${'a'.repeat(64)}` }, sourceDigest: `sha256:${'b'.repeat(64)}`, syncedAt: SYNCED };
/** The status the operator writes at `generation` for `input`. */
const statusFor = (generation: number, input: Partial<FeedStatusInput> = {}): ThreatFeedStatus => feedStatus(undefined, { generation, segmentsCovered: 4, now: NOW, ...input });

describe('the ThreatFeed health script on statuses the operator computes', () => {
  const unreadable = { reason: 'Unreadable', message: 'the feed document was refused: not one of its 2 entry line(s) could be read (line 1: does not parse: not an IPv4 or IPv6 address or CIDR)' };
  const cases: { name: string; obj: unknown; want: Health }[] = [
    { name: 'no status yet', obj: object(1), want: WAITING },
    { name: 'observedGeneration behind (Ready still True from generation 1)', obj: object(2, statusFor(1, { inForce })), want: WAITING },
    { name: 'observedGeneration behind a failure of generation 1', obj: object(2, statusFor(1, { failure: unreadable })), want: WAITING },
    { name: 'a status without conditions at the current generation', obj: object(1, { observedGeneration: 1 }), want: WAITING },
    {
      name: 'Ready=Unknown',
      obj: object(1, { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Reading', message: '', lastTransitionTime: '2030-01-01T00:00:00Z' }] }),
      want: WAITING,
    },
    { name: 'InForce', obj: object(1, statusFor(1, { inForce })), want: { status: 'Healthy', message: '2 network(s) in force, carved out of 4 segment(s).' } },
    {
      name: 'never read (NoSetInForce)',
      obj: object(1, statusFor(1, { failure: { reason: 'SourceNotFound', message: 'ConfigMap bulkhead-system/drop does not exist' } })),
      want: { status: 'Degraded', message: 'NoSetInForce: ConfigMap bulkhead-system/drop does not exist; no set is in force: no AIWorkload in scope has these networks carved out' },
    },
    {
      name: 'a failed read with the last good set kept',
      obj: object(1, statusFor(1, { inForce, failure: unreadable })),
      want: { status: 'Degraded', message: `Unreadable: ${unreadable.message}; keeping the last good set (2 network(s), read 10m ago at 2030-01-01T00:00:00.000Z)` },
    },
    {
      name: 'a fetch timing out with the last good set kept',
      obj: object(1, statusFor(1, { inForce, failure: { reason: 'FetchTimeout', message: 'GET https://feeds.example/drop.txt: no answer within 30s' } })),
      want: { status: 'Degraded', message: 'FetchTimeout: GET https://feeds.example/drop.txt: no answer within 30s; keeping the last good set (2 network(s), read 10m ago at 2030-01-01T00:00:00.000Z)' },
    },
    {
      name: 'InvalidSpec with the last good set kept',
      obj: object(1, statusFor(1, { inForce, invalid: 'the source names none of inline, configMap, https' })),
      want: { status: 'Degraded', message: 'InvalidSpec: the source names none of inline, configMap, https; keeping the last good set (2 network(s), read 10m ago at 2030-01-01T00:00:00.000Z)' },
    },
  ];

  test.each(cases)('$name', async ({ obj, want }) => {
    expect(await feedHealth(obj)).toEqual(want);
  });
});

describe('the health scripts on ThreatFeeds and AIWorkloads the operator read', () => {
  let operator: RunningOperator | undefined;
  let ns: string;
  const suffix = Math.random().toString(36).slice(2, 8);
  const INLINE = `gitops-inline-${suffix}`;
  const CM_FEED = `gitops-cm-${suffix}`;
  const CM = `gitops-source-${suffix}`;
  const UNAVAILABLE = `gitops-unavailable-${suffix}`;
  const MISSING_CM = `gitops-missing-${suffix}`;
  const NOWHERE = { namespaceSelector: { matchLabels: { 'bulkhead.dev/no-such-label': 'x' } } };

  const apply = (obj: unknown): Promise<string> => kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: dump(obj) });
  const feed = (name: string, source: unknown, scope: unknown = NOWHERE): unknown => ({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'ThreatFeed', metadata: { name }, spec: { source, format: 'PlainList', scope } });
  const configMap = (name: string, value: string): Promise<string> => apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: OPERATOR_NAMESPACE }, data: { feed: value } });
  const live = async (args: string[]): Promise<Live> => JSON.parse(await kubectlOk([...args, '-o', 'json'])) as Live;
  const condition = (o: Live, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);
  const observed = (o: Live): boolean => o.status?.observedGeneration === o.metadata.generation;
  /** Polls the feed until it satisfies `ready`, then returns the health Argo CD computes for it. */
  const feedHealthWhen = async (name: string, ready: (o: Live) => boolean, description: string): Promise<Health> => {
    const obj = await waitFor(async () => {
      const o = await live(['get', 'threatfeed', name]);
      return ready(o) ? o : undefined;
    }, { timeoutMs: 30_000, description });
    return feedHealth(obj);
  };
  const readyIs = (status: string, reason: string) => (o: Live): boolean => observed(o) && condition(o, 'Ready')?.status === status && condition(o, 'Ready')?.reason === reason;

  beforeAll(async () => {
    await ensureCrd();
    // The operator's namespace and RBAC: it may read the source ConfigMaps in its own namespace.
    await operatorIdentity();
    ns = await freshNamespace('gitops-tf');
    operator = await startOperator();
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await kubectl(['delete', 'threatfeed', INLINE, CM_FEED, UNAVAILABLE, '--ignore-not-found']);
    await kubectl(['-n', OPERATOR_NAMESPACE, 'delete', 'configmap', CM, MISSING_CM, '--ignore-not-found']);
    if (ns !== undefined) await deleteNamespace(ns);
  }, 60_000);

  test('an inline feed is Healthy; a generation the operator has not read is Progressing until it has', async () => {
    await apply(feed(INLINE, { inline: ['192.0.2.0/24', '198.51.100.7'] }));
    expect(await feedHealthWhen(INLINE, readyIs('True', 'InForce'), `${INLINE} InForce`)).toEqual({ status: 'Healthy', message: '2 network(s) in force, carved out of 0 segment(s).' });

    // With the operator stopped, a spec change stays unread for as long as we look. The operator is
    // back for the next tests even when an expectation here fails.
    await operator?.stop();
    operator = undefined;
    try {
      await apply(feed(INLINE, { inline: ['192.0.2.0/24'] }));
      const behind = await live(['get', 'threatfeed', INLINE]);
      expect([behind.metadata.generation, behind.status?.observedGeneration, condition(behind, 'Ready')?.status]).toEqual([2, 1, 'True']);
      expect(await feedHealth(behind)).toEqual(WAITING);
    } finally {
      operator = await startOperator();
    }
    expect(await feedHealthWhen(INLINE, (o) => readyIs('True', 'InForce')(o) && o.metadata.generation === 2, `${INLINE} generation 2 read`)).toEqual({ status: 'Healthy', message: '1 network(s) in force, carved out of 0 segment(s).' });
  }, 120_000);

  test('a ConfigMap feed: missing is Degraded (NoSetInForce), created is Healthy, unreadable is Degraded keeping the last good set', async () => {
    await apply(feed(CM_FEED, { configMap: { namespace: OPERATOR_NAMESPACE, name: CM, key: 'feed' } }));
    expect(await feedHealthWhen(CM_FEED, readyIs('False', 'NoSetInForce'), `${CM_FEED} NoSetInForce`)).toEqual({
      status: 'Degraded',
      message: `NoSetInForce: ConfigMap ${OPERATOR_NAMESPACE}/${CM} does not exist; no set is in force: no AIWorkload in scope has these networks carved out`,
    });

    await configMap(CM, '# two networks\n192.0.2.0/24\n203.0.113.0/25\n');
    expect(await feedHealthWhen(CM_FEED, readyIs('True', 'InForce'), `${CM_FEED} InForce`)).toEqual({ status: 'Healthy', message: '2 network(s) in force, carved out of 0 segment(s).' });

    await configMap(CM, 'garbage\nmore garbage here\n');
    const broken = await feedHealthWhen(CM_FEED, readyIs('False', 'Unreadable'), `${CM_FEED} Unreadable`);
    expect(broken.status).toBe('Degraded');
    expect(broken.message).toMatch(/^Unreadable: the feed document was refused: not one of its 2 entry line\(s\) could be read \(line 1: .+\); keeping the last good set \(2 network\(s\), read \d+s ago at \d{4}-\d\d-\d\dT[0-9:.]+Z\)$/);
  }, 90_000);

  test('an AIWorkload whose ThreatFeed has no set in force stays Healthy and says so', async () => {
    const workload = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'fed', namespace: ns }, spec: { components: [{ name: 'api', selector: { matchLabels: { app: 'fed-api' } }, ports: [{ name: 'http', port: 8080 }] }] } };
    await apply(workload);
    const aiHealthWhen = async (ready: (o: Live) => boolean, description: string): Promise<Health> => {
      const obj = await waitFor(async () => {
        const o = await live(['-n', ns, 'get', 'aiworkload', 'fed']);
        return ready(o) ? o : undefined;
      }, { timeoutMs: 30_000, description });
      return argoHealth(obj);
    };
    const readyTrue = (o: Live): boolean => observed(o) && condition(o, 'Ready')?.status === 'True';
    expect(await aiHealthWhen(readyTrue, 'fed Ready')).toEqual({ status: 'Healthy', message: '1 segment(s) enforced.' });

    // A feed covering this suite's namespace only, whose ConfigMap does not exist.
    await apply(feed(UNAVAILABLE, { configMap: { namespace: OPERATOR_NAMESPACE, name: MISSING_CM, key: 'feed' } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }));
    expect(await aiHealthWhen((o) => readyTrue(o) && condition(o, 'ThreatFeedUnavailable')?.status === 'True', 'fed ThreatFeedUnavailable')).toEqual({
      status: 'Healthy',
      message: `1 segment(s) enforced. ThreatFeedUnavailable: ThreatFeed ${UNAVAILABLE} has no set in force: ConfigMap ${OPERATOR_NAMESPACE}/${MISSING_CM} does not exist`,
    });
    // The feed itself is where the platform team sees it.
    expect((await feedHealthWhen(UNAVAILABLE, readyIs('False', 'NoSetInForce'), `${UNAVAILABLE} NoSetInForce`)).status).toBe('Degraded');

    await kubectlOk(['delete', 'threatfeed', UNAVAILABLE]);
    expect(await aiHealthWhen((o) => readyTrue(o) && condition(o, 'ThreatFeedUnavailable') === undefined, 'fed without ThreatFeedUnavailable')).toEqual({ status: 'Healthy', message: '1 segment(s) enforced.' });
  }, 90_000);
});
