// Runs the real operator (`bulkhead run`, from dist/) as a child process against the test cluster,
// the way a user runs it, so suites observe it only through the API server and its HTTP endpoints.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { kubectlOk, waitEstablished, waitFor } from './cluster.js';
import { operatorIdentity } from './operator-identity.js';

export const repoRoot = (): string => process.env['BULKHEAD_ROOT'] ?? process.cwd();

/** Installs (or updates) the generated CRD and waits until it is served. */
export async function ensureCrd(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot(), 'crds')]);
  await waitEstablished('aiworkloads.bulkhead.dev');
  await waitEstablished('threatfeeds.bulkhead.dev');
}

export interface OperatorOptions {
  /** @default the operator's least-privilege ServiceAccount (manifests/rbac.yaml), never system:masters */
  kubeconfig?: string;
  args?: string[];
  env?: Record<string, string>;
}

export interface RunningOperator {
  readonly process: ChildProcess;
  readonly port: number;
  /** Everything the operator logged so far (JSON lines). */
  logs(): string;
  /** GET a path on the health/metrics server. */
  get(p: string): Promise<{ status: number; body: string }>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startOperator(opts: OperatorOptions = {}): Promise<RunningOperator> {
  const kubeconfig = opts.kubeconfig ?? (await operatorIdentity()).kubeconfig;
  // --expose-gc as the image runs it (Dockerfile), so that the operator releases V8's heap (src/runtime/heap.ts) here too.
  const child = spawn(process.execPath, ['--expose-gc', path.join(repoRoot(), 'bin', 'bulkhead.js'), 'run', '--metrics-bind-address', '127.0.0.1:0', ...(opts.args ?? [])], {
    env: { ...process.env, KUBECONFIG: kubeconfig, BULKHEAD_LOG_LEVEL: 'debug', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const port = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}: ${output.slice(-2000)}`);
      const m = /"message":"serving \/metrics[^\n]*"port":(\d+)/.exec(output) ?? /"port":(\d+)[^\n]*"message":"serving \/metrics/.exec(output);
      return m === null ? undefined : Number(m[1]);
    },
    { timeoutMs: 30_000, description: 'the operator to serve /metrics' },
  );
  const get = async (p: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, body: await res.text() };
  };
  await waitFor(async () => (await get('/readyz')).status === 200, { timeoutMs: 60_000, description: 'operator /readyz' });
  return {
    process: child,
    port,
    logs: () => output,
    get,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export interface ExitedOperator {
  /** Exit code, or null when it had to be killed at the deadline. */
  code: number | null;
  stderr: string;
  stdout: string;
  /** From spawn to exit. */
  elapsedMs: number;
}

/**
 * runOperatorToExit runs `bulkhead run` with exactly `args` (no default listen address) and waits
 * for it to exit by itself; past `timeoutMs` it is killed and `code` is null. For start-up
 * failures, which must end the process at once.
 */
export async function runOperatorToExit(opts: OperatorOptions & { timeoutMs?: number } = {}): Promise<ExitedOperator> {
  const kubeconfig = opts.kubeconfig ?? (await operatorIdentity()).kubeconfig;
  const started = Date.now();
  const child = spawn(process.execPath, ['--expose-gc', path.join(repoRoot(), 'bin', 'bulkhead.js'), 'run', ...(opts.args ?? [])], {
    env: { ...process.env, KUBECONFIG: kubeconfig, BULKHEAD_LOG_LEVEL: 'debug', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  const deadline = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  return { code: signal === 'SIGKILL' ? null : code, stdout, stderr, elapsedMs: Date.now() - started };
}
