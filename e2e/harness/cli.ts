// Runs the `bulkhead` command (bin/bulkhead.js, from dist/) as a user would, as the test cluster's
// admin, and returns its exit code and output.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { adminKubeconfig } from './cluster.js';
import { repoRoot } from './operator.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `bulkhead ARGS`, with `input` on standard input when given, as the admin unless `kubeconfig` says otherwise. */
export function bulkhead(args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(repoRoot(), 'bin', 'bulkhead.js'), ...args],
      { env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? adminKubeconfig() }, maxBuffer: 32 * 2 ** 20 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}
