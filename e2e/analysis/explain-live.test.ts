// `bulkhead explain --live` against the real API server: the generated policies of the sample, read
// back from the cluster with real pods, allow exactly the declared flows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import { type CliResult, bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';

let operator: RunningOperator;
let ns: string;

const explain = (args: string[]): Promise<CliResult> => bulkhead(['explain', '--live', ...args]);

const pod = (namespace: string, name: string, labels: Record<string, string>): string =>
  dump({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'registry.invalid/x:1' }] } });

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('explain');
  if ((await kubectl(['get', 'namespace', 'ingress-nginx'])).code !== 0) await kubectlOk(['create', 'namespace', 'ingress-nginx']);
  operator = await startOperator();
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  if (ns !== undefined) await deleteNamespace(ns);
});

test('the live connectivity of the sample is exactly its declared flows', async () => {
  const sample = readFileSync(path.join(repoRoot(), 'samples', 'fraud-detection.yaml'), 'utf8').replace('namespace: ml-prod', `namespace: ${ns}`);
  await kubectlOk(['apply', '-f', '-'], { input: sample });
  await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/fraud-detect', '--timeout=60s']);
  await kubectlOk(['apply', '-f', '-'], {
    input: [
      pod(ns, 'gw', { app: 'fraud-gw' }),
      pod(ns, 'model', { app: 'fraud-model' }),
      pod(ns, 'features', { app: 'feast-online' }),
      pod(ns, 'minio', { app: 'minio', bucket: 'transactions' }),
      pod(ns, 'train', { job: 'fraud-train' }),
      pod(ns, 'intruder', { app: 'intruder' }),
      pod('ingress-nginx', `nginx-${ns}`, { 'app.kubernetes.io/name': 'ingress-nginx' }),
    ].join('---\n'),
  });
  const r = await explain(['-n', ns]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const segment = /\/(gw|model|features|minio|train)\[Pod\]/;
  // Every allowed connection touching a segment pod, between pods:
  const internal = lines.filter((l) => !l.includes('[External]') && segment.test(l)).filter((l) => !l.includes('kube-system/'));
  expect(internal.sort()).toEqual(
    [
      `${ns}/gw[Pod] => ${ns}/model[Pod] : TCP 9000`,
      `${ns}/model[Pod] => ${ns}/features[Pod] : TCP 6379`,
      `${ns}/train[Pod] => ${ns}/minio[Pod] : TCP 9000`,
      `ingress-nginx/nginx-${ns}[Pod] => ${ns}/gw[Pod] : TCP 8080`,
    ].sort(),
  );
  // The training job's only way out is TCP 443 to addresses outside 10.0.0.0/8 and the metadata address.
  const external = lines.filter((l) => l.includes('[External]') && segment.test(l));
  expect(external.length).toBeGreaterThan(0);
  for (const l of external) expect(l).toMatch(new RegExp(`^${ns}/train\\[Pod\\] => [0-9.-]+\\[External\\] : TCP 443$`));
  expect(external.join('\n')).not.toMatch(/169\.254\.169\.254-169\.254\.169\.254/);
  expect(external.join('\n')).not.toMatch(/ 10\.0\.0\.0-10\.255\.255\.255/);

  const why = await explain(['--from', `${ns}/intruder[Pod]`, '--to', `${ns}/model[Pod]`]);
  expect(why.code).toBe(0);
  expect(why.stdout).toMatch(/fraud-detect-model/);
}, 90_000);
