// Starts ONE control plane for the whole integration run and publishes it through the
// environment, since test files run in other module contexts:
//   BULKHEAD_TEST_CLUSTER_DIR   the cluster's state directory (cluster.json; see e2e/harness/cluster.ts)
//   BULKHEAD_TEST_KUBECONFIG    its admin kubeconfig (also exported as KUBECONFIG)
// With BULKHEAD_TEST_CLUSTER_DIR already pointing at a healthy cluster (say `.local` after
// `make cluster-up`), that cluster is reused and left running.
//
// jest loads this file as CommonJS without its ESM resolver, so it cannot import src/; the
// lifecycle runs in runner.ts, transpiled fresh with swc on every run (see runner.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '@jest/types';
import { transformFileSync } from '@swc/core';

// Kept in step with ENV in cluster.ts (which this file cannot import).
const CLUSTER_DIR = 'BULKHEAD_TEST_CLUSTER_DIR';
const KUBECONFIG = 'BULKHEAD_TEST_KUBECONFIG';
const OWNED_ROOT = 'BULKHEAD_TEST_OWNED_ROOT';
const PREFIX = 'bulkhead-it-';

export default async function globalSetup(_global: Config.GlobalConfig, project: Config.ProjectConfig): Promise<void> {
  const repo = project.rootDir;
  process.env['BULKHEAD_ROOT'] ??= repo;
  const root = await mkdtemp(path.join(os.tmpdir(), PREFIX));
  const runner = transpileHarness(repo, path.join(root, 'code'));
  const preset = process.env[CLUSTER_DIR];
  if (preset !== undefined && preset !== '') {
    const { code } = await runRunner(runner, ['healthy', preset]);
    rmSync(root, { recursive: true, force: true });
    if (code !== 0) throw new Error(`${CLUSTER_DIR}=${preset} is set but no healthy cluster runs there`);
    process.env[KUBECONFIG] = path.join(preset, 'kubeconfig');
    process.env['KUBECONFIG'] = process.env[KUBECONFIG];
    process.stderr.write(`[integration] reusing the cluster in ${preset}\n`);
    return;
  }
  await runRunner(runner, ['sweep', os.tmpdir(), PREFIX]);
  // The temp directory is the cluster's state directory (so sweepStaleClusters finds it) and
  // also holds the transpiled runner in code/.
  const dir = root;
  const { code, stdout } = await runRunner(runner, ['up', dir, String(process.pid)]);
  if (code !== 0) throw new Error(`the integration cluster did not start (logs in ${path.join(dir, 'logs')})`);
  const started = JSON.parse(stdout) as { dir: string; kubeconfig: string };
  process.env[OWNED_ROOT] = root;
  process.env[CLUSTER_DIR] = started.dir;
  process.env[KUBECONFIG] = started.kubeconfig;
  process.env['KUBECONFIG'] = started.kubeconfig;
}

/**
 * transpileHarness writes runner.ts and src/devcluster/ as ES modules under `out` (same relative
 * layout, so their `.js` imports resolve) and returns the runner's path.
 */
function transpileHarness(repo: string, out: string): string {
  const sources = [
    ...readdirSync(path.join(repo, 'src', 'devcluster'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => path.join('src', 'devcluster', f)),
    path.join('e2e', 'harness', 'runner.ts'),
  ];
  for (const rel of sources) {
    const { code } = transformFileSync(path.join(repo, rel), {
      swcrc: false,
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    });
    const target = path.join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, code);
  }
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  return path.join(out, 'e2e', 'harness', 'runner.js');
}

/** runRunner runs the transpiled runner; its stderr (progress, failures) goes to ours. */
function runRunner(runner: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}
