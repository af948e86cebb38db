// Reading AIWorkloads from files for the offline and dry-run commands (render, diff), and the
// flags that name those files.
import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import { API_VERSION, KIND } from '../api/constants.js';
import { formatProblems, validateSpec } from '../api/validate.js';
import type { PeerWorkload } from '../compile/facts.js';
import { helpFlag, parseFlagTable, type FlagTable, type Stop } from './flag-table.js';

export interface LoadedWorkload extends PeerWorkload {
  uid?: string;
  /** The document as written, for a server-side dry run. */
  raw: Record<string, unknown>;
}

export interface LoadResult {
  workloads: LoadedWorkload[];
  /** One line per problem: the file, the document, the field and what would be valid. */
  errors: string[];
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; uid?: unknown }; spec?: unknown };

/** Loads and validates every AIWorkload in `files` (`-` is standard input). */
export async function loadWorkloadFiles(files: readonly string[], defaultNamespace: string): Promise<LoadResult> {
  const result: LoadResult = { workloads: [], errors: [] };
  for (const file of files) {
    let docs: unknown[];
    try {
      docs = loadAll(await readInput(file));
    } catch (err) {
      result.errors.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const [index, raw] of docs.entries()) {
      if (raw === null || raw === undefined) continue;
      const doc = raw as Doc;
      const where = `${file} (document ${index + 1})`;
      if (doc.kind !== KIND || doc.apiVersion !== API_VERSION) {
        result.errors.push(`${where}: apiVersion/kind must be ${API_VERSION} ${KIND} (got ${String(doc.apiVersion)} ${String(doc.kind)})`);
        continue;
      }
      const name = doc.metadata?.name;
      if (typeof name !== 'string' || name === '') {
        result.errors.push(`${where}: metadata.name: required`);
        continue;
      }
      const namespace = typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : defaultNamespace;
      const validated = validateSpec(doc.spec);
      if (!validated.ok) {
        result.errors.push(`${where}: AIWorkload ${namespace}/${name} is invalid: ${formatProblems(validated.problems)}`);
        continue;
      }
      result.workloads.push({
        namespace,
        name,
        spec: validated.spec,
        raw: raw as Record<string, unknown>,
        ...(typeof doc.metadata?.uid === 'string' ? { uid: doc.metadata.uid } : {}),
      });
    }
  }
  return result;
}

export interface WorkloadFileArgs {
  files: string[];
  namespace: string;
}

/**
 * parseWorkloadFileArgs reads the flags render and diff share: -f FILE (repeatable, required) and
 * -n NAMESPACE (default "default"). `unknown` words the error for any other argument.
 */
export function parseWorkloadFileArgs(argv: readonly string[], unknown: FlagTable<WorkloadFileArgs>['other']): WorkloadFileArgs | Stop {
  const table: FlagTable<WorkloadFileArgs> = {
    flags: [
      helpFlag,
      { names: ['-f', '--filename'], set: (args, value) => { args.files.push(value); } },
      { names: ['-n', '--namespace'], set: (args, value) => { args.namespace = value; } },
    ],
    other: unknown,
  };
  const args = parseFlagTable(argv, table, { files: [], namespace: 'default' });
  if (typeof args === 'object' && args.files.length === 0) return '-f FILE is required';
  return args;
}
