// Issue 13, item 1: the segment map in a real browser. `bulkhead report` writes one HTML page; the
// page is opened from disk in Debian's headless Chromium, which must draw the sample's components
// as nodes and its flows and peers as edges (found by the SVG titles Graphviz writes: the DOT
// names), an exposure as a red edge from the exposing peer, the conditions beside the map, and
// must make no request beyond the page itself. From files, and live: with the operator running
// and an allow-all NetworkPolicy beside a segment, as e2e/controller/exposure.test.ts does.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dump, load, loadAll } from 'js-yaml';
import type { Browser, Page } from 'playwright-core';
import { bulkhead } from '../harness/cli.js';
import { ragWorkload } from '../harness/rag-workload.js';
import { deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { type RunningOperator, ensureCrd, repoRoot, startOperator } from '../harness/operator.js';
import { type Drawn, count, drawnElements, launchChromium, openPage } from './browser.js';

/** A pod name no API server would take, but a file can hold: it must stay text. */
const HOSTILE = '"><img src=x onerror=alert(1)>';

/** #c81e1e, the exposure colour of src/report/style.ts, as the browser computes it. */
const EXPOSURE_RED = 'rgb(200, 30, 30)';
/** #7e3af2, the overlap colour. */
const OVERLAP_VIOLET = 'rgb(126, 58, 242)';
/** #b45309, the consent-pending colour. */
const PENDING_AMBER = 'rgb(180, 83, 9)';

let browser: Browser;
const out = mkdtempSync(path.join(tmpdir(), 'bulkhead-report-'));

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const pod = (namespace: string, name: string, labels: Record<string, string>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'main', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const allowAll = (namespace: string): Record<string, unknown> => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-all', namespace },
  spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] },
});

/** Writes the page `bulkhead report ARGS` prints and opens it from disk. */
async function report(args: string[], name: string): Promise<{ page: Page; requests: string[]; url: string }> {
  const res = await bulkhead(['report', ...args]);
  expect([res.code, res.stderr]).toEqual([0, '']);
  const file = path.join(out, `${name}.html`);
  writeFileSync(file, res.stdout);
  const url = pathToFileURL(file).href;
  return { ...(await openPage(browser, url)), url };
}

const byTitle = (drawn: readonly Drawn[], title: string): Drawn | undefined => drawn.find((d) => d.title === title);

function expectDrawn(drawn: readonly Drawn[], titles: readonly string[], kind: string): void {
  const missing = titles.filter((t) => byTitle(drawn, t)?.visible !== true);
  expect({ kind, missing }).toEqual({ kind, missing: [] });
}

interface Sample {
  metadata: { name: string; namespace: string };
  spec: { components: { name: string }[]; flows: { from: string; to: string }[] };
}

/** The fraud-detection sample, and beside it an AIWorkload that overlaps it, its model pod, an intruder, a pod with a hostile name and an allow-all policy. */
function filesInput(): { sampleFile: string; cluster: string; sample: Sample } {
  const sampleFile = path.join(repoRoot(), 'samples', 'fraud-detection.yaml');
  const sample = load(readFileSync(sampleFile, 'utf8')) as Sample;
  const ns = sample.metadata.namespace;
  const cluster = path.join(out, 'cluster.yaml');
  // A second AIWorkload whose segment selects the model's pods too: an overlap.
  const scorer = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'batch', namespace: ns }, spec: { components: [{ name: 'scorer', selector: { matchLabels: { app: 'fraud-model' } } }] } };
  const docs = [scorer, pod(ns, 'model-0', { app: 'fraud-model' }), pod(ns, 'intruder', { app: 'intruder' }), pod(ns, HOSTILE, { app: 'x' }), allowAll(ns)];
  writeFileSync(cluster, docs.map((d) => dump(d)).join('---\n'));
  return { sampleFile, cluster, sample };
}

