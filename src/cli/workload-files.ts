// Reading AIWorkloads from files for the offline and dry-run commands (render, diff), and the
// flags that name those files.
import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';
import { KIND } from '../api/constants.js';
import { validateManifest } from '../api/manifest.js';
import { formatProblems } from '../api/validate.js';
import { defaultPlatform, type CompileFacts, type PeerWorkload, type PlatformConfig } from '../compile/facts.js';
import { helpFlag, parseFlagTable, type Flag, type FlagTable, type Stop } from './flag-table.js';
import { namespaceOption, platformFlags } from './platform-flags.js';

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

/** One document as a validated AIWorkload, or the line that says what is wrong with it. */
function toWorkload(raw: unknown, where: string, defaultNamespace: string): LoadedWorkload | string {
  const checked = validateManifest(raw);
  if (!checked.ok) {
    const doc = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (doc?.kind !== KIND) return `${where}: ${formatProblems(checked.problems)}`;
    const namespace = typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : defaultNamespace;
    const name = typeof doc.metadata?.name === 'string' ? ` ${namespace}/${doc.metadata.name}` : '';
    return `${where}: AIWorkload${name} is invalid: ${formatProblems(checked.problems)}`;
  }
  const metadata = (raw as { metadata: { uid?: unknown } }).metadata;
  return {
    namespace: checked.namespace ?? defaultNamespace,
    name: checked.name,
    spec: checked.spec,
    raw: raw as Record<string, unknown>,
    ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
  };
}

async function readDocuments(file: string): Promise<unknown[] | string> {
  try {
    return loadAll(await readInput(file));
  } catch (err) {
    return `${file}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Loads and validates every AIWorkload in `files` (`-` is standard input). */
export async function loadWorkloadFiles(files: readonly string[], defaultNamespace: string): Promise<LoadResult> {
  const result: LoadResult = { workloads: [], errors: [] };
  for (const file of files) {
    const docs = await readDocuments(file);
    if (typeof docs === 'string') {
      result.errors.push(docs);
      continue;
    }
    // As kubectl apply: a file with nothing in it (or only comments and "---") is an error.
    if (docs.every((d) => d === null || d === undefined)) result.errors.push(`${file === '-' ? 'standard input' : file}: no AIWorkload in it (empty input)`);
    for (const [index, raw] of docs.entries()) {
      if (raw === null || raw === undefined) continue;
      const loaded = toWorkload(raw, `${file} (document ${index + 1})`, defaultNamespace);
      if (typeof loaded === 'string') result.errors.push(loaded);
      else result.workloads.push(loaded);
    }
  }
  return result;
}

export interface WorkloadFileArgs {
  files: string[];
  namespace: string;
  /** Where DNS and monitoring live, as the operator is configured (the platform flags of run). */
  platform: PlatformConfig;
  /** The API server's endpoints, for render, which cannot look them up (--api-server). */
  kubeAPIServer?: CompileFacts['kubeAPIServer'];
}

/** The flags of parseWorkloadFileArgs, and a command's `extra` ones. */
export function workloadFileFlags(extra: readonly Flag<WorkloadFileArgs>[] = []): Flag<WorkloadFileArgs>[] {
  return [
    helpFlag,
    { names: ['-f', '--filename'], valueKind: 'file', set: (args, value) => { args.files.push(value); } },
    namespaceOption<WorkloadFileArgs>(),
    ...platformFlags<WorkloadFileArgs>(),
    ...extra,
  ];
}

/**
 * parseWorkloadFileArgs reads the flags render and diff share: -f FILE (repeatable, required),
 * -n NAMESPACE (default "default") and the platform flags of `run`, plus a command's `extra` flags.
 * `unknown` words the error for any other argument.
 */
export function parseWorkloadFileArgs(
  argv: readonly string[],
  unknown: FlagTable<WorkloadFileArgs>['other'],
  extra: readonly Flag<WorkloadFileArgs>[] = [],
): WorkloadFileArgs | Stop {
  const table: FlagTable<WorkloadFileArgs> = { flags: workloadFileFlags(extra), other: unknown };
  const args = parseFlagTable(argv, table, { files: [], namespace: 'default', platform: defaultPlatform() });
  if (typeof args === 'object' && args.files.length === 0) return '-f FILE is required';
  return args;
}
