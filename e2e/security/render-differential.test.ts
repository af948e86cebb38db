// Differential test of `bulkhead render` and the API server on whole documents: the same
// AIWorkload manifests (the samples, misspelt fields, names the API server refuses, empty input)
// go through the CLI as a user runs it (bin/bulkhead.js render -f -) and through the real API
// server as kubectl apply sends them (a create with fieldValidation=Strict, dry run), and both must
// accept or both refuse. differential.test.ts does the same for random specs against zod alone;
// this one covers what lies around the spec (metadata, unknown fields at any depth, empty input)
// and the CLI's own reading of files, and then, on random specs with a misspelt field put into a
// random object, that the walk over the CRD's schema names the same unknown field as the API server.
// What render prints for an accepted document is created (dry run, strict) object by object too. Checks only the controller makes (a Dataset with egress,
// overlapping selectors: validate.ts) are refused by render and accepted by the API server by
// design, so they are not among the cases; the operator reports them as Stalled.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '../../src/runtime/kubeconfig.js';
import { dump, load, loadAll } from 'js-yaml';
import fc from 'fast-check';
import { unknownFields } from '../../src/api/manifest.js';
import { buildCrd } from '../../src/api/crd.js';
import type { GeneratedObject } from '../../src/compile/objects.js';
import { RESOURCES, collectionPath } from '../../src/kube/resources.js';
import { ApiError, type RestClient, createRestClient } from '../../src/runtime/rest.js';
import { bulkhead } from '../harness/cli.js';
import { adminKubeconfig, deleteNamespace, freshNamespace } from '../harness/cluster.js';
import { operatorIdentity } from '../harness/operator-identity.js';
import { repoRoot } from '../harness/operator.js';
import { runs } from '../harness/seed.js';
import { specArbitrary } from './arbitrary.js';
import { SLOW } from './support.js';

const RUNS = runs(200);

/** The document's schema as the API server holds it: the CRD's, metadata left to ObjectMeta. */
function documentSchema(): Parameters<typeof unknownFields>[1] {
  const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: Parameters<typeof unknownFields>[1] } }[] } };
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema ?? {};
  return { properties: { ...root.properties, metadata: { 'x-kubernetes-preserve-unknown-fields': true } } };
}

type Doc = { apiVersion?: string; kind?: string; metadata: Record<string, unknown>; spec: Record<string, unknown> & { components: Record<string, unknown>[] }; [k: string]: unknown };

interface Case {
  name: string;
  /** The document, or the text of the file when it is not one document (empty input). */
  doc?: Doc;
  text?: string;
  /** Both refuse, and render's message names this. */
  refused?: string;
}

let ns = '';
let rest: RestClient;

