// Every sample is accepted by the real API server under the generated CRD (schema, CEL rules,
// strict field validation): a sample users copy must not be one the cluster refuses.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl } from '../harness/cluster.js';
import { ensureCrd, repoRoot } from '../harness/operator.js';

const SAMPLES = readdirSync(path.join(repoRoot(), 'samples')).filter((f) => f.endsWith('.yaml')).sort();
let ns: string;

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('samples');
}, 120_000);

afterAll(async () => {
  if (ns !== undefined) await deleteNamespace(ns);
});

test('there are samples for the stacks the design names', () => {
  expect(SAMPLES).toEqual(expect.arrayContaining(['fraud-detection.yaml', 'jupyter-notebooks.yaml', 'kserve-inference.yaml', 'llm-serving-vllm.yaml', 'rag-vector-db.yaml', 'ray-training.yaml', 'feast-feature-store.yaml']));
});

test.each(SAMPLES)('%s passes the API server validation (server-side dry run, strict)', async (file) => {
  // Each sample names its own namespace; the dry run goes to this suite's, which exists.
  const doc = load(readFileSync(path.join(repoRoot(), 'samples', file), 'utf8')) as { metadata: { namespace?: string } };
  doc.metadata.namespace = ns;
  const res = await kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'], { input: dump(doc) });
  expect([file, res.code, res.stderr]).toEqual([file, 0, '']);
});
