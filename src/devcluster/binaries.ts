// Locates etcd, kube-apiserver, kube-controller-manager and kubectl. They are built from the Go
// module proxy by hack/build-control-plane.sh into a cache keyed by version; the script returns at
// once when the cache is complete. BULKHEAD_CP_BIN points at another directory holding the four.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ControlPlaneBinaries {
  binDir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
}

/** repoRoot is $BULKHEAD_ROOT, or the directory two levels above this module (src/ or dist/). */
export function repoRoot(): string {
  const fromEnv = process.env['BULKHEAD_ROOT'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** binariesIn names the four binaries in `binDir` and fails when one is missing. */
export function binariesIn(binDir: string): ControlPlaneBinaries {
  const bins: ControlPlaneBinaries = {
    binDir,
    etcd: path.join(binDir, 'etcd'),
    kubeApiserver: path.join(binDir, 'kube-apiserver'),
    kubeControllerManager: path.join(binDir, 'kube-controller-manager'),
    kubectl: path.join(binDir, 'kubectl'),
  };
  for (const file of [bins.etcd, bins.kubeApiserver, bins.kubeControllerManager, bins.kubectl]) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      throw new Error(`control-plane binary ${file} is missing or not executable`);
    }
  }
  return bins;
}

/**
 * findBinaries returns $BULKHEAD_CP_BIN's binaries, or runs hack/build-control-plane.sh (which
 * builds once, then answers from its cache) and uses the directory it prints. The script's
 * progress goes to this process's stderr, since a cold build takes many minutes.
 */
export async function findBinaries(): Promise<ControlPlaneBinaries> {
  const fromEnv = process.env['BULKHEAD_CP_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return binariesIn(fromEnv);
  return binariesIn(await runBuildScript('build-control-plane.sh'));
}

/**
 * runBuildScript runs hack/NAME (which builds once into the cache, then answers from it) and
 * returns the last line it prints: the path it built. Its progress goes to this process's
 * stderr, since a cold build takes minutes.
 */
export async function runBuildScript(name: string): Promise<string> {
  const script = path.join(repoRoot(), 'hack', name);
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code ?? 'a signal'}`)),
    );
  });
  const last = stdout.trim().split('\n').pop();
  if (last === undefined || last === '') throw new Error(`${script} printed no path`);
  return last;
}
