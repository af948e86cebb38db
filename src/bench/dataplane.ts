// Dataplane benchmark: on one local control plane and one real dataplane (kube-network-policies),
// with the operator running in this process, the distributions within one run of
//   - policy propagation: from applying an AIWorkload to the first refused connection into a pod
//     that was reachable before it (a new connection every 10 ms);
//   - the drift window: how long connections got through after a segment policy was deleted;
//   - the enforcer's resident memory as pods and policies are added.
import { API_VERSION, KIND } from '../api/constants.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import { Manager } from '../controller/manager.js';
import { Dataplane, findEnforcer, openWindow, probeLoop, type HostRecord } from '../dataplane/index.js';
import type { RestClient } from '../runtime/rest.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';
import { silentLogger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import { runAsMain, withBenchCluster } from './bench-cluster.js';

const ROUNDS = 15;
const INTERVAL_MS = 10;

interface Env {
  rest: RestClient;
  dp: Dataplane;
  intruder: HostRecord;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function createNamespace(rest: RestClient, name: string): Promise<void> {
  await rest.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  await until(async () => (await rest.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${name}/serviceaccounts`)).items.length > 0, 60_000, `${name}/default`);
}

/** One round: a reachable pod, then its AIWorkload; returns the ms to the first refused connection. */
async function propagation(env: Env, i: number): Promise<{ ms: number; model: HostRecord }> {
  const ns = `bench-dp-${i}`;
  await createNamespace(env.rest, ns);
  const model = await env.dp.addPod({ namespace: ns, name: 'model', labels: { app: 'model' }, ports: [{ name: 'grpc', port: 9000 }] });
  const address = model.ipv4[0] ?? '';
  await until(async () => (await env.dp.probe(env.intruder.key, address, 'TCP', 9000, { retry: false })).open, 10_000, 'the pod to be reachable');
  const loop = probeLoop(env.dp, { from: env.intruder.key, address, port: 9000 }, { intervalMs: INTERVAL_MS, timeoutMs: 150 });
  await sleep(50);
  const applied = Date.now() - loop.startedAt;
  await env.rest.request('POST', collectionPath(RESOURCES.AIWorkload, ns), {
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'w', namespace: ns }, spec: { components: [{ name: 'model', selector: { matchLabels: { app: 'model' } }, ports: [{ name: 'grpc', port: 9000 }] }] } },
  });
  await until(async () => !(await env.dp.probe(env.intruder.key, address, 'TCP', 9000, { retry: false, timeoutMs: 150 })).open, 10_000, 'the policy to take effect');
  await sleep(100);
  const firstRefused = (await loop.stop()).find((a) => a.at >= applied && !a.open)?.at ?? Number.NaN;
  return { ms: firstRefused - applied, model };
}

/** One round: delete the segment's policy while connections are opened; returns the window. */
async function driftWindow(env: Env, i: number, model: HostRecord): Promise<number> {
  const ns = `bench-dp-${i}`;
  const address = model.ipv4[0] ?? '';
  const loop = probeLoop(env.dp, { from: env.intruder.key, address, port: 9000 }, { intervalMs: INTERVAL_MS, timeoutMs: 150 });
  await sleep(50);
  const since = Date.now() - loop.startedAt;
  await env.rest.request('DELETE', objectPath(RESOURCES.NetworkPolicy, ns, 'w-model'));
  await until(async () => {
    try {
      await env.rest.request('GET', objectPath(RESOURCES.NetworkPolicy, ns, 'w-model'));
      return true;
    } catch {
      return false;
    }
  }, 10_000, 'the repair');
  await sleep(300);
  return openWindow(await loop.stop(), since, INTERVAL_MS).windowMs;
}

function distribution(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `p50 ${at(0.5).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${(sorted[sorted.length - 1] ?? Number.NaN).toFixed(0)} ms (n=${sorted.length})`;
}

const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

export async function runDataplaneBench(): Promise<string> {
  return withBenchCluster(async ({ cluster, kc, rest }) => {
    const dp = await Dataplane.start({ server: cluster.server, tls: cluster.adminTls(), enforcer: await findEnforcer() });
    const manager = new Manager({ kubeConfig: kc, logger: silentLogger(), metrics: createMetrics(), platform: DEFAULT_PLATFORM, workers: 2 });
    try {
      const idleRss = dp.enforcerRss();
      await manager.startCaches();
      manager.startWorkers();
      await createNamespace(rest, 'bench-dp-outside');
      const env: Env = { rest, dp, intruder: await dp.addPod({ namespace: 'bench-dp-outside', name: 'intruder', labels: { app: 'intruder' } }) };
      const propagations: number[] = [];
      const windows: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const { ms, model } = await propagation(env, i);
        propagations.push(ms);
        windows.push(await driftWindow(env, i, model));
        rss.push(dp.enforcerRss() ?? 0);
      }
      return [
        `Dataplane benchmark (one run; kube-network-policies on one local control plane; a new connection every ${INTERVAL_MS} ms; ${ROUNDS} rounds)`,
        `   policy propagation, AIWorkload created -> first refused connection: ${distribution(propagations)}`,
        `   drift window, segment policy deleted -> connections refused again:  ${distribution(windows)}`,
        `   enforcer RSS: ${mib(idleRss)} idle, ${mib(Math.min(...rss))}-${mib(Math.max(...rss))} with 1-${ROUNDS} segments and ${ROUNDS + 1} pods`,
        '',
      ].join('\n');
    } finally {
      await manager.stop();
      await dp.stop();
    }
  });
}

runAsMain(import.meta.url, runDataplaneBench);
