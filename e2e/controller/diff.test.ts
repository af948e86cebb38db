// `bulkhead diff`: a server-side dry run of an AIWorkload and everything it generates against the
// live cluster; nothing is written.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { type CliResult, bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectlOk } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';

let operator: RunningOperator;
let ns: string;
let sample: string;

const diff = (input: string): Promise<CliResult> => bulkhead(['diff', '-f', '-'], { input });

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('diff');
  sample = readFileSync(path.join(repoRoot(), 'samples', 'fraud-detection.yaml'), 'utf8').replace('namespace: ml-prod', `namespace: ${ns}`);
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

test('diff shows new objects, then nothing once applied, then exactly a change', async () => {
  const fresh = await diff(sample);
  expect(fresh.code).toBe(1);
  expect(fresh.stdout).toContain(`--- NetworkPolicy ${ns}/fraud-detect-model (new)`);
  expect(fresh.stdout).toContain(`--- Role ${ns}/fraud-detect-model (new)`);
  // A dry run writes nothing.
  expect((await kubectlOk(['-n', ns, 'get', 'aiworkloads,networkpolicies', '-o', 'name'])).trim()).toBe('');

  await kubectlOk(['apply', '-f', '-'], { input: sample });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/fraud-detect', '--timeout=60s']);
  const same = await diff(sample);
  expect(same.stdout).toBe('');
  expect(same.code).toBe(0);

  const changed = await diff(sample.replace('port: 8080', 'port: 8443'));
  expect(changed.code).toBe(1);
  expect(changed.stdout).toContain(`--- NetworkPolicy ${ns}/fraud-detect-gateway\n`);
  expect(changed.stdout).toMatch(/- +- port: 8080\n\+ +- port: 8443/);
  expect(changed.stdout).not.toContain('fraud-detect-model');

  // Dropping a component shows its objects as pruned.
  const doc = load(sample) as { spec: { components: { name: string }[]; flows: { from: string }[]; egress?: unknown } };
  doc.spec.components = doc.spec.components.filter((c) => c.name !== 'training');
  doc.spec.flows = doc.spec.flows.filter((f) => f.from !== 'training');
  delete doc.spec.egress;
  const withoutTraining = dump(doc);
  const pruned = await diff(withoutTraining);
  expect(pruned.stdout).toContain(`--- NetworkPolicy ${ns}/fraud-detect-training (pruned)`);
  expect(pruned.stdout).toContain(`--- ServiceAccount ${ns}/fraud-detect-training (pruned)`);
}, 90_000);

test('the API server refuses an invalid AIWorkload in the dry run, naming the field', async () => {
  const r = await diff(sample.replace('{name: http, port: 8080}', '{name: http, port: 80800}'));
  expect(r.code).toBeGreaterThanOrEqual(2);
  expect(r.stderr).toMatch(/spec\.components\[0\]\.ports\[0\]\.port/);
}, 30_000);
