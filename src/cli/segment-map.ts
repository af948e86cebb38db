// Gathering a segment map (src/report) from files or from the cluster, for `bulkhead report` and
// `bulkhead explain -o dot|mermaid`. The findings are the ones the operator computes: exposure
// with the generated policies in place of the live ones (exposureFindings, both address
// families), overlaps from the pods of the namespace (podOverlaps), consent and unresolved peers
// from the compiler's peer resolution. From files, the conditions are derived from those findings;
// live, they are the operator's, read from each AIWorkload's status.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { addObject, emptyFacts, ManifestError, type MutableFacts } from '../analysis/manifests.js';
import { compilePolicy } from '../analysis/policy.js';
import type { ClusterFacts } from '../analysis/types.js';
import { API_VERSION, KIND } from '../api/constants.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { formatProblems, validateSpec } from '../api/validate.js';
import { compile, type CompileResult } from '../compile/compile.js';
import type { CompileFacts, PeerWorkload, PlatformConfig } from '../compile/facts.js';
import { podsThatCount } from '../compile/live-facts.js';
import { exposureFindings, exposureMessage } from '../controller/exposure.js';
import { overlapMessages, podOverlaps } from '../controller/overlap.js';
import { buildSegmentMap, type MapCondition, type MappedWorkload, type SegmentMap } from '../report/model.js';
import { type RestClient, createRestClient } from '../runtime/rest.js';
import { listAIWorkloads, liveCompileFacts } from './live-compile.js';

export const MAP_TITLE = 'Bulkhead segment map';

const MANIFEST = /\.(ya?ml|json)$/i;

async function manifestFiles(path: string): Promise<string[]> {
  if (path === '-') return [path];
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) throw new ManifestError(`${path}: no such file or directory`);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const e of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory() || (e.isFile() && MANIFEST.test(e.name))) out.push(...(await manifestFiles(join(path, e.name))));
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An AIWorkload document as written: its spec not yet validated. */
interface WorkloadDoc {
  namespace: string;
  name: string;
  spec: unknown;
  conditions?: MapCondition[];
}

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: unknown };