const samples = (): Doc[] =>
  readdirSync(path.join(repoRoot(), 'samples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => load(readFileSync(path.join(repoRoot(), 'samples', f), 'utf8')) as Doc);

/** The fraud-detection sample changed by `edit`, in the test namespace. */
function fraud(edit: (d: Doc) => void): Doc {
  const d = JSON.parse(JSON.stringify(samples().find((s) => s.metadata['name'] === 'fraud-detect'))) as Doc;
  d.metadata['namespace'] = ns;
  edit(d);
  return d;
}

const component = (d: Doc, i: number): Record<string, unknown> => d.spec.components[i] as Record<string, unknown>;

function cases(): Case[] {
  return [
    ...samples().map((s) => ({ name: `sample ${String(s.metadata['name'])}`, doc: { ...s, metadata: { ...s.metadata, namespace: ns } } })),
    { name: 'a dotted name', doc: fraud((d) => (d.metadata['name'] = 'fraud.detect-v2')) },
    { name: 'a name of 253 characters', doc: fraud((d) => (d.metadata['name'] = 'a'.repeat(253))) },
    { name: 'labels and annotations', doc: fraud((d) => (d.metadata = { ...d.metadata, labels: { 'example.com/team': 'ml' }, annotations: { note: 'a b c' } })) },
    // Misspelt fields, at every depth.
    { name: 'prots: in a component', doc: fraud((d) => { const c = component(d, 1); c['prots'] = c['ports']; delete c['ports']; }), refused: 'spec.components[1].prots: unknown field "prots"' },
    { name: 'flow: for flows', doc: fraud((d) => { d.spec['flow'] = d.spec['flows']; delete d.spec['flows']; }), refused: 'spec.flow: unknown field "flow"' },
    { name: 'enforcment: in the spec', doc: fraud((d) => (d.spec['enforcment'] = 'Audit')), refused: 'spec.enforcment: unknown field' },
    { name: 'exept: in a peer', doc: fraud((d) => (d.spec['egress'] = [{ from: 'model', to: { cidr: '10.0.0.0/8', exept: ['10.1.0.0/16'] } }])), refused: 'spec.egress[0].to.exept: unknown field' },
    { name: 'valuess: in a selector requirement', doc: fraud((d) => (component(d, 0)['selector'] = { matchExpressions: [{ key: 'app', operator: 'Exists', valuess: [] }] })), refused: 'spec.components[0].selector.matchExpressions[0].valuess: unknown field' },
    { name: 'automountTokn: in an identity', doc: fraud((d) => (component(d, 0)['identity'] = { automountTokn: true })), refused: 'spec.components[0].identity.automountTokn: unknown field' },
    { name: 'nmae: in metadata', doc: fraud((d) => (d.metadata['nmae'] = 'x')), refused: 'metadata.nmae: unknown field' },
    { name: 'sepc: beside spec', doc: fraud((d) => (d['sepc'] = {})), refused: 'sepc: unknown field' },
    // Names.
    { name: 'an upper-case name', doc: fraud((d) => (d.metadata['name'] = 'Fraud_Detect')), refused: 'metadata.name: "Fraud_Detect" is not a DNS-1123 subdomain' },
    { name: 'a name starting with -', doc: fraud((d) => (d.metadata['name'] = '-fraud')), refused: 'metadata.name: "-fraud"' },
    { name: 'a name of 254 characters', doc: fraud((d) => (d.metadata['name'] = 'a'.repeat(254))), refused: 'metadata.name: "aaaa' },
    { name: 'a label value with a space', doc: fraud((d) => (d.metadata['labels'] = { team: 'machine learning' })), refused: 'metadata.labels["team"]: "machine learning" is not a label value' },
    { name: 'a label key with a space', doc: fraud((d) => (d.metadata['labels'] = { 'team name': 'ml' })), refused: 'metadata.labels["team name"]' },
    { name: 'an upper-case component name', doc: fraud((d) => (component(d, 0)['name'] = 'Gateway')), refused: 'spec.components[0].name' },
    // The spec's own rules, with the value named.
    { name: 'a flow to an unknown component', doc: fraud((d) => ((d.spec['flows'] as Record<string, unknown>[])[0] = { from: 'gateway', to: 'ghost' })), refused: 'spec.flows[0].to: "ghost" is not a component of this AIWorkload (components: gateway, model, features, transactions, training)' },
    { name: 'a port out of range', doc: fraud((d) => (component(d, 0)['ports'] = [{ name: 'http', port: 80800 }])), refused: 'spec.components[0].ports[0].port: Too big: expected number to be <=65535 (got 80800)' },
    // Empty input.
    { name: 'an empty file', text: '', refused: 'no AIWorkload in it (empty input)' },
    { name: 'a file of comments and separators', text: '# nothing here\n---\n---\n', refused: 'no AIWorkload in it (empty input)' },
  ];
}

/** The API server's verdict on the file, as kubectl apply sends it: a strict create per document. */
async function server(c: Case): Promise<{ ok: boolean; message: string }> {
  const given = c.doc?.metadata['namespace'];
  const namespace = typeof given === 'string' ? given : ns;
  try {
    await rest.request('POST', `/apis/bulkhead.dev/v1alpha1/namespaces/${encodeURIComponent(namespace)}/aiworkloads`, {
      query: { dryRun: 'All', fieldValidation: 'Strict' },
      // An empty file is an empty body.
      body: c.doc ?? '',
    });
    return { ok: true, message: '' };
  } catch (err) {
    // 400: strict decoding or an empty body; 422: validation.
    if (err instanceof ApiError && (err.status === 400 || err.status === 422)) return { ok: false, message: err.message };
    throw err;
  }
}

/** The paths of the objects in `value` whose keys are fields (not maps such as matchLabels), as [path, object]. */
function fieldObjects(value: unknown, path: string, parentKey = ''): [string, Record<string, unknown>][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => fieldObjects(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null || MAPS.has(parentKey)) return [];
  const o = value as Record<string, unknown>;
  return [[path, o], ...Object.entries(o).flatMap(([k, v]) => fieldObjects(v, `${path}.${k}`, k))];
}
const MAPS = new Set(['matchLabels', 'annotations']);

/** A strict dry-run create of a generated object: 'accepted', or the API server's message. */
async function createDryRun(o: GeneratedObject): Promise<string> {
  try {
    await rest.request('POST', collectionPath(RESOURCES[o.kind], o.metadata.namespace), { query: { dryRun: 'All', fieldValidation: 'Strict' }, body: o });
    return 'accepted';
  } catch (err) {
    if (err instanceof ApiError) return err.message;
    throw err;
  }
}

describe('bulkhead render and the API server accept and refuse the same documents', () => {
  const tally = { accepted: 0, refused: 0 };

  beforeAll(async () => {
    await operatorIdentity(); // installs the CRD
    ns = await freshNamespace('render-diff');
    const kc = new KubeConfig();
    kc.loadFromFile(adminKubeconfig());
    rest = createRestClient(kc);
  }, SLOW);

  afterAll(async () => {
    if (ns !== '') await deleteNamespace(ns);
    process.stderr.write(`[render-differential] ${tally.accepted} accepted, ${tally.refused} refused by both\n`);
  }, SLOW);

  it('on the samples, misspelt fields, bad names and empty input', async () => {
    const all = cases();
    for (const c of all) {
      const rendered = await bulkhead(['render', '-f', '-'], { input: c.text ?? dump(c.doc) });
      const api = await server(c);
      const verdicts = { render: rendered.code === 0, api: api.ok };
      // One line per case, so that a disagreement names the document and both messages.
      expect({ case: c.name, ...verdicts, why: verdicts.render === verdicts.api ? '' : `render: ${rendered.stderr.trim()} | API server: ${api.message}` })
        .toEqual({ case: c.name, render: c.refused === undefined, api: c.refused === undefined, why: '' });
      if (c.refused === undefined) {
        tally.accepted++;
        expect(rendered.stdout).toContain('kind: NetworkPolicy');
        // What render prints for an accepted document is accepted too (names capped, labels valid).
        for (const o of loadAll(rendered.stdout) as GeneratedObject[]) {
          const verdict = await createDryRun(o);
          expect([c.name, o.kind, o.metadata.name, verdict]).toEqual([c.name, o.kind, o.metadata.name, 'accepted']);
        }
      } else {
        tally.refused++;
        expect([c.name, rendered.code, rendered.stderr]).toEqual([c.name, 2, expect.stringContaining(c.refused)]);
      }
    }
    expect(tally).toEqual({ accepted: 10, refused: all.length - 10 });
  }, 240_000);

  it(`finds the unknown fields the API server finds, on ${RUNS} random specs with a misspelt field anywhere`, async () => {
    const seen = { clean: 0, accepted: 0, injected: 0 };
    await fc.assert(
      fc.asyncProperty(specArbitrary, fc.nat(), fc.constantFrom('prots', 'flow', 'selecter', 'zz'), async (generated, at, key) => {
        // A copy: fast-check replays the values it generated while shrinking, and the key goes in in place.
        const spec = JSON.parse(JSON.stringify(generated)) as Record<string, unknown>;
        const doc = { apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: `u${seen.clean + seen.injected}`, namespace: ns }, spec: spec as Doc['spec'] };
        // As it is: every field the API server takes, the walk knows.
        const clean = await server({ name: 'random', doc });
        if (clean.ok) {
          expect(unknownFields(doc, documentSchema())).toEqual([]);
          seen.accepted++;
        }
        seen.clean++;
        // With one unknown key in one object at any depth: both name it at the same path.
        const objects = fieldObjects(spec, 'spec');
        const [path, target] = objects[at % objects.length] as [string, Record<string, unknown>];
        target[key] = 'x';
        const api = await server({ name: 'random', doc });
        expect([path, key, api.ok, api.message]).toEqual([path, key, false, expect.stringContaining(`unknown field "${path}.${key}"`)]);
        expect(unknownFields(doc, documentSchema()).map((p) => p.field)).toEqual([`${path}.${key}`]);
        seen.injected++;
      }),
      { numRuns: RUNS }, // seed: e2e/harness/seed.ts
    );
    process.stderr.write(`[render-differential] ${seen.accepted} random specs the API server takes, no unknown field found in them; ${seen.injected} with a misspelt field, the same path from both\n`);
    expect(seen.accepted).toBeGreaterThan(RUNS / 10);
  }, 600_000);
});
