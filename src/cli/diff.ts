// `bulkhead diff -f FILE`: what applying an AIWorkload would change in the live cluster, computed
// by the API server itself (server-side dry run of the AIWorkload through the CRD's validation, and
// of every generated object through server-side apply). Exit code as `kubectl diff`: 0 no change,
// 1 changes, 2 or more an error.
import { KubeConfig } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { FIELD_MANAGER, LABEL_WORKLOAD } from '../api/constants.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM, type PeerWorkload } from '../compile/facts.js';
import { labelValue } from '../compile/names.js';
import type { GeneratedKind, GeneratedObject } from '../compile/objects.js';
import { type RestClient, createRestClient, isNotFound } from '../kube/rest.js';
import { RESOURCES, collectionPath, objectPath } from '../kube/resources.js';
import { HELP, unknownPairFlag } from './flag-table.js';
import { lineDiff, withContext } from './line-diff.js';
import type { CliIO } from './main.js';
import { loadWorkloadFiles, parseWorkloadFileArgs } from './workload-files.js';

const USAGE = 'Usage: bulkhead diff -f FILE [-f FILE...] [-n NAMESPACE]\n  Server-side dry run against the current kubeconfig; exit 0 no change, 1 changes, 2 error.\n';
const KINDS: readonly GeneratedKind[] = ['ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy'];
const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';

type Obj = { kind?: string; metadata?: Record<string, unknown> & { name?: string; uid?: string; labels?: Record<string, string> }; [k: string]: unknown };

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

export async function runDiff(argv: string[], io: CliIO): Promise<number> {
  const args = parseWorkloadFileArgs(argv, unknownPairFlag);
  if (args === HELP) return (io.stdout(USAGE), 0);
  if (typeof args === 'string') return (io.stderr(`bulkhead diff: ${args}\n${USAGE}`), 2);
  const { workloads, errors } = await loadWorkloadFiles(args.files, args.namespace);
  for (const e of errors) io.stderr(`bulkhead diff: ${e}\n`);
  if (errors.length > 0) return 2;

  const kc = new KubeConfig();
  kc.loadFromDefault();
  const rest = createRestClient(kc);

  // Peers resolve against the live AIWorkloads, with the files' versions taking precedence.
  const peers = new Map<string, PeerWorkload>();
  const live = await rest.request<{ items: Obj[] }>('GET', collectionPath(RESOURCES.AIWorkload));
  for (const w of live.items) {
    const v = validateSpec(w['spec']);
    const ns = String(w.metadata?.['namespace'] ?? '');
    if (v.ok && w.metadata?.name !== undefined) peers.set(`${ns}/${w.metadata.name}`, { namespace: ns, name: w.metadata.name, spec: v.spec });
  }
  for (const w of workloads) peers.set(`${w.namespace}/${w.name}`, w);
  const slice = await getOrUndefined(rest, objectPath(RESOURCES.EndpointSlice, 'default', 'kubernetes'));
  const addresses = ((slice?.['endpoints'] as { addresses?: string[] }[] | undefined) ?? []).flatMap((e) => e.addresses ?? []);
  const ports = ((slice?.['ports'] as { port?: number }[] | undefined) ?? []).flatMap((p) => (p.port === undefined ? [] : [p.port]));
  const facts = { platform: DEFAULT_PLATFORM, workloads: peers, kubeAPIServer: addresses.length > 0 ? { addresses, ports } : undefined };

  let changed = false;
  const show = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    changed = true;
    io.stdout(`--- ${title}\n${withContext(lines).join('\n')}\n`);
  };
  for (const w of workloads) {
    const self = objectPath(RESOURCES.AIWorkload, w.namespace, w.name);
    const current = await getOrUndefined(rest, self);
    // The API server validates the AIWorkload through the CRD (schema and CEL rules).
    // The file is the whole intent (as GitOps syncs it): a dry-run create, or a dry-run replace of
    // the live object, not a merge with fields other managers set.
    const metadata = { ...(w.raw['metadata'] as object), namespace: w.namespace, ...(current?.metadata?.['resourceVersion'] !== undefined ? { resourceVersion: current.metadata['resourceVersion'] } : {}) };
    const body = { ...w.raw, metadata };
    const dry =
      current === undefined
        ? await rest.request<Obj>('POST', collectionPath(RESOURCES.AIWorkload, w.namespace), { query: { dryRun: 'All' }, body })
        : await rest.request<Obj>('PUT', self, { query: { dryRun: 'All' }, body });
    const strip = (o: Obj | undefined): string => (o === undefined ? '' : normalize({ ...o, status: undefined }));
    show(`AIWorkload ${w.namespace}/${w.name}`, lineDiff(strip(current), strip(dry)));
    const uid = current?.metadata?.uid ?? dry.metadata?.uid;
    const result = compile({ ...w, uid }, facts);
    for (const obj of result.objects) {
      const path = objectPath(RESOURCES[obj.kind], obj.metadata.namespace, obj.metadata.name);
      const before = await getOrUndefined(rest, path);
      const after = await rest.request<Obj>('PATCH', path, { query: { dryRun: 'All', fieldManager: FIELD_MANAGER, force: true }, body: obj, contentType: APPLY_CONTENT_TYPE });
      show(`${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}${before === undefined ? ' (new)' : ''}`, lineDiff(normalize(before), normalize(after)));
    }
    const desired = new Set(result.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const kind of KINDS) {
      const list = await rest.request<{ items: Obj[] }>('GET', collectionPath(RESOURCES[kind], w.namespace), { query: { labelSelector: `${LABEL_WORKLOAD}=${labelValue(w.name)}` } });
      for (const o of list.items) {
        if (!desired.has(`${kind}/${o.metadata?.name ?? ''}`)) show(`${kind} ${w.namespace}/${o.metadata?.name ?? ''} (pruned)`, lineDiff(normalize({ ...o, kind }), ''));
      }
    }
    for (const c of result.components) {
      for (const p of [...c.unresolvedPeers, ...c.consentPending]) io.stderr(`note: ${w.namespace}/${w.name} component ${c.name}: no rule for ${p.peer}: ${p.message}\n`);
    }
  }
  return changed ? 1 : 0;
}