/** Files an object the analysis reads; a NetworkPolicy is compiled as read, so that an invalid one fails naming its file. */
function fileAnalysisObject(raw: unknown, where: string, facts: MutableFacts): void {
  const before = facts.networkPolicies.length;
  addObject(facts, raw, where);
  for (const np of facts.networkPolicies.slice(before)) {
    try {
      compilePolicy(np);
    } catch (err) {
      throw new ManifestError(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Files one document: an AIWorkload into `workloads`, anything the analysis reads into `facts`. */
function fileDocument(raw: unknown, where: string, namespace: string, acc: { workloads: WorkloadDoc[]; facts: MutableFacts }): void {
  const doc = (raw ?? {}) as Doc & { items?: unknown };
  // A List (kubectl get aiw,pods,networkpolicies -o yaml): each item on its own.
  if (doc.kind === 'List' && Array.isArray(doc.items)) return doc.items.forEach((item, i) => fileDocument(item, `${where} items[${i}]`, namespace, acc));
  if (doc.kind !== KIND || doc.apiVersion !== API_VERSION) return fileAnalysisObject(raw, where, acc.facts);
  acc.workloads.push(workloadDoc(doc, where, namespace));
}

function workloadDoc(doc: Doc, where: string, namespace: string): WorkloadDoc {
  const name = doc.metadata?.name;
  if (typeof name !== 'string' || name === '') throw new ManifestError(`${where}: AIWorkload has no metadata.name`);
  return { namespace: typeof doc.metadata?.namespace === 'string' ? doc.metadata.namespace : namespace, name, spec: doc.spec };
}

async function readFiles(paths: readonly string[], namespace: string): Promise<{ workloads: WorkloadDoc[]; facts: MutableFacts }> {
  const acc = { workloads: [] as WorkloadDoc[], facts: emptyFacts() };
  for (const file of (await Promise.all(paths.map(manifestFiles))).flat()) {
    let docs: unknown[];
    try {
      docs = loadAll(file === '-' ? await readStdin() : await readFile(file, 'utf8'));
    } catch (err) {
      throw new ManifestError(`${file}: cannot parse YAML/JSON: ${(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''}`);
    }
    docs.forEach((d, i) => {
      if (d !== null && d !== undefined) fileDocument(d, docs.length > 1 ? `${file} (document ${i + 1})` : file, namespace, acc);
    });
  }
  return acc;
}

/** A workload that is not valid is drawn as the operator leaves it: Stalled, nothing generated. */
function stalled(doc: WorkloadDoc, message: string): MappedWorkload {
  const conditions = [...(doc.conditions ?? [])];
  if (!conditions.some((c) => c.type === 'Stalled')) conditions.push({ type: 'Stalled', status: 'True', reason: 'InvalidSpec', message });
  return { namespace: doc.namespace, name: doc.name, exposures: [], overlaps: [], conditions };
}

/**
 * The conditions the operator would set for these findings (Exposed, Overlapping, ConsentPending,
 * PeerUnresolved), worded by the functions it words them with. From files the API server's
 * addresses are unknown, so a KubeAPIServer peer is not called unresolved.
 */
function derivedConditions(result: CompileResult, exposed: string[], overlapping: string[]): MapCondition[] {
  const findings: [string, string, string[]][] = [
    ['ConsentPending', 'PeerHasNotDeclared', result.components.flatMap((c) => c.consentPending.map((p) => `${c.name}: ${p.message}`))],
    ['Exposed', 'UndeclaredPeerCanConnect', exposed],
    ['Overlapping', 'PodsInSeveralSegments', overlapping],
    ['PeerUnresolved', 'PeerResolvesToNothing', result.components.flatMap((c) => c.unresolvedPeers.filter((p) => p.peer !== 'platform/KubeAPIServer').map((p) => `${c.name}: ${p.peer}: ${p.message}`))],
  ];
  return findings.filter(([, , m]) => m.length > 0).map(([type, reason, m]) => ({ type, status: 'True', reason, message: m.join('; ') }));
}

/** The findings of one valid workload against the cluster facts and the other workloads. */
function mapped(doc: WorkloadDoc, spec: AIWorkloadSpec, cluster: ClusterFacts, facts: CompileFacts): MappedWorkload {
  const result = compile({ namespace: doc.namespace, name: doc.name, spec }, facts);
  const { objects } = result;
  const segments = (name: string, s: AIWorkloadSpec): { workload: string; component: string; selector: AIWorkloadSpec['components'][number]['selector'] }[] =>
    s.components.map((c) => ({ workload: name, component: c.name, selector: c.selector }));
  const others = [...facts.workloads.values()].filter((w) => w.namespace === doc.namespace && w.name !== doc.name).flatMap((w) => segments(w.name, w.spec));
  const pods = cluster.pods.filter((p) => (p.metadata?.namespace ?? 'default') === doc.namespace).map((p) => ({ name: p.metadata?.name ?? '', labels: p.metadata?.labels ?? {} }));
  const ours = segments(doc.name, spec);
  const exposures = exposureFindings(cluster, doc.namespace, spec, objects);
  return {
    namespace: doc.namespace,
    name: doc.name,
    spec,
    exposures,
    overlaps: podOverlaps(ours, others, pods),
    conditions: doc.conditions ?? derivedConditions(result, exposures.flatMap((e) => exposureMessage(e.component, e.findings)), overlapMessages(ours, others, pods)),
  };
}

function validated(docs: readonly WorkloadDoc[]): { doc: WorkloadDoc; spec?: AIWorkloadSpec; problem?: string }[] {
  return docs.map((doc) => {
    const v = validateSpec(doc.spec);
    return v.ok ? { doc, spec: v.spec } : { doc, problem: `AIWorkload ${doc.namespace}/${doc.name} is invalid: ${formatProblems(v.problems)}` };
  });
}

function mapOf(docs: readonly WorkloadDoc[], cluster: ClusterFacts, facts: Omit<CompileFacts, 'workloads'>, mode: 'files' | 'live', source: string, extraPeers?: ReadonlyMap<string, PeerWorkload>): SegmentMap {
  const checked = validated(docs);
  const peers = new Map(extraPeers ?? []);
  for (const c of checked) if (c.spec !== undefined) peers.set(`${c.doc.namespace}/${c.doc.name}`, { namespace: c.doc.namespace, name: c.doc.name, spec: c.spec });
  const compileFacts: CompileFacts = { ...facts, workloads: peers };
  const workloads = checked.map((c) => (c.spec === undefined ? stalled(c.doc, c.problem ?? 'invalid') : mapped(c.doc, c.spec, cluster, compileFacts)));
  return buildSegmentMap({ title: MAP_TITLE, source, mode, workloads, facts: compileFacts });
}

/**
 * mapFromFiles reads AIWorkloads and, beside them, the Namespaces, Pods, workload controllers and
 * NetworkPolicies the analysis reads (files, or directories read recursively). The workloads
 * resolve each other as peers, as with render; the API server's addresses are not known.
 */
export async function mapFromFiles(paths: readonly string[], namespace: string, platform: PlatformConfig): Promise<SegmentMap> {
  const { workloads, facts } = await readFiles(paths, namespace);
  return mapOf(workloads, facts, { platform }, 'files', `From files: ${paths.join(', ')}`);
}

type LiveWorkload = { metadata?: { name?: string; namespace?: string; deletionTimestamp?: string }; spec?: unknown; status?: { conditions?: Partial<MapCondition>[] } };

/** The cluster as exposure reads it: namespaces, pods that count, NetworkPolicies. */
async function liveClusterFacts(rest: RestClient): Promise<ClusterFacts> {
  const list = async <T>(path: string, kind: string): Promise<T[]> => ((await rest.request<{ items?: T[] }>('GET', path)).items ?? []).map((i) => ({ ...i, kind }));
  const [namespaces, pods, networkPolicies] = await Promise.all([
    list<ClusterFacts['namespaces'][number]>('/api/v1/namespaces', 'Namespace'),
    list<ClusterFacts['pods'][number] & { status?: { phase?: string } }>('/api/v1/pods', 'Pod'),
    list<ClusterFacts['networkPolicies'][number]>('/apis/networking.k8s.io/v1/networkpolicies', 'NetworkPolicy'),
  ]);
  return { namespaces, pods: podsThatCount(pods), workloads: [], networkPolicies };
}

const conditionOf = (c: Partial<MapCondition>): MapCondition => ({ type: c.type ?? '', status: c.status ?? '', reason: c.reason ?? '', message: c.message ?? '' });

/** mapFromCluster draws the AIWorkloads of the cluster (or of `namespace`) with the operator's conditions. */
export async function mapFromCluster(rest: RestClient, namespace: string | undefined, platform: PlatformConfig, context: string): Promise<SegmentMap> {
  const [listed, cluster, compileFacts] = await Promise.all([listAIWorkloads(rest, namespace), liveClusterFacts(rest), liveCompileFacts(rest, platform)]);
  const docs = (listed as LiveWorkload[]).map((w): WorkloadDoc => ({
    namespace: w.metadata?.namespace ?? 'default',
    name: w.metadata?.name ?? '',
    spec: w.spec,
    conditions: (w.status?.conditions ?? []).map(conditionOf),
  }));
  const where = namespace === undefined ? 'all namespaces' : `namespace ${namespace}`;
  return mapOf(docs, cluster, { platform, kubeAPIServer: compileFacts.kubeAPIServer }, 'live', `From the cluster (context ${context}), ${where}`, compileFacts.workloads);
}

/** mapFromKubeconfig is mapFromCluster on the cluster of the default kubeconfig ($KUBECONFIG, ~/.kube/config or in-cluster). */
export async function mapFromKubeconfig(namespace: string | undefined, platform: PlatformConfig): Promise<SegmentMap> {
  const { KubeConfig } = await import('../runtime/kubeconfig.js');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return mapFromCluster(createRestClient(kc), namespace, platform, kc.getCurrentContext());
}
