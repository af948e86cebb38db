// The supervised informer against the real API server (in process, no operator): watches that the
// server closes cleanly (a 1 s server-side timeout) are reopened from the last resourceVersion, with
// backoff, and no change made across the reopenings is lost.
import { KubeConfig } from '../../src/runtime/kubeconfig.js';
import type { KubeObject } from '../../src/api/kubernetes.js';
import { Informer, type RestartReason, kubeListWatch } from '../../src/runtime/informer.js';
import { adminKubeconfig, deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { getJson } from './support.js';

type ConfigMap = KubeObject & { metadata: { name: string; namespace: string; resourceVersion: string }; data?: Record<string, string> };

let ns: string;

beforeAll(async () => {
  ns = await freshNamespace('fault-informer');
}, 60_000);

afterAll(async () => {
  if (ns !== undefined) await deleteNamespace(ns);
});

test('cleanly closed watches are reopened from the last resourceVersion and no change is lost', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig());
  const restarts: RestartReason[] = [];
  const inf = new Informer<ConfigMap>({
    transport: kubeListWatch<ConfigMap>(kc, { group: '', version: 'v1', plural: 'configmaps', namespace: ns }),
    resource: 'configmaps',
    labelSelector: 'fault=informer',
    watchTimeoutSeconds: 1,
    backoff: { initialMs: 50, maxMs: 200 },
    onRestart: (r) => restarts.push(r),
  });
  inf.start();
  try {
    await inf.waitForSync();
    // Changes keep coming while the server closes the watch every second.
    for (let i = 0; i < 12; i++) {
      await kubectlOk(['-n', ns, 'create', 'configmap', `cm-${i}`, `--from-literal=i=${i}`]);
      await kubectlOk(['-n', ns, 'label', 'configmap', `cm-${i}`, 'fault=informer']);
      if (i % 3 === 0) await kubectlOk(['-n', ns, 'delete', 'configmap', `cm-${i}`]);
      else await kubectlOk(['-n', ns, 'patch', 'configmap', `cm-${i}`, '-p', JSON.stringify({ data: { i: `${i}-changed` } })]);
    }
    const live = await getJson<{ items: ConfigMap[] }>(['-n', ns, 'get', 'configmaps', '-l', 'fault=informer']);
    const want = live.items.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).sort();
    await waitFor(() => JSON.stringify(inf.list().map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).sort()) === JSON.stringify(want), {
      timeoutMs: 20_000,
      description: 'the cache to equal the server',
    });
    expect(want).toHaveLength(8);
    expect(inf.list().every((c) => c.data?.['i']?.endsWith('-changed'))).toBe(true);
    expect(restarts.filter((r) => r === 'closed').length).toBeGreaterThanOrEqual(2);
    expect(restarts).not.toContain('list-error');
    expect(inf.connected()).toBe(true);
  } finally {
    await inf.stop();
  }
}, 90_000);
