// A clone anywhere works: a fresh `git clone` of this repository (its committed HEAD; work not yet
// committed is not in it), `npm ci` (whose prepare script compiles dist/), and `npx bulkhead` runs,
// with nothing from outside the clone: not this checkout's dist/ or node_modules/.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../harness/operator.js';

const run = promisify(execFile);
let clone = '';

/** The pinned Node.js's bin directory first, as make puts it, so that npm and npx run on it. */
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}` });

beforeAll(() => {
  if (!existsSync(path.join(repoRoot(), '.git'))) throw new Error(`${repoRoot()} is not a git checkout: this suite clones it`);
  clone = path.join(mkdtempSync(path.join(os.tmpdir(), 'bulkhead-clone-')), 'bulkhead');
});

afterAll(() => {
  if (clone !== '') rmSync(path.dirname(clone), { recursive: true, force: true });
});

test('git clone, npm ci, npx bulkhead: the version, and render prints the golden file', async () => {
  await run('git', ['clone', '--quiet', repoRoot(), clone]);
  expect(existsSync(path.join(clone, 'dist'))).toBe(false);
  const ci = await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, env: env(), maxBuffer: 16 * 2 ** 20 });
  // The prepare script built the CLI.
  expect(ci.stdout).toContain('> tsc -p tsconfig.build.json');
  expect(existsSync(path.join(clone, 'dist', 'cli', 'main.js'))).toBe(true);
  const pkg = JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8')) as { version: string };
  const version = await run('npx', ['--no-install', 'bulkhead', '--version'], { cwd: clone, env: env() });
  expect(version.stdout).toBe(`bulkhead ${pkg.version}\n`);
  const rendered = await run('npx', ['--no-install', 'bulkhead', 'render', '-f', 'samples/fraud-detection.yaml'], { cwd: clone, env: env(), maxBuffer: 16 * 2 ** 20 });
  expect(rendered.stdout).toBe(readFileSync(path.join(clone, 'src', 'compile', 'testdata', 'fraud-detection.golden.yaml'), 'utf8'));
}, 300_000);

test('the repository stands alone: no committed file names the workspace folder beside the checkout', async () => {
  // git grep over the committed tree (-F fixed string, -I no binaries; exit 1: no match). The
  // string is built so that this file does not hold it.
  const beside = ['..', 'shared'].join('/');
  const found = await run('git', ['grep', '-n', '-I', '-F', '-e', beside, 'HEAD', '--', '.', ':!node_modules'], { cwd: repoRoot() }).then(
    (r) => r.stdout,
    (err: { code?: number; stdout?: string }) => (err.code === 1 ? '' : Promise.reject(err instanceof Error ? err : new Error(String(err.stdout)))),
  );
  expect(found).toBe('');
});
