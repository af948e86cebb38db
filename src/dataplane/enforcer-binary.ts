// Locates the enforcer: $BULKHEAD_ENFORCER, or what hack/build-enforcer.sh prints (it builds
// sigs.k8s.io/kube-network-policies from the Go module proxy once, then answers from its cache).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../devcluster/index.js';

export async function findEnforcer(): Promise<string> {
  const fromEnv = process.env['BULKHEAD_ENFORCER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const script = path.join(repoRoot(), 'hack', 'build-enforcer.sh');
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code ?? 'a signal'}`))));
  });
  const bin = stdout.trim().split('\n').pop();
  if (bin === undefined || bin === '') throw new Error(`${script} printed no path`);
  return bin;
}
