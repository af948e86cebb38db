// `bulkhead render -f FILE`: everything an AIWorkload generates, offline and deterministic, for GitOps
// review and CI diffs. AIWorkloads in the same file resolve each other as workload peers.
import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import { API_VERSION, KIND } from '../api/constants.js';
import { formatProblems, validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM, type PeerWorkload } from '../compile/facts.js';
import type { GeneratedObject } from '../compile/objects.js';
import { toYamlStream } from '../compile/render.js';
import type { CliIO } from './main.js';

const USAGE = 'Usage: bulkhead render -f FILE [-f FILE...] [-n NAMESPACE]\n  FILE may be - for standard input.\n';

interface Args {
  files: string[];
  namespace: string;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { files: [], namespace: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '-f' || flag === '--filename' || flag === '-n' || flag === '--namespace') {
      if (value === undefined) return `${flag} needs a value`;
      if (flag === '-f' || flag === '--filename') args.files.push(value);
      else args.namespace = value;
      i++;
    } else if (flag === '-h' || flag === '--help') return '';
    else return `unknown flag ${String(flag)}`;
  }
  if (args.files.length === 0) return '-f FILE is required';
  return args;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; uid?: unknown }; spec?: unknown };

export async function runRender(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    if (args !== '') io.stderr(`bulkhead render: ${args}\n`);
    io.stderr(USAGE);
    return args === '' ? 0 : 2;
  }
  const workloads: PeerWorkload[] = [];
  const uids = new Map<string, string>();
  let failed = false;
  for (const file of args.files) {
    let docs: unknown[];
    try {
      docs = loadAll(await readInput(file));
    } catch (err) {
      io.stderr(`bulkhead render: ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    for (const [index, raw] of docs.entries()) {
      if (raw === null || raw === undefined) continue;
      const doc = raw as Doc;
      const where = `${file} (document ${index + 1})`;
      if (doc.kind !== KIND || doc.apiVersion !== API_VERSION) {
        io.stderr(`bulkhead render: ${where}: apiVersion/kind must be ${API_VERSION} ${KIND} (got ${String(doc.apiVersion)} ${String(doc.kind)})\n`);
        failed = true;
        continue;
      }
      const name = doc.metadata?.name;
      if (typeof name !== 'string' || name === '') {
        io.stderr(`bulkhead render: ${where}: metadata.name: required\n`);
        failed = true;
        continue;
      }
      const namespace = typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : args.namespace;
      const result = validateSpec(doc.spec);
      if (!result.ok) {
        io.stderr(`bulkhead render: ${where}: AIWorkload ${namespace}/${name} is invalid: ${formatProblems(result.problems)}\n`);
        failed = true;
        continue;
      }
      if (typeof doc.metadata?.uid === 'string') uids.set(`${namespace}/${name}`, doc.metadata.uid);
      workloads.push({ namespace, name, spec: result.spec });
    }
  }
  if (failed) return 1;
  const facts = { platform: DEFAULT_PLATFORM, workloads: new Map(workloads.map((w) => [`${w.namespace}/${w.name}`, w])) };
  const objects: GeneratedObject[] = [];
  for (const w of workloads) {
    const result = compile({ ...w, uid: uids.get(`${w.namespace}/${w.name}`) }, facts);
    objects.push(...result.objects);
    for (const c of result.components) {
      for (const p of [...c.unresolvedPeers, ...c.consentPending]) {
        io.stderr(`note: ${w.namespace}/${w.name} component ${c.name}: no rule for ${p.peer}: ${p.message}\n`);
      }
    }
  }
  io.stdout(toYamlStream(objects));
  return 0;
}
