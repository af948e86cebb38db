import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

function file(content: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-'));
  const f = path.join(dir, 'w.yaml');
  writeFileSync(f, content);
  return f;
}

test('render is deterministic byte for byte and matches the golden file', async () => {
  const sample = path.join(repo, 'samples', 'fraud-detection.yaml');
  const a = await run(['render', '-f', sample]);
  const b = await run(['render', '-f', sample]);
  expect(a.code).toBe(0);
  expect(a.out).toBe(b.out);
  expect(a.out).toBe(readFileSync(path.join(repo, 'src', 'compile', 'testdata', 'fraud-detection.golden.yaml'), 'utf8'));
});

test('invalid input names the field and what would be valid, and exits non-zero', async () => {
  const f = file('apiVersion: bulkhead.dev/v1alpha1\nkind: AIWorkload\nmetadata: {name: w, namespace: ns}\nspec:\n  components:\n  - {name: a, role: Databse, selector: {}}\n');
  const r = await run(['render', '-f', f]);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/spec\.components\[0\]\.role: .*"Model"/);
  expect(r.err).toMatch(/spec\.components\[0\]\.selector: must not be empty/);
});

test('wrong kind, broken YAML and missing flags are errors', async () => {
  expect((await run(['render', '-f', file('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')])).err).toMatch(/must be bulkhead.dev\/v1alpha1 AIWorkload/);
  expect((await run(['render', '-f', file('a: [')])).code).toBe(1);
  expect((await run(['render'])).code).toBe(2);
});

test('workloads in one file resolve each other as peers', async () => {
  const f = file(`apiVersion: bulkhead.dev/v1alpha1
kind: AIWorkload
metadata: {name: client, namespace: a}
spec:
  components: [{name: c, selector: {matchLabels: {app: c}}}]
  egress: [{from: c, to: {workload: {namespace: b, name: server, component: s}}}]
---
apiVersion: bulkhead.dev/v1alpha1
kind: AIWorkload
metadata: {name: server, namespace: b}
spec:
  components: [{name: s, selector: {matchLabels: {app: s}}}]
  ingress: [{to: s, from: {workload: {namespace: a, name: client, component: c}}}]
`);
  const r = await run(['render', '-f', f]);
  expect(r.code).toBe(0);
  expect(r.err).toBe('');
  expect(r.out).toContain('kubernetes.io/metadata.name: b');
  expect(r.out).toContain('kubernetes.io/metadata.name: a');
});
