// The local control plane a benchmark runs on: started in a temporary directory with the CRD
// installed, with a REST client as admin, and removed again whatever the benchmark does.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeConfig } from '../runtime/kubeconfig.js';
import { DevCluster } from '../devcluster/index.js';
import { createRestClient, isForbidden, type RestClient } from '../runtime/rest.js';

const run = promisify(execFile);

export interface BenchCluster {
  cluster: DevCluster;
  kc: KubeConfig;
  rest: RestClient;
}

/** withBenchCluster runs `bench` on a fresh local control plane with the CRD established. */
export async function withBenchCluster<T>(bench: (c: BenchCluster) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bulkhead-bench-'));
  const cluster = await DevCluster.start({ dir });
  try {
    const kubectl = (...args: string[]): Promise<unknown> => run(cluster.binaries.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...args]);
    await kubectl('apply', '-f', path.join(process.env['BULKHEAD_ROOT'] ?? process.cwd(), 'crds'));
    await kubectl('wait', '--for=condition=Established', 'crd/aiworkloads.bulkhead.dev', 'crd/threatfeeds.bulkhead.dev', '--timeout=60s');
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(cluster.kubeconfig, 'utf8'));
    return await bench({ cluster, kc, rest: createRestClient(kc) });
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** runAsMain runs a benchmark when its module is the program (`node dist/bench/NAME.js`). */
export function runAsMain(url: string, bench: () => Promise<string>): void {
  if (process.argv[1] === undefined || url !== `file://${process.argv[1]}`) return;
  bench().then(
    (report) => process.stdout.write(report),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/** POSTs, retrying while the namespace's default ServiceAccount is not there yet (pods need it). */
export async function createRetrying(rest: RestClient, path: string, body: unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rest.request('POST', path, { body });
      return;
    } catch (err) {
      if (!isForbidden(err) || attempt > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
