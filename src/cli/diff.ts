// `bulkhead diff -f FILE`: what applying an AIWorkload would change in the live cluster, computed
// by the API server itself (server-side dry run of the AIWorkload through the CRD's validation, and
// of every generated object through server-side apply). Exit code as `kubectl diff`: 0 no change,
// 1 changes, 2 or more an error.
import { KubeConfig } from '../runtime/kubeconfig.js';
import { dump } from 'js-yaml';
import { FIELD_MANAGER, LABEL_WORKLOAD } from '../api/constants.js';
import { compile } from '../compile/compile.js';
import type { CompileFacts } from '../compile/facts.js';
import { labelValue } from '../compile/names.js';
import { GENERATED_KINDS, type GeneratedObject } from '../compile/objects.js';
import { type RestClient, createRestClient, isNotFound } from '../runtime/rest.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';
import { HELP, type CommandCompletion, unknownPairFlag } from './flag-table.js';
import { lineDiff, withContext } from './line-diff.js';
import { liveCompileFacts } from './live-compile.js';
import type { CliIO } from './main.js';
import { PLATFORM_USAGE } from './platform-flags.js';
import { loadWorkloadFiles, parseWorkloadFileArgs, workloadFileFlags, type LoadedWorkload } from './workload-files.js';

const USAGE = `Usage: bulkhead diff -f FILE [-f FILE...] [-n NAMESPACE] [platform flags]\n  Server-side dry run against the current kubeconfig; exit 0 no change, 1 changes, 2 error.\n  Pass the platform flags the operator runs with:\n${PLATFORM_USAGE}`;
const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';

type Obj = { kind?: string; metadata?: Record<string, unknown> & { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> }; [k: string]: unknown };

/** The object without what the server maintains, so that only meaningful changes show. */
function normalize(o: Obj | undefined): string {
  if (o === undefined) return '';
  const { managedFields: _m, resourceVersion: _r, uid: _u, creationTimestamp: _c, generation: _g, annotations, ...metadata } = o.metadata ?? {};
  // kubectl's client-side bookkeeping is not part of the object's meaning.
  const { 'kubectl.kubernetes.io/last-applied-configuration': _l, ...rest } = (annotations ?? {}) as Record<string, string>;
  if (Object.keys(rest).length > 0) metadata['annotations'] = rest;
  return dump({ ...o, metadata }, { lineWidth: -1, sortKeys: true });
}

async function getOrUndefined(rest: RestClient, path: string): Promise<Obj | undefined> {
  try {
    return await rest.request<Obj>('GET', path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Prints each non-empty diff as soon as it is known, and remembers whether there was one. */
class DiffPrinter {
  changed = false;

  constructor(private readonly io: CliIO) {}

  show(title: string, lines: string[]): void {
    if (lines.length === 0) return;
    this.changed = true;
    this.io.stdout(`--- ${title}\n${withContext(lines).join('\n')}\n`);
  }
}

/**
 * The API server validates the AIWorkload through the CRD (schema and CEL rules). The file is the
 * whole intent (as GitOps syncs it): a dry-run create, or a dry-run replace of the live object, not
 * a merge with fields other managers set. Returns the uid the generated objects are owned by.
 */
async function diffAIWorkload(rest: RestClient, w: LoadedWorkload, out: DiffPrinter): Promise<string | undefined> {
  const self = objectPath(RESOURCES.AIWorkload, w.namespace, w.name);
  const current = await getOrUndefined(rest, self);
  const resourceVersion = current?.metadata?.['resourceVersion'];
  const metadata = { ...(w.raw['metadata'] as object), namespace: w.namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) };
  const body = { ...w.raw, metadata };
  const dry =
    current === undefined
      ? await rest.request<Obj>('POST', collectionPath(RESOURCES.AIWorkload, w.namespace), { query: { dryRun: 'All' }, body })
      : await rest.request<Obj>('PUT', self, { query: { dryRun: 'All' }, body });
  const strip = (o: Obj | undefined): string => (o === undefined ? '' : normalize({ ...o, status: undefined }));
  out.show(`AIWorkload ${w.namespace}/${w.name}`, lineDiff(strip(current), strip(dry)));
  return current?.metadata?.uid ?? dry.metadata?.uid;
}

async function diffGenerated(rest: RestClient, obj: GeneratedObject, out: DiffPrinter): Promise<void> {
  const path = objectPath(RESOURCES[obj.kind], obj.metadata.namespace, obj.metadata.name);
  const before = await getOrUndefined(rest, path);
  const after = await rest.request<Obj>('PATCH', path, { query: { dryRun: 'All', fieldManager: FIELD_MANAGER, force: true }, body: obj, contentType: APPLY_CONTENT_TYPE });
  out.show(`${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}${before === undefined ? ' (new)' : ''}`, lineDiff(normalize(before), normalize(after)));
}

/** Objects labelled as the workload's that it no longer generates: the controller would prune them. */
async function diffPruned(rest: RestClient, w: LoadedWorkload, objects: readonly GeneratedObject[], out: DiffPrinter): Promise<void> {
  const desired = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const kind of GENERATED_KINDS) {
    const list = await rest.request<{ items: Obj[] }>('GET', collectionPath(RESOURCES[kind], w.namespace), { query: { labelSelector: `${LABEL_WORKLOAD}=${labelValue(w.name)}` } });
    for (const o of list.items) {
      if (!desired.has(`${kind}/${o.metadata?.name ?? ''}`)) out.show(`${kind} ${w.namespace}/${o.metadata?.name ?? ''} (pruned)`, lineDiff(normalize({ ...o, kind }), ''));
    }
  }
}

async function diffWorkload(rest: RestClient, w: LoadedWorkload, facts: CompileFacts, out: DiffPrinter, io: CliIO): Promise<void> {
  const uid = await diffAIWorkload(rest, w, out);
  const result = compile({ ...w, uid }, facts);
  for (const obj of result.objects) await diffGenerated(rest, obj, out);
  await diffPruned(rest, w, result.objects, out);
  for (const c of result.components) {
    for (const p of [...c.unresolvedPeers, ...c.consentPending]) io.stderr(`note: ${w.namespace}/${w.name} component ${c.name}: no rule for ${p.peer}: ${p.message}\n`);
  }
}

export async function runDiff(argv: string[], io: CliIO): Promise<number> {
  const args = parseWorkloadFileArgs(argv, unknownPairFlag);
  if (args === HELP) return (io.stdout(USAGE), 0);
  if (typeof args === 'string') return (io.stderr(`bulkhead diff: ${args}\n${USAGE}`), 2);
  const { workloads, errors } = await loadWorkloadFiles(args.files, args.namespace);
  for (const e of errors) io.stderr(`bulkhead diff: ${e}\n`);
  if (errors.length > 0) return 2;

  const out = new DiffPrinter(io);
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const rest = createRestClient(kc);
    // Peers resolve against the live AIWorkloads, with the files' versions taking precedence.
    const notes: string[] = [];
    const facts = await liveCompileFacts(rest, args.platform, workloads, notes);
    for (const n of notes) io.stderr(`note: ${n}\n`);
    for (const w of workloads) await diffWorkload(rest, w, facts, out, io);
  } catch (err) {
    // A refusal or a connection error: what was printed so far is not the whole difference.
    io.stderr(`bulkhead diff: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  return out.changed ? 1 : 0;
}

/** For `bulkhead completion`. */
export const DIFF_COMPLETION: CommandCompletion = { flags: workloadFileFlags() };
