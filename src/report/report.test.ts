import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { load } from 'js-yaml';
import { ConnSet } from '../analysis/connections.js';
import type { ExposureFinding } from '../analysis/exposure.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import { type CompileFacts, DEFAULT_PLATFORM, type PeerWorkload } from '../compile/facts.js';
import { controlsAsSpaces, dotString, htmlText, mermaidText } from './escape.js';
import { buildSegmentMap, type MapInput, type MappedWorkload, reportHtml, type SegmentMap, toDot, toMermaid } from './index.js';
import { MAX_EXPOSERS, safeId } from './model.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function sample(file: string): PeerWorkload {
  const doc = load(readFileSync(path.join(repo, 'samples', file), 'utf8')) as { metadata: { name: string; namespace: string }; spec: unknown };
  const v = validateSpec(doc.spec);
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return { namespace: doc.metadata.namespace, name: doc.metadata.name, spec: v.spec };
}

const facts = (workloads: readonly PeerWorkload[]): CompileFacts => ({ platform: DEFAULT_PLATFORM, workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.name}`, w])) });

const plain = (w: PeerWorkload, extra: Partial<MappedWorkload> = {}): MappedWorkload => ({ ...w, exposures: [], overlaps: [], conditions: [], ...extra });

const input = (workloads: MappedWorkload[], peers: readonly PeerWorkload[] = workloads.flatMap((w) => (w.spec === undefined ? [] : [{ namespace: w.namespace, name: w.name, spec: w.spec }]))): MapInput => ({
  title: 'map',
  source: 'test',
  mode: 'files',
  workloads,
  facts: facts(peers),
});

const peer = (id: string, kind = 'Pod'): ExposureFinding['source'] => ({ id, kind, namespace: id.split('/')[0] ?? '', name: id });

function ingressFinding(from: string, pod: string, policies = ['ml-prod/allow-all']): ExposureFinding {
  return { direction: 'Ingress', source: peer(from), target: peer(pod), excess: ConnSet.all(), policies, unisolated: false };
}

const edgesOf = (map: SegmentMap, kind: string): string[] => map.edges.filter((e) => e.kind === kind).map((e) => `${e.from} -> ${e.to}`);

describe('buildSegmentMap', () => {
  const fraud = sample('fraud-detection.yaml');

  test('draws every component of a sample as a node and every flow, ingress and egress as an edge', () => {
    const map = buildSegmentMap(input([plain(fraud)]));
    const components = map.nodes.filter((n) => n.kind === 'component');
    expect(components.map((n) => n.key)).toEqual(['ml-prod/fraud-detect/features', 'ml-prod/fraud-detect/gateway', 'ml-prod/fraud-detect/model', 'ml-prod/fraud-detect/training', 'ml-prod/fraud-detect/transactions']);
    expect(components.every((n) => n.workload === 'ml-prod/fraud-detect')).toBe(true);
    expect(edgesOf(map, 'flow')).toEqual([
      'ml-prod/fraud-detect/gateway -> ml-prod/fraud-detect/model',
      'ml-prod/fraud-detect/model -> ml-prod/fraud-detect/features',
      'ml-prod/fraud-detect/training -> ml-prod/fraud-detect/training', // Training pods talk to each other
      'ml-prod/fraud-detect/training -> ml-prod/fraud-detect/transactions',
    ]);
    expect(edgesOf(map, 'ingress')).toEqual([
      'namespace ingress-nginx pods {app.kubernetes.io/name=ingress-nginx} -> ml-prod/fraud-detect/gateway',
      'platform Monitoring -> ml-prod/fraud-detect/model',
    ]);
    expect(edgesOf(map, 'egress')).toEqual(['ml-prod/fraud-detect/training -> cidr 0.0.0.0/0 except 10.0.0.0/8', 'ml-prod/fraud-detect/training -> cidr ::/0']);
    expect(edgesOf(map, 'dns')).toHaveLength(5);
    const label = (from: string, to: string): string | undefined => map.edges.find((e) => e.from.endsWith(from) && e.to.endsWith(to))?.label;
    expect(label('/gateway', '/model')).toBe('grpc 9000/TCP');
    expect(label('/training', 'except 10.0.0.0/8')).toBe('443/TCP');
    expect(map.nodes.some((n) => n.highlights.length > 0)).toBe(false);
  });

  test('an exposure is an edge from the exposing peer, the component is highlighted, and many peers are cut to a count', () => {
    const intruders = Array.from({ length: MAX_EXPOSERS + 3 }, (_, i) => `ml-prod/intruder-${String(i).padStart(2, '0')}[Pod]`);
    const findings = intruders.map((i) => ingressFinding(i, 'ml-prod/model-0[Pod]'));
    const map = buildSegmentMap(input([plain(fraud, { exposures: [{ component: 'model', findings }] })]));
    const exposures = map.edges.filter((e) => e.kind === 'exposure');
    expect(exposures).toHaveLength(MAX_EXPOSERS + 1);
    expect(exposures.map((e) => e.to)).toEqual(Array(MAX_EXPOSERS + 1).fill('ml-prod/fraud-detect/model'));
    expect(exposures.find((e) => e.from === 'ml-prod/intruder-00[Pod]')?.detail).toBe('exposed: ml-prod/intruder-00[Pod] can reach ml-prod/model-0[Pod] via ml-prod/allow-all');
    expect(map.nodes.find((n) => n.key === 'ml-prod/fraud-detect/model ml-prod/fraud-detect/model Ingress 3 more')).toBeUndefined();
    expect(map.nodes.find((n) => n.key.endsWith('Ingress 3 more'))?.label[0]).toBe('3 more peers');
    expect(map.nodes.find((n) => n.key === 'ml-prod/fraud-detect/model')?.highlights).toEqual(['exposed']);
    expect(map.nodes.find((n) => n.key === 'ml-prod/intruder-00[Pod]')?.kind).toBe('exposer');
  });

  test('an egress exposure goes from the component to the destination', () => {
    const out: ExposureFinding = { direction: 'Egress', source: peer('ml-prod/data-0[Pod]'), target: peer('0.0.0.0-255.255.255.255[External]', 'External'), excess: ConnSet.all(), policies: ['ml-prod/open'], unisolated: false };
    const map = buildSegmentMap(input([plain(fraud, { exposures: [{ component: 'transactions', findings: [out] }] })]));
    expect(edgesOf(map, 'exposure')).toEqual(['ml-prod/fraud-detect/transactions -> 0.0.0.0-255.255.255.255[External]']);
  });

  test('an overlap joins the two segments that share a pod', () => {
    const map = buildSegmentMap(input([plain(fraud, { overlaps: [{ pod: 'm-0', segments: [{ workload: 'fraud-detect', component: 'model' }, { workload: 'other', component: 'x' }] }] })]));
    expect(map.edges.filter((e) => e.kind === 'overlap').map((e) => [e.from, e.to, e.label])).toEqual([['ml-prod/fraud-detect/model', 'ml-prod/other/x', 'shares pod m-0']]);
    expect(map.nodes.find((n) => n.key === 'ml-prod/fraud-detect/model')?.highlights).toEqual(['overlap']);
    expect(map.nodes.find((n) => n.key === 'ml-prod/other/x')?.kind).toBe('peer');
  });

  test('a cross-namespace flow is pending until the other side consents, then drawn once as a flow', () => {
    const rag = sample('rag-vector-db.yaml');
    const llm = sample('llm-serving-vllm.yaml');
    const alone = buildSegmentMap(input([plain(rag)], [rag]));
    const pending = alone.edges.find((e) => e.to === 'llm-serving/llm/router');
    expect(pending).toMatchObject({ from: 'rag-prod/rag/api', kind: 'unresolved' });
    const withoutConsent: PeerWorkload = { ...llm, spec: { ...llm.spec, ingress: (llm.spec.ingress ?? []).filter((r) => r.from.workload === undefined) } };
    const unconsented = buildSegmentMap(input([plain(rag)], [rag, withoutConsent]));
    expect(unconsented.edges.find((e) => e.to === 'llm-serving/llm/router')).toMatchObject({ kind: 'pending', detail: expect.stringContaining('has not declared ingress from rag-prod/rag/api') as string });
    expect(unconsented.nodes.find((n) => n.key === 'rag-prod/rag/api')?.highlights).toEqual(['pending']);
    const both = buildSegmentMap(input([plain(rag), plain(llm)]));
    expect(both.edges.filter((e) => e.from === 'rag-prod/rag/api' && e.to === 'llm-serving/llm/router').map((e) => e.kind)).toEqual(['flow']);
    expect(both.nodes.find((n) => n.key === 'llm-serving/llm/router')?.kind).toBe('component');
  });

  test('an invalid workload gets its panel and no nodes', () => {
    const map = buildSegmentMap(input([{ namespace: 'x', name: 'bad', exposures: [], overlaps: [], conditions: [{ type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: 'no' }] }]));
    expect(map.nodes).toEqual([]);
    expect(map.workloads).toEqual([{ key: 'x/bad', id: safeId('workload', 'x/bad'), components: 0, conditions: [{ type: 'Stalled', status: 'True', reason: 'InvalidSpec', message: 'no' }] }]);
  });

  test('the same input in another order gives the same DOT, Mermaid and HTML', async () => {
    const rag = plain(sample('rag-vector-db.yaml'), { exposures: [{ component: 'api', findings: [ingressFinding('rag-prod/intruder[Pod]', 'rag-prod/api-0[Pod]')] }] });
    const others = [plain(fraud), plain(sample('llm-serving-vllm.yaml')), rag];
    const a = buildSegmentMap(input(others));
    const b = buildSegmentMap(input([...others].reverse()));
    expect(toDot(b)).toBe(toDot(a));
    expect(toMermaid(b)).toBe(toMermaid(a));
    expect(await reportHtml(b)).toBe(await reportHtml(a));
  });
});

describe('escaping', () => {
  test('dotString, mermaidText and htmlText', () => {
    expect(dotString('a"b\\c\nd&e')).toBe('"a\\"b\\\\c d&amp;e"');
    expect(mermaidText('a"b<c>|`#;')).toBe('a#34;b#60;c#62;#124;#96;#35;#59;');
    expect(mermaidText('ns/pod[Pod] {app=x}')).toBe('ns/pod[Pod] {app=x}');
    expect(htmlText(`<a href="x" title='y'>&`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;');
  });

  // Names that try to end a quote, open a tag, end a statement or a Markdown fence in each language.
  const HOSTILE = [
    '"><script>alert(1)</script>',
    "x'/><img src=x onerror=alert(2)>",
    'a" -> "b"; "c',
    'n0]; click n0 "javascript:alert(3)"',
    '```\n</svg><iframe src=//evil.example>',
    'back\\slash\\" \\N &lt;b&gt;',
  ];

  function hostileMap(): SegmentMap {
    const spec = { components: HOSTILE.map((name) => ({ name, role: 'Generic', selector: { matchLabels: { app: 'x' } } })), flows: [{ from: HOSTILE[0], to: HOSTILE[1], ports: undefined }], allowDNS: false } as unknown as AIWorkloadSpec;
    const w: MappedWorkload = {
      namespace: 'ns',
      name: 'w',
      spec,
      exposures: [{ component: HOSTILE[2] ?? '', findings: HOSTILE.map((h) => ingressFinding(`ns/${h}[Pod]`, `ns/${h}-0[Pod]`, [`ns/${h}`])) }],
      overlaps: [],
      conditions: HOSTILE.map((h) => ({ type: h, status: 'True', reason: h, message: `${h}; ${h}` })),
    };
    return buildSegmentMap({ ...input([w], []), title: HOSTILE[0] ?? '' });
  }

  test('DOT: Graphviz reads exactly the nodes and edges of the map, named as they are', async () => {
    const map = hostileMap();
    const graphviz = await Graphviz.load();
    const json = JSON.parse(graphviz.dot(toDot(map), 'json')) as { objects?: { name: string; id?: string; class?: string; label?: string }[]; edges?: { tail: number; head: number; id?: string }[] };
    const nodes = (json.objects ?? []).filter((o) => !o.name.startsWith('cluster '));
    // &amp; is how the writer spells &, which Graphviz reads back as the character; in a name a
    // backslash stays doubled and a control character is a space (DOT names have no escapes but \").
    const decode = (s: string): string => s.replace(/&amp;/g, '&');
    const written = (key: string): string => controlsAsSpaces(key).replace(/\\/g, '\\\\');
    expect(nodes.map((n) => decode(n.name)).sort()).toEqual(map.nodes.map((n) => written(n.key)).sort());
    expect(nodes.map((n) => n.id).sort()).toEqual(map.nodes.map((n) => n.id).sort());
    expect((json.edges ?? []).map((e) => e.id).sort()).toEqual(map.edges.map((e) => e.id).sort());
    expect(map.nodes.every((n) => /^node-[a-z0-9-]+$/.test(n.id))).toBe(true);
  });

  test('Mermaid: one statement per line, quoted labels with nothing but plain characters and entity codes', () => {
    const map = hostileMap();
    const text = toMermaid(map);
    const label = String.raw`"(?:[A-Za-z0-9 .,:/_=+()\[\]{}-]|#\d+;|<br/>)*"`;
    const statement = new RegExp(
      [
        '^flowchart LR$',
        String.raw`^  subgraph w\d+\[${label}\]$`,
        '^  end$',
        String.raw`^ {2,4}n\d+\[${label}\]$`,
        String.raw`^  n\d+ (-->|==>|-\.->|-\.-)\|${label}\| n\d+$`,
        '^  classDef [a-z]+ [a-z0-9:#,.-]+$',
        String.raw`^  class (n\d+,)*n\d+ [a-z]+$`,
        String.raw`^  linkStyle \d+ [a-z0-9:#,.-]+$`,
      ].join('|'),
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => !statement.test(l))).toEqual([]);
    expect(lines.filter((l) => / n\d+\[/.test(l) || /^ {2,4}n\d+\[/.test(l))).toHaveLength(map.nodes.length);
    // Decoded, each label is the text it was made from.
    const decode = (s: string): string => s.replace(/#(\d+);/g, (_, c: string) => String.fromCodePoint(Number(c)));
    const first = map.nodes.find((n) => n.key === `ns/w/${HOSTILE[3] ?? ''}`);
    expect(text).toContain(`["${mermaidText(first?.label[0] ?? '')}<br/>`);
    expect(decode(mermaidText(HOSTILE[4] ?? ''))).toBe(HOSTILE[4]);
  });

  test('HTML: no name or label adds an element, an attribute or a script to the page', async () => {
    const html = await reportHtml(hostileMap());
    // Every `<` that is not text must open (or close) a tag whose attributes are all name="value":
    // an injected tag or attribute would break that shape or add a name of its own.
    const tag = /<\/?([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z:_-]+="[^"<]*")*)\s*\/?>/g;
    const tags = [...html.replace(/^<!DOCTYPE html>/, '').matchAll(tag)];
    const rest = html.replace(/^<!DOCTYPE html>/, '').replace(tag, '');
    expect(rest).not.toContain('<');
    const allowed = ['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'p', 'div', 'section', 'aside', 'ul', 'li', 'span', 'footer', 'svg', 'g', 'polygon', 'path', 'text', 'a', 'ellipse', 'polyline'];
    expect([...new Set(tags.map((m) => (m[1] ?? '').toLowerCase()))].filter((t) => !allowed.includes(t))).toEqual([]);
    const attributes = new Set(tags.flatMap((m) => [...(m[2] ?? '').matchAll(/\s+([a-zA-Z:_-]+)="[^"<]*"/g)].map((a) => a[1] ?? '')));
    expect([...attributes].filter((a) => /^on|^(href|src|xlink:href|srcdoc|action)$/i.test(a))).toEqual([]);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';');
  });
});
