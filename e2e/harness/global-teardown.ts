// Stops the cluster global-setup.ts started (not one it reused) and removes its temp directory.
// Like the setup, it cannot import src/ and drives the runner global-setup.ts transpiled.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const root = process.env['BULKHEAD_TEST_OWNED_ROOT'];
  if (root === undefined || root === '') return;
  const runner = path.join(root, 'code', 'e2e', 'harness', 'runner.js');
  if (existsSync(runner)) {
    // Asynchronous, so that this process keeps reaping children it started (an API server a fault
    // test restarted) while the runner stops them.
    const status = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [runner, 'down', root], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (status !== 0) throw new Error(`stopping the integration cluster in ${root} failed; its processes may still run`);
  }
  rmSync(root, { recursive: true, force: true });
  delete process.env['BULKHEAD_TEST_OWNED_ROOT'];
}
