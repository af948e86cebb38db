// Helpers for suites that run against the integration run's control plane. jest's global setup
// (global-setup.ts) starts ONE cluster and publishes its state directory through the environment;
// test files run in other module contexts, so everything here goes through env and files.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DevCluster } from '../../src/devcluster/index.js';

export { DevCluster };
export type { AuditEvent } from '../../src/devcluster/index.js';

/** Environment variables set by global-setup.ts. */
export const ENV = {
  clusterDir: 'BULKHEAD_TEST_CLUSTER_DIR',
  kubeconfig: 'BULKHEAD_TEST_KUBECONFIG',
  /** Set when global-setup started the cluster: the temp directory teardown removes. */
  ownedRoot: 'BULKHEAD_TEST_OWNED_ROOT',
} as const;

/** testCluster returns the handle on the run's cluster. */
export function testCluster(): DevCluster {
  const dir = process.env[ENV.clusterDir];
  if (dir === undefined || dir === '') {
    throw new Error(`${ENV.clusterDir} is not set: run integration tests through jest's integration project (its global setup starts the cluster)`);
  }
  return DevCluster.load(dir);
}

/** adminKubeconfig is the path of the run cluster's admin kubeconfig (group system:masters). */
export function adminKubeconfig(): string {
  return process.env[ENV.kubeconfig] ?? testCluster().kubeconfig;
}

export interface KubectlOptions {
  /** Sent to kubectl's stdin (for `apply -f -`). */
  input?: string;
  /** @default the admin kubeconfig */
  kubeconfig?: string;
  /** @default 60000 */
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl runs the real kubectl binary built with the control plane; it does not throw on a non-zero exit. */
export function kubectl(args: readonly string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const bin = testCluster().binaries.kubectl;
  const kubeconfig = opts.kubeconfig ?? adminKubeconfig();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [`--kubeconfig=${kubeconfig}`, ...args], {
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, KUBECONFIG: kubeconfig },
    }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`kubectl ${args.join(' ')}: ${err.message}`));
        return;
      }
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** kubectlOk runs kubectl and returns its stdout, throwing with stderr when it fails. */
export async function kubectlOk(args: readonly string[], opts: KubectlOptions = {}): Promise<string> {
  const res = await kubectl(args, opts);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
  return res.stdout;
}

export interface WaitOptions {
  /** @default 30000 */
  timeoutMs?: number;
  /** @default 250 */
  intervalMs?: number;
  /** Named in the timeout error. */
  description?: string;
}

/**
 * waitFor polls `check` until it returns a value other than undefined, null or false, and
 * returns that value. A throw counts as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: WaitOptions = {}): Promise<T> {
  const { timeoutMs, intervalMs, description } = waitDefaults(opts);
  const deadline = Date.now() + timeoutMs;
  let last = 'condition never held';
  for (;;) {
    try {
      const value = await check();
      if (holds(value)) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}: ${last}`);
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function waitDefaults(opts: WaitOptions): Required<WaitOptions> {
  return { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: opts.intervalMs ?? 250, description: opts.description ?? 'condition' };
}

const holds = <T>(value: T | undefined | null | false): value is T => value !== undefined && value !== null && value !== false;

/**
 * freshNamespace creates `<prefix>-<random>` and waits until the serviceaccount controller has
 * created its `default` ServiceAccount (pods are rejected before that). Returns the name.
 */
export async function freshNamespace(prefix: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.slice(0, 63);
  await kubectlOk(['create', 'namespace', name]);
  await waitFor(async () => (await kubectl(['-n', name, 'get', 'serviceaccount', 'default'])).code === 0, {
    description: `ServiceAccount ${name}/default`,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  return name;
}

/** deleteNamespace starts deleting `name` without waiting for the namespace controller to finish. */
export async function deleteNamespace(name: string): Promise<void> {
  await kubectlOk(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}

/** userKubeconfig returns a kubeconfig for user `name` in `groups` (no permissions until RBAC grants some). */
export function userKubeconfig(name: string, groups: readonly string[] = []): Promise<string> {
  return testCluster().userKubeconfig(name, groups);
}

/**
 * waitEstablished waits until a CRD is served. Not `kubectl wait --for=condition=Established`: that
 * fails at once, instead of waiting, while a CRD just created has no conditions yet.
 */
export async function waitEstablished(crd: string): Promise<void> {
  const jsonpath = '-o=jsonpath={.status.conditions[?(@.type=="Established")].status}';
  await waitFor(async () => (await kubectlOk(['get', `crd/${crd}`, jsonpath])) === 'True', { timeoutMs: 60_000, description: `crd/${crd} Established` });
}
