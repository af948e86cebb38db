import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import { defaultPlatform } from '../compile/facts.js';
import type { CliIO } from './main.js';
import { runExplain } from './explain.js';
import { runReport } from './report.js';
import { mapFromFiles } from './segment-map.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sample = (file: string): string => path.join(repo, 'samples', file);

function tempFile(name: string, docs: readonly unknown[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bulkhead-map-')), name);
  writeFileSync(file, docs.map((d) => dump(d)).join('---\n'));
  return file;
}

const pod = (namespace: string, name: string, labels: Record<string, string>): unknown => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, labels }, spec: { containers: [{ name: 'main', image: 'x' }] } });
const allowAll = (namespace: string): unknown => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name: 'allow-all' }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } });

describe('mapFromFiles', () => {
  test('a sample alone: every component drawn, no finding, no condition', async () => {
    const map = await mapFromFiles([sample('fraud-detection.yaml')], 'default', defaultPlatform());
    expect(map.nodes.filter((n) => n.kind === 'component')).toHaveLength(5);
    expect(map.workloads).toEqual([expect.objectContaining({ key: 'ml-prod/fraud-detect', components: 5, conditions: [] })]);
    expect(map.edges.filter((e) => ['exposure', 'overlap', 'pending', 'unresolved'].includes(e.kind))).toEqual([]);
  });

  test('an allow-all NetworkPolicy beside the sample exposes its pods to the intruder, and the Exposed condition says so', async () => {
    const cluster = tempFile('cluster.yaml', [pod('ml-prod', 'model-0', { app: 'fraud-model' }), pod('ml-prod', 'intruder', { app: 'intruder' }), allowAll('ml-prod')]);
    const map = await mapFromFiles([sample('fraud-detection.yaml'), cluster], 'default', defaultPlatform());
    const exposure = map.edges.find((e) => e.kind === 'exposure' && e.from === 'ml-prod/intruder[Pod]');
    expect(exposure).toMatchObject({ to: 'ml-prod/fraud-detect/model', label: 'All Connections', detail: 'exposed: ml-prod/intruder[Pod] can reach ml-prod/model-0[Pod] via ml-prod/allow-all' });
    const [exposed] = map.workloads[0]?.conditions ?? [];
    expect(exposed).toMatchObject({ type: 'Exposed', status: 'True', reason: 'UndeclaredPeerCanConnect' });
    expect(exposed?.message).toMatch(/^model: /);
    expect(exposed?.message).toContain('; ml-prod/intruder[Pod] can reach ml-prod/model-0[Pod] on All Connections (via ml-prod/allow-all);');
  });

  test('a List, as kubectl get -o yaml writes it, is read item by item, AIWorkloads included', async () => {
    const workload = load(readFileSync(sample('fraud-detection.yaml'), 'utf8'));
    const list = tempFile('list.yaml', [{ apiVersion: 'v1', kind: 'List', items: [workload, pod('ml-prod', 'model-0', { app: 'fraud-model' }), pod('ml-prod', 'intruder', { app: 'intruder' }), allowAll('ml-prod')] }]);
    const map = await mapFromFiles([list], 'default', defaultPlatform());
    expect(map.nodes.filter((n) => n.kind === 'component')).toHaveLength(5);
    expect(map.edges.some((e) => e.kind === 'exposure' && e.from === 'ml-prod/intruder[Pod]')).toBe(true);
  });

  test('pods in two segments of two AIWorkloads are an overlap on both', async () => {
    const other = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'batch', namespace: 'ml-prod' }, spec: { components: [{ name: 'scorer', selector: { matchLabels: { app: 'fraud-model' } } }] } };
    const file = tempFile('other.yaml', [other, pod('ml-prod', 'model-0', { app: 'fraud-model' })]);
    const map = await mapFromFiles([sample('fraud-detection.yaml'), file], 'default', defaultPlatform());
    expect(map.edges.filter((e) => e.kind === 'overlap').map((e) => [e.from, e.to, e.label])).toEqual([['ml-prod/batch/scorer', 'ml-prod/fraud-detect/model', 'shares pod model-0']]);
    const overlapping = map.workloads.map((w) => w.conditions.find((c) => c.type === 'Overlapping')?.message);
    expect(overlapping).toEqual(['pod model-0 is in segments batch/scorer and fraud-detect/model', 'pod model-0 is in segments fraud-detect/model and batch/scorer']);
  });

  test('a cross-namespace egress the other side has not declared is ConsentPending', async () => {
    // The router's side withdrawn: its ingress from rag-prod/rag/api left out.
    const doc = load(readFileSync(sample('llm-serving-vllm.yaml'), 'utf8')) as { spec: { ingress: { from: { workload?: unknown } }[] } };
    doc.spec.ingress = doc.spec.ingress.filter((r) => r.from.workload === undefined);
    const llm = tempFile('llm.yaml', [doc]);
    const map = await mapFromFiles([sample('rag-vector-db.yaml'), llm], 'default', defaultPlatform());
    expect(map.edges.find((e) => e.from === 'rag-prod/rag/api' && e.to === 'llm-serving/llm/router')?.kind).toBe('pending');
    expect(map.workloads.find((w) => w.key === 'rag-prod/rag')?.conditions).toEqual([
      { type: 'ConsentPending', status: 'True', reason: 'PeerHasNotDeclared', message: 'api: llm-serving/llm/router has not declared ingress from rag-prod/rag/api' },
    ]);
  });

  test('an invalid AIWorkload is drawn as Stalled with the field; an invalid NetworkPolicy fails naming its file', async () => {
    const bad = tempFile('bad.yaml', [{ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'bad' }, spec: { components: [] } }]);
    const map = await mapFromFiles([bad], 'team', defaultPlatform());
    expect(map.workloads).toEqual([expect.objectContaining({ key: 'team/bad', components: 0, conditions: [expect.objectContaining({ type: 'Stalled', message: expect.stringContaining('spec.components') as string })] })]);
    const policy = tempFile('policy.yaml', [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals' }] } } }]);
    await expect(mapFromFiles([policy], 'default', defaultPlatform())).rejects.toThrow(`${policy}: `);
  });
});

