// `make demo` is the README's first command: hack/demo.sh runs end to end (its own control plane,
// operator and dataplane, beside the suite's) and shows what the README says it shows. It runs on
// this checkout's dist/, which make test builds first.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../harness/operator.js';

const run = promisify(execFile);

test('make demo: the sample is Ready, the declared connections connect, the intruder is refused, drift is repaired', async () => {
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}` };
  const { stdout } = await run('bash', [path.join(repoRoot(), 'hack', 'demo.sh')], { cwd: repoRoot(), env, maxBuffer: 16 * 2 ** 20, timeout: 600_000 });
  expect(stdout).toMatch(/ml-prod\/gateway-0 +-> ml-prod\/model-0 +TCP\/9000 +connected/);
  expect(stdout).toMatch(/ml-prod\/intruder +-> ml-prod\/model-0 +TCP\/9000 +refused/);
  expect(stdout).toMatch(/ml-prod\/minio-0 +-> internet +TCP\/443 +refused/);
  expect(stdout).toContain('Ready=True (Applied)');
  expect(stdout).toContain('DriftCorrected');
}, 660_000);