test('from files: the fraud-detection sample drawn in Chromium, with an exposure from the intruder, offline', async () => {
  const { sampleFile, cluster, sample } = filesInput();
  const { namespace: ns, name } = sample.metadata;
  const { page, requests, url } = await report(['-f', sampleFile, '-f', cluster], 'files');

  const nodes = await drawnElements(page, 'node');
  const edges = await drawnElements(page, 'edge');
  const component = (c: string): string => `${ns}/${name}/${c}`;
  expectDrawn(nodes, sample.spec.components.map((c) => component(c.name)), 'component');
  expect(sample.spec.components.every((c) => byTitle(nodes, component(c.name))?.classes.includes('component'))).toBe(true);
  // Graphviz titles an edge TAIL->HEAD.
  expectDrawn(edges, sample.spec.flows.map((f) => `${component(f.from)}->${component(f.to)}`), 'flow');
  expectDrawn(edges, [
    `namespace ingress-nginx pods {app.kubernetes.io/name=ingress-nginx}->${component('gateway')}`,
    `platform Monitoring->${component('model')}`,
    `${component('training')}->cidr 0.0.0.0/0 except 10.0.0.0/8`,
    `${component('transactions')}->platform DNS`,
  ], 'peer');
  expect(byTitle(edges, `${component('gateway')}->${component('model')}`)?.classes).toEqual(['edge', 'flow']);

  // The exposure: a red edge from the intruder to the model, which is outlined as exposed.
  const exposure = byTitle(edges, `${ns}/intruder[Pod]->${component('model')}`);
  expect(exposure).toMatchObject({ classes: ['edge', 'exposure'], stroke: EXPOSURE_RED, visible: true });
  expect(byTitle(nodes, `${ns}/intruder[Pod]`)?.classes).toEqual(['node', 'exposer']);
  expect(byTitle(nodes, component('model'))).toMatchObject({ classes: ['node', 'component', 'exposed', 'overlap'], stroke: EXPOSURE_RED });
  // Nothing else is red: the gateway's flow is blue.
  expect(byTitle(edges, `${component('gateway')}->${component('model')}`)?.stroke).not.toBe(EXPOSURE_RED);

  // The conditions beside the map: Exposed, naming the policy.
  const panel = page.locator('aside section.workload', { hasText: `AIWorkload ${ns}/${name}` });
  const exposed = panel.locator('li.condition[data-type="Exposed"]');
  await expect(exposed.isVisible()).resolves.toBe(true);
  expect(await exposed.textContent()).toContain(`${ns}/intruder[Pod] can reach ${ns}/model-0[Pod] on All Connections (via ${ns}/allow-all)`);

  // The overlap: a violet edge between the two segments that select model-0, and Overlapping beside the map.
  expect(byTitle(edges, `${ns}/batch/scorer->${component('model')}`)).toMatchObject({ classes: ['edge', 'overlap'], stroke: OVERLAP_VIOLET, visible: true });
  expect(await panel.locator('li.condition[data-type="Overlapping"]').textContent()).toContain(`pod model-0 is in segments ${name}/model and batch/scorer`);

  // A pod name from a file is drawn as text, not markup.
  expect(byTitle(nodes, `${ns}/${HOSTILE}[Pod]`)?.classes).toEqual(['node', 'exposer']);

  // Offline: the page is the only request, and it has no script.
  expect(requests).toEqual([url]);
  expect(await count(page, 'script, iframe, img, link, object, embed')).toBe(0);

  const screenshot = path.join(out, 'fraud-detection.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  process.stderr.write(`[report] screenshot of the segment map: ${screenshot}\n`);
  await page.close();
}, 60_000);

test('from files: a cross-namespace flow the other side has not consented to is drawn amber, with ConsentPending beside the map', async () => {
  // The LLM serving sample without its ingress from the RAG workload: the RAG api's flow to the
  // router waits for consent.
  const llm = loadAll(readFileSync(path.join(repoRoot(), 'samples', 'llm-serving-vllm.yaml'), 'utf8')) as ({ kind?: string; spec?: { ingress?: { from: { workload?: unknown } }[] } } | null)[];
  for (const d of llm) if (d?.kind === 'AIWorkload' && d.spec !== undefined) d.spec.ingress = (d.spec.ingress ?? []).filter((r) => r.from.workload === undefined);
  const llmFile = path.join(out, 'llm-without-consent.yaml');
  writeFileSync(llmFile, llm.filter((d) => d !== null).map((d) => dump(d)).join('---\n'));
  const { page, requests, url } = await report(['-f', path.join(repoRoot(), 'samples', 'rag-vector-db.yaml'), '-f', llmFile], 'pending');

  const edges = await drawnElements(page, 'edge');
  const nodes = await drawnElements(page, 'node');
  expect(byTitle(edges, 'rag-prod/rag/api->llm-serving/llm/router')).toMatchObject({ classes: ['edge', 'pending'], stroke: PENDING_AMBER, visible: true });
  expect(byTitle(nodes, 'rag-prod/rag/api')?.classes).toEqual(['node', 'component', 'pending']);
  // The router's own flows stay as declared.
  expect(byTitle(edges, 'llm-serving/llm/router->llm-serving/llm/vllm')?.classes).toEqual(['edge', 'flow']);
  const condition = page.locator('aside section.workload', { hasText: 'AIWorkload rag-prod/rag' }).locator('li.condition[data-type="ConsentPending"]');
  await expect(condition.isVisible()).resolves.toBe(true);
  expect(await condition.textContent()).toContain('has not declared ingress from rag-prod/rag/api');
  expect(requests).toEqual([url]);
  await page.close();
}, 60_000);

test('explain -o mermaid is a flowchart Mermaid itself renders: every node and edge, the exposures red, names as text', async () => {
  const { sampleFile, cluster, sample } = filesInput();
  const ns = sample.metadata.namespace;
  const res = await bulkhead(['explain', '-d', sampleFile, '-d', cluster, '-o', 'mermaid']);
  expect([res.code, res.stderr]).toEqual([0, '']);
  const lines = res.stdout.trimEnd().split('\n');
  const nodeLines = lines.filter((l) => /^ {2,4}n\d+\[/.test(l));
  const edgeLines = lines.filter((l) => /^ {2}n\d+ \S+\|/.test(l));
  // Mermaid as GitHub runs it (securityLevel strict), from node_modules, in a blank page.
  const page = await browser.newPage();
  await page.addScriptTag({ path: path.join(repoRoot(), 'node_modules', 'mermaid', 'dist', 'mermaid.min.js') });
  const drawn = JSON.parse(String(await page.evaluate(`(async () => {
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    const { svg } = await mermaid.render('map', ${JSON.stringify(res.stdout)});
    document.body.innerHTML = svg;
    const links = [...document.querySelectorAll('svg .flowchart-link')];
    return JSON.stringify({
      nodes: [...document.querySelectorAll('svg g.node')].map((n) => n.textContent),
      links: links.length,
      red: links.filter((l) => getComputedStyle(l).stroke === '${EXPOSURE_RED}').length,
      injected: document.querySelectorAll('svg img, svg script, svg iframe').length,
    });
  })()`))) as { nodes: string[]; links: number; red: number; injected: number };
  expect(drawn.nodes).toHaveLength(nodeLines.length);
  expect(drawn.links).toBe(edgeLines.length);
  expect(drawn.red).toBe(edgeLines.filter((l) => l.includes(' ==>|')).length);
  expect(drawn.red).toBeGreaterThan(0);
  expect(drawn.nodes).toEqual(expect.arrayContaining(['modelModel', `${ns}/intruder[Pod]undeclared peer`, `${ns}/${HOSTILE}[Pod]undeclared peer`]));
  expect(drawn.injected).toBe(0);
  await page.close();
}, 60_000);

describe('live', () => {
  let operator: RunningOperator;
  let ns: string;

  beforeAll(async () => {
    await ensureCrd();
    ns = await freshNamespace('report');
    operator = await startOperator();
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    if (ns !== undefined) await deleteNamespace(ns);
  });

  async function condition(type: string): Promise<{ status: string; message?: string } | undefined> {
    const obj = JSON.parse(await kubectlOk(['-n', ns, 'get', 'aiworkload', 'rag', '-o', 'json'])) as { status?: { conditions?: { type: string; status: string; message?: string }[] } };
    return obj.status?.conditions?.find((c) => c.type === type);
  }

  test('report --live draws the exposure an allow-all NetworkPolicy makes, with the operator\'s conditions', async () => {
    const workload = ragWorkload(ns);
    await kubectlOk(['apply', '-f', '-'], { input: dump(workload) });
    await kubectlOk(['-n', ns, 'wait', '--for=condition=Ready', 'aiworkload/rag', '--timeout=60s']);
    await kubectlOk(['apply', '-f', '-'], { input: [pod(ns, 'api-0', { app: 'api' }), pod(ns, 'vectors-0', { app: 'vectors' }), pod(ns, 'intruder', { app: 'intruder' })].map((d) => dump(d)).join('---\n') });

    // Before the allow-all: the segments drawn, nothing exposed.
    const before = await report(['--live', '-n', ns], 'live-before');
    const edgesBefore = await drawnElements(before.page, 'edge');
    expectDrawn(edgesBefore, [`${ns}/rag/api->${ns}/rag/vectors`], 'flow');
    expect(edgesBefore.filter((e) => e.classes.includes('exposure'))).toEqual([]);
    await before.page.close();

    await kubectlOk(['apply', '-f', '-'], { input: dump(allowAll(ns)) });
    await waitFor(async () => (await condition('Exposed'))?.status === 'True', { timeoutMs: 15_000, description: 'Exposed=True' });

    const { page, requests, url } = await report(['--live', '-n', ns], 'live');
    const nodes = await drawnElements(page, 'node');
    const edges = await drawnElements(page, 'edge');
    expectDrawn(nodes, [`${ns}/rag/api`, `${ns}/rag/vectors`], 'component');
    expectDrawn(edges, [`${ns}/rag/api->${ns}/rag/vectors`, `${ns}/rag/api->platform DNS`], 'declared');
    const exposure = byTitle(edges, `${ns}/intruder[Pod]->${ns}/rag/vectors`);
    expect(exposure).toMatchObject({ classes: ['edge', 'exposure'], stroke: EXPOSURE_RED, visible: true });
    expect(byTitle(nodes, `${ns}/rag/vectors`)?.classes).toContain('exposed');

    // The conditions are the operator's, read from the status: Ready and Exposed.
    const panel = page.locator('aside section.workload', { hasText: `AIWorkload ${ns}/rag` });
    expect(await panel.locator('li.condition[data-type="Ready"] .status').textContent()).toBe('True');
    const exposed = panel.locator('li.condition[data-type="Exposed"]');
    expect(await exposed.locator('.status').textContent()).toBe('True');
    expect(await exposed.textContent()).toContain(`${ns}/allow-all`);
    expect(requests).toEqual([url]);
    await page.close();
  }, 120_000);
});