describe('bulkhead report', () => {
  const capture = (): CliIO & { out: string; err: string } => {
    const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
    return io;
  };

  test('writes one HTML page with the map drawn in SVG', async () => {
    const io = capture();
    expect(await runReport(['-f', sample('fraud-detection.yaml')], io)).toBe(0);
    expect(io.out).toMatch(/^<!DOCTYPE html>/);
    expect(io.out).toContain('<svg');
    // Graphviz writes '-' as &#45; in SVG text.
    expect(io.out).toContain('<title>ml&#45;prod/fraud&#45;detect/gateway&#45;&gt;ml&#45;prod/fraud&#45;detect/model</title>');
    expect(io.err).toBe('');
  });

  test.each([
    [[], 'give either -f FILE or --live'],
    [['--live', '-f', 'x.yaml'], 'give either -f FILE or --live'],
    [['-f'], '-f needs a value'],
    [['--bogus'], 'unknown argument "--bogus"'],
  ])('usage error %j exits 2', async (argv, message) => {
    const io = capture();
    expect(await runReport(argv, io)).toBe(2);
    expect(io.err).toContain(message);
  });

  test('a missing file exits 2 naming it; --help exits 0', async () => {
    const io = capture();
    expect(await runReport(['-f', '/nonexistent/x.yaml'], io)).toBe(2);
    expect(io.err).toBe('bulkhead report: /nonexistent/x.yaml: no such file or directory\n');
    const help = capture();
    expect(await runReport(['--help'], help)).toBe(0);
    expect(help.out).toContain('Usage: bulkhead report');
  });
});

describe('bulkhead explain -o dot|mermaid', () => {
  const capture = (): CliIO & { out: string; err: string } => {
    const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
    return io;
  };

  test('-o dot prints the segment map of the AIWorkloads in the files as a digraph', async () => {
    const io = capture();
    expect(await runExplain(['-d', sample('fraud-detection.yaml'), '-o', 'dot'], io)).toBe(0);
    expect(io.out).toMatch(/^digraph "bulkhead" \{\n/);
    expect(io.out).toContain('subgraph "cluster ml-prod/fraud-detect" {');
    expect(io.out).toContain('"ml-prod/fraud-detect/gateway" -> "ml-prod/fraud-detect/model" [id="edge-');
    expect(io.err).toBe('');
  });

  test('-o mermaid prints a flowchart, the exposure as a thick edge', async () => {
    const cluster = tempFile('cluster.yaml', [pod('ml-prod', 'model-0', { app: 'fraud-model' }), pod('ml-prod', 'intruder', { app: 'intruder' }), allowAll('ml-prod')]);
    const io = capture();
    expect(await runExplain(['-d', sample('fraud-detection.yaml'), '-d', cluster, '-o', 'mermaid'], io)).toBe(0);
    const lines = io.out.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    const id = (label: string): string | undefined => lines.map((l) => new RegExp(`^ +(n\\d+)\\["${label}`).exec(l)?.[1]).find((x) => x !== undefined);
    expect(lines).toContain(`  ${id('ml-prod/intruder\\[Pod\\]') ?? '?'} ==>|"All Connections"| ${id('model<br/>') ?? '?'}`);
  });

  test('without AIWorkloads it says why the map is empty; with --from it is a usage error', async () => {
    const policy = tempFile('np.yaml', [allowAll('x')]);
    const io = capture();
    expect(await runExplain(['-d', policy, '-o', 'mermaid'], io)).toBe(0);
    expect(io.out).toBe('flowchart LR\n' + [...io.out.split('\n').slice(1)].join('\n'));
    expect(io.err).toContain('note: no AIWorkload in the input');
    const pair = capture();
    expect(await runExplain(['-d', policy, '-o', 'dot', '--from', 'a', '--to', 'b'], pair)).toBe(2);
    expect(pair.err).toContain('-o dot|mermaid draws the segment map');
  });
});
