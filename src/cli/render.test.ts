import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
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

test('invalid input names the field and what would be valid, and exits 2', async () => {
  const f = file('apiVersion: bulkhead.dev/v1alpha1\nkind: AIWorkload\nmetadata: {name: w, namespace: ns}\nspec:\n  components:\n  - {name: a, role: Databse, selector: {}}\n');
  const r = await run(['render', '-f', f]);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/spec\.components\[0\]\.role: .*"Model"/);
  expect(r.err).toMatch(/spec\.components\[0\]\.selector: must not be empty/);
});

test('misspelt fields, names the API server refuses and empty input are errors, each naming the field and the value', async () => {
  const sample = readFileSync(path.join(repo, 'samples', 'fraud-detection.yaml'), 'utf8');
  const cases: [string, string][] = [
    [sample.replace('ports: [{name: grpc, port: 9000}', 'prots: [{name: grpc, port: 9000}'), 'spec.components[1].prots: unknown field "prots" (did you mean "ports"?)'],
    [sample.replace('  flows:', '  flow:'), 'spec.flow: unknown field "flow" (did you mean "flows"?)'],
    [sample.replace('name: fraud-detect', 'name: Fraud_Detect'), 'metadata.name: "Fraud_Detect" is not a DNS-1123 subdomain'],
    [sample.replace('{from: gateway, to: model, ports: [grpc]}', '{from: gateway, to: ghost, ports: [grpc]}'), 'spec.flows[0].to: "ghost" is not a component of this AIWorkload (components: gateway, model, features, transactions, training)'],
    ['', 'no AIWorkload in it (empty input)'],
    ['# nothing here\n---\n', 'no AIWorkload in it (empty input)'],
  ];
  for (const [content, message] of cases) {
    const r = await run(['render', '-f', file(content)]);
    expect([r.code, r.out, r.err]).toEqual([2, '', expect.stringContaining(message)]);
  }
  expect((await run(['render', '-f', file(sample), '-n', 'Not_A_Namespace'])).err).toContain('-n must be a namespace name (a DNS-1123 label), not "Not_A_Namespace"');
});

test('wrong kind, broken YAML and missing flags are errors', async () => {
  expect((await run(['render', '-f', file('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')])).err).toMatch(/must be bulkhead.dev\/v1alpha1 AIWorkload/);
  expect((await run(['render', '-f', file('a: [')])).code).toBe(2);
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

describe('platform and API server flags', () => {
  const workload = `apiVersion: bulkhead.dev/v1alpha1
kind: AIWorkload
metadata: {name: w, namespace: ml}
spec:
  components:
  - name: api
    selector: {matchLabels: {app: api}}
  egress:
  - {from: api, to: {platform: KubeAPIServer}}
`;
  const policy = (out: string): { egress: { to?: Record<string, unknown>[]; ports?: { port: number }[] }[] } => {
    const doc = out.split('---\n').find((d) => d.startsWith('apiVersion: networking.k8s.io/v1')) ?? '';
    return (load(doc) as { spec: { egress: { to?: Record<string, unknown>[]; ports?: { port: number }[] }[] } }).spec;
  };

  it('writes the DNS rule for the pods the operator is told about, as `run` would', async () => {
    const res = await run(['render', '-f', file(workload), '--dns-namespace', 'dns-system', '--dns-pod-labels', 'app.kubernetes.io/name=coredns,tier=node']);
    expect(res.code).toBe(0);
    expect(policy(res.out).egress[0]?.to).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coredns', tier: 'node' } } },
    ]);
  });

  it('resolves {platform: KubeAPIServer} from --api-server, and says it left the rule out without it', async () => {
    const without = await run(['render', '-f', file(workload)]);
    expect(without.err).toContain('no rule for platform/KubeAPIServer');
    expect(policy(without.out).egress).toHaveLength(1); // DNS only
    const res = await run(['render', '-f', file(workload), '--api-server', '10.0.0.1,fd00::1', '--api-server-ports', '6443']);
    expect(res.err).toBe('');
    const api = policy(res.out).egress[1];
    expect(api?.ports).toEqual([{ protocol: 'TCP', port: 6443 }]);
    expect(JSON.stringify(api?.to)).toContain('10.0.0.1/32');
    expect(JSON.stringify(api?.to)).toContain('fd00::1/128');
  });

  it('refuses bad values naming the flag and what would be valid', async () => {
    const cases: [string[], string][] = [
      [['--dns-pod-labels', 'k8s-app'], '--dns-pod-labels takes labels as key=value[,key=value...] (label keys and values as in Kubernetes), not "k8s-app"'],
      [['--dns-pod-labels', 'a=b,bad key=x'], 'not "bad key=x"'],
      [['--monitoring-namespace', 'Monitoring'], '--monitoring-namespace must be a namespace name (a DNS label), not "Monitoring"'],
      [['--api-server', '10.0.0.300'], '--api-server takes IP addresses separated by commas, not "10.0.0.300"'],
      [['--api-server-ports', '6443,0'], '--api-server-ports takes port numbers (1-65535) separated by commas, not "6443,0"'],
    ];
    for (const [flags, message] of cases) {
      const res = await run(['render', '-f', file(workload), ...flags]);
      expect([flags, res.code, res.err.split('\n')[0]]).toEqual([flags, 2, expect.stringContaining(message)]);
    }
  });
});
