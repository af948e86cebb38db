// Cache memory benchmark (`make bench`, `make bench-cache`): what the operator's caches hold, each
// case measured in a child process of its own (child-memory.ts), after a forced GC, over that
// child's baseline, as RSS and heap. The caches are the real ones: Informer instances
// (src/runtime/informer.ts) listing from an in-memory transport that decodes every page from JSON,
// as the API server's answers are, with the transforms and indexes of the manager
// (src/controller/manager.ts), and the WorkloadIndex filled from the AIWorkloads' events.
//
//   1. 10,000 model-server pods as decoded (an informer without transform) and as the operator's
//      pod informer keeps them (slimPod), and the ratio;
//   2. the operator's whole cache at issue 12's scale: 1,000 AIWorkloads of 5 components, the
//      12,000 objects the compiler generates for them, 10,000 pods and their namespaces, each kind in
//      the informer it lives in, then the memory-reducing GC that bulkhead run does once its caches
//      have synced (src/runtime/heap.ts), with the RSS target (< 150 MiB).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_VERSION, KIND, LABEL_WORKLOAD } from '../api/constants.js';
import type { KubeObject, Pod, Stored, StoredObject } from '../api/kubernetes.js';
import { validateSpec } from '../api/validate.js';
import { compile } from '../compile/compile.js';
import { DEFAULT_PLATFORM } from '../compile/facts.js';
import { podsThatCount } from '../compile/live-facts.js';
import { GENERATED_KINDS, type GeneratedObject } from '../compile/objects.js';
import { slimPod, withoutManagedFields } from '../controller/slim.js';
import { WorkloadIndex } from '../controller/workload-index.js';
import { RESOURCES } from '../kube/resources.js';
import { reduceHeap } from '../runtime/heap.js';
import { Informer, type InformerOptions, type ListWatchTransport } from '../runtime/informer.js';
import { type BenchCase, type ChildReport, type Probe, childCase, measureInChild, mib } from './child-memory.js';
import { BENCH_COMPONENTS, benchSpec } from './workload-spec.js';

/** A model server pod as the API server returns it (abridged only in repetition). */
export function realisticPod(name: string, ns: string, labels: Record<string, string>, ip: string): Pod & Record<string, unknown> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: 'f2b0c8de-2a61-4c49-9a64-6a3c0d1e2f3a',
      resourceVersion: '48213',
      generateName: `${name.slice(0, -5)}-`,
      creationTimestamp: '2026-11-26T10:00:00Z',
      labels,
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-26T09:59:00Z', 'prometheus.io/scrape': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name.slice(0, -6)}`, uid: '1b9d', controller: true, blockOwnerDeletion: true }],
      managedFields: Array.from({ length: 3 }, (_, i) => ({
        manager: i === 0 ? 'kube-controller-manager' : 'kubelet',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-11-26T10:00:01Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) }, 'f:spec': { 'f:containers': { 'k:{"name":"vllm"}': { '.': {}, 'f:args': {}, 'f:env': {}, 'f:image': {}, 'f:ports': {}, 'f:resources': {} } } }, 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:podIP': {} } },
      })),
    },
    spec: {
      serviceAccountName: 'llm-model',
      nodeName: 'gpu-node-7',
      hostNetwork: false,
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.11.0',
          args: ['--model', '/models/llama', '--tensor-parallel-size', '2', '--max-model-len', '32768'],
          env: Array.from({ length: 12 }, (_, i) => ({ name: `VLLM_SETTING_${i}`, value: `value-${i}` })),
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }],
          resources: { limits: { 'nvidia.com/gpu': '2', memory: '64Gi' }, requests: { cpu: '8', memory: '64Gi' } },
          volumeMounts: [{ name: 'models', mountPath: '/models' }, { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
          readinessProbe: { httpGet: { path: '/health', port: 8000 }, periodSeconds: 5 },
        },
      ],
      initContainers: [{ name: 'fetch-weights', image: 'busybox', command: ['sh', '-c', 'cp -r /src /models'] }],
      volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'llama' } }, { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }],
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '10.0.7.7',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: '2026-11-26T10:00:05Z' })),
      containerStatuses: [{ name: 'vllm', ready: true, restartCount: 0, image: 'vllm/vllm-openai:v0.11.0', imageID: 'docker.io/vllm/vllm-openai@sha256:abc', containerID: 'containerd://def', started: true, state: { running: { startedAt: '2026-11-26T10:00:03Z' } } }],
    },
  };
  // Pod (the analysis' view) has no initContainer fields beyond ports: the real pod is wider.
  return pod as unknown as Pod & Record<string, unknown>;
}


const PODS = 10_000;
const WORKLOADS = 1_000;
const NAMESPACES = 100;
/** The operator's RSS target with this cache (issue 12, target 4). */
const TARGET_RSS = 150 * 2 ** 20;
const CREATED = '2026-11-26T10:00:00Z';


const namespaceOf = (workload: number): string => `team-${workload % NAMESPACES}`;
const uid = (kind: string, i: number): string => `${kind.slice(0, 8).toLowerCase().padEnd(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** The metadata the API server adds to what a client applied: uid, versions, one managedFields entry. */
function served<T extends KubeObject>(obj: T, i: number, manager: string): T {
  const kind = obj.kind ?? 'Object';
  const fields = { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(obj.metadata?.labels ?? {}).map((k) => [`f:${k}`, {}])) }, 'f:spec': { '.': {} } };
  const metadata = {
    ...obj.metadata,
    uid: uid(kind, i),
    resourceVersion: String(100_000 + i),
    creationTimestamp: CREATED,
    managedFields: [{ manager, operation: 'Apply', apiVersion: obj.apiVersion, time: CREATED, fieldsType: 'FieldsV1', fieldsV1: fields }],
  };
  return { ...obj, metadata };
}

/** AIWorkload i as the operator's informer lists it: spec and the status the operator wrote. */
function aiWorkload(i: number): StoredObject {
  const w = { apiVersion: API_VERSION, kind: KIND, metadata: { name: `w${i}`, namespace: namespaceOf(i), generation: 1 }, spec: benchSpec(i) };
  const conditions = [
    { type: 'Ready', status: 'True', reason: 'Applied', message: '5 segment(s) enforced.' },
    { type: 'Reconciling', status: 'False', reason: 'Converged', message: '' },
    { type: 'Stalled', status: 'False', reason: 'Converged', message: '' },
  ].map((c) => ({ ...c, observedGeneration: 1, lastTransitionTime: CREATED }));
  return { ...served(w, i, 'kubectl'), status: { observedGeneration: 1, conditions } };
}

/** The objects the compiler generates for workload i (as the operator applies them). */
function generated(i: number): GeneratedObject[] {
  const v = validateSpec(benchSpec(i));
  if (!v.ok) throw new Error('bench spec invalid');
  return compile({ name: `w${i}`, namespace: namespaceOf(i), uid: uid(KIND, i), spec: v.spec }, { platform: DEFAULT_PLATFORM, workloads: new Map() }).objects;
}

/** Pod j: two pods per segment, so the 10,000 pods are what the 5,000 segments select. */
function pod(j: number): Pod {
  const w = Math.floor(j / 10) % WORKLOADS;
  const component = BENCH_COMPONENTS[Math.floor((j % 10) / 2)] ?? 'model';
  const name = `${component}-${w}-7d9f8-${String(j).padStart(5, '0')}`;
  return realisticPod(name, namespaceOf(w), { app: `${component}-${w}`, 'pod-template-hash': '7d9f8' }, `10.${Math.floor(j / 65536) % 256}.${Math.floor(j / 256) % 256}.${j % 256}`);
}

function namespace(n: number): KubeObject {
  const name = `team-${n}`;
  return served({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } } as KubeObject, n, 'kubectl');
}

const PAGE = 500;

/**
 * Writes the `count` objects `make(i)` makes to `dir` as list pages of the informers' page size
 * (the API server's answers), so that the measuring child only decodes them: what it builds the
 * objects with (the compiler, the schema) leaves nothing in its memory.
 */
async function writePages(dir: string, resource: string, count: number, make: (i: number) => unknown): Promise<void> {
  for (let from = 0, page = 0; from < count; from += PAGE, page++) {
    const items = Array.from({ length: Math.min(PAGE, count - from) }, (_v, k) => make(from + k));
    await writeFile(path.join(dir, `${resource}-${page}.json`), JSON.stringify({ items, last: from + PAGE >= count }));
  }
}

/**
 * The API of one resource, answered from the pages writePages wrote: each page is read and
 * decoded from JSON when the informer asks for it, as from the wire (a buffer, a string, the
 * objects). The watch stays open and quiet.
 */
function pagesApi<T extends KubeObject>(dir: string, resource: string): ListWatchTransport<T> {
  return {
    async list(opts) {
      const page = opts.continueToken === undefined ? 0 : Number(opts.continueToken);
      const { items, last } = JSON.parse((await readFile(path.join(dir, `${resource}-${page}.json`))).toString('utf8')) as { items: T[]; last: boolean };
      return { items, resourceVersion: '200000', ...(last ? {} : { continueToken: String(page + 1) }) };
    },
    watch(_opts, _onEvent, onDone) {
      return Promise.resolve({ stop: () => queueMicrotask(() => onDone()) });
    },
  };
}

/**
 * The generated objects of one AIWorkload by workload label and by controlling owner: a copy of
 * the manager's owner index (ownerIndexValues in src/controller/manager.ts), so the cache holds
 * the same index entries.
 */
function ownerIndexValues(obj: StoredObject): string[] {
  const label = obj.metadata.labels?.[LABEL_WORKLOAD];
  const owners = (obj.metadata.ownerReferences ?? []).filter((o) => o.controller === true && o.uid !== undefined).map((o) => `uid:${o.uid ?? ''}`);
  return label === undefined ? owners : [`label:${obj.metadata.namespace ?? 'default'}/${label}`, ...owners];
}

type Opts = Omit<InformerOptions<StoredObject>, 'transport' | 'resource'>;

function informer(dir: string, resource: string, opts: Opts = {}): Informer<StoredObject> {
  return new Informer<StoredObject>({ transport: pagesApi(dir, resource), resource, pageSize: PAGE, ...opts });
}

async function synced(...informers: Informer<StoredObject>[]): Promise<void> {
  for (const inf of informers) inf.start();
  await Promise.all(informers.map((i) => i.waitForSync()));
}

/** One object of each generated kind at a time, from workload i's compile (memoised per workload). */
function generatedOfKind(kind: GeneratedObject['kind']): { count: number; make: (i: number) => unknown } {
  const perWorkload = generated(0).filter((o) => o.kind === kind).length;
  let last: { w: number; objects: GeneratedObject[] } | undefined;
  const make = (i: number): unknown => {
    const w = Math.floor(i / perWorkload);
    if (last?.w !== w) last = { w, objects: generated(w).filter((o) => o.kind === kind) };
    return served(last.objects[i % perWorkload] as GeneratedObject, i, 'bulkhead');
  };
  return { count: perWorkload * WORKLOADS, make };
}

/** What each resource's pages hold: how many objects, and object i. */
function sources(): Record<string, { count: number; make: (i: number) => unknown }> {
  const out: Record<string, { count: number; make: (i: number) => unknown }> = {
    aiworkloads: { count: WORKLOADS, make: aiWorkload },
    pods: { count: PODS, make: pod },
    namespaces: { count: NAMESPACES, make: namespace },
  };
  for (const kind of GENERATED_KINDS) out[RESOURCES[kind].plural] = generatedOfKind(kind);
  return out;
}

/** The operator's caches at scale, built part by part (a mark after each), as the manager wires them. */
async function operatorCache(probe: Probe): Promise<Record<string, number | boolean>> {
  const dir = probe.args[0] ?? '';
  const pods = informer(dir, 'pods', { transform: slimPod });
  const podLabelsIn = (ns: string): Record<string, string>[] => podsThatCount(pods.listByNamespace(ns) as Stored<Pod>[]).map((p) => p.metadata.labels ?? {});
  const workloads = informer(dir, 'aiworkloads', { transform: withoutManagedFields });
  const index = new WorkloadIndex({ podLabelsIn });
  workloads.addEventHandler({ onAdd: (w) => index.upsert(w), onUpdate: (_o, w) => index.upsert(w), onDelete: (w) => index.remove(w) });
  probe.keep([pods, workloads, index]);
  await synced(workloads);
  await probe.mark('AIWorkloads and the workload index');
  let objects = 0;
  for (const kind of GENERATED_KINDS) {
    // NetworkPolicies are cached unfiltered, the other kinds by the managed-by label: here all are ours.
    const inf = informer(dir, RESOURCES[kind].plural, { transform: withoutManagedFields, indexers: { owner: ownerIndexValues } });
    probe.keep(inf);
    await synced(inf);
    objects += inf.list().length;
  }
  await probe.mark('generated objects');
  await synced(pods);
  await probe.mark('pods');
  const namespaces = informer(dir, 'namespaces', { transform: withoutManagedFields });
  probe.keep(namespaces);
  await synced(namespaces);
  await probe.mark('namespaces');
  // What bulkhead run does once its caches have synced (src/runtime/heap.ts); the final figure follows it.
  const reduced = reduceHeap();
  return { workloads: workloads.list().length, objects, pods: pods.list().length, validations: index.validations, reduced };
}

/** A case caching the pods alone, through `transform`. */
function podsOnly(transform?: (p: StoredObject) => StoredObject): BenchCase {
  return {
    run: async (probe) => {
      const inf = informer(probe.args[0] ?? '', 'pods', transform === undefined ? {} : { transform });
      probe.keep(inf);
      await synced(inf);
      return { pods: inf.list().length };
    },
  };
}

const CASES: Record<string, BenchCase> = {
  'pods-decoded': podsOnly(),
  'pods-slim': podsOnly(slimPod),
  operator: {
    // What `bulkhead run` loads (the command's module: the manager, leader election, and the
    // kubeconfig loader) is loaded before the baseline, so the process's
    // RSS is the operator's code and its cache.
    prepare: async () => {
      await import('../cli/run.js');
    },
    run: operatorCache,
  },
};

const signed = (bytes: number): string => `${bytes < 0 ? '-' : '+'}${mib(Math.abs(bytes))}`;
const grown = (r: ChildReport): { heap: number; rss: number } => ({ heap: r.after.heapUsed - r.baseline.heapUsed, rss: r.after.rss - r.baseline.rss });

function podLines(decoded: ChildReport, slim: ChildReport): string[] {
  const d = grown(decoded);
  const s = grown(slim);
  const line = (label: string, g: { heap: number; rss: number }): string =>
    `   ${label.padEnd(22)} heap ${mib(g.heap)} (${Math.round(g.heap / PODS)} bytes a pod), RSS +${mib(g.rss)}`;
  return [
    `Pod cache benchmark (${PODS.toLocaleString('en')} model-server pods, as the API server returns them, in an informer; each case in a child process, after a forced GC, over its baseline)`,
    line('as decoded:', d),
    line('as cached (slimPod):', s),
    `   ratio:                 ${(d.heap / s.heap).toFixed(1)}x less heap, ${(d.rss / s.rss).toFixed(1)}x less RSS for the pod cache`,
  ];
}

function operatorLines(r: ChildReport): string[] {
  const parts: string[] = [];
  let prev = r.baseline;
  for (const m of [...r.marks, { label: 'memory-reducing GC (as bulkhead run)', ...r.after }]) {
    parts.push(`   ${`${m.label}:`.padEnd(38)} heap ${signed(m.heapUsed - prev.heapUsed)}, RSS ${signed(m.rss - prev.rss)}`);
    prev = m;
  }
  const g = grown(r);
  const f = r.figures;
  return [
    `Operator cache (${String(f['workloads'])} AIWorkloads x 5 components in ${NAMESPACES} namespaces, ${String(f['objects'])} generated objects, ${String(f['pods'])} pods; the manager's informers, transforms and workload index)`,
    `   baseline (Node.js and the modules of bulkhead run): RSS ${mib(r.baseline.rss)}, heap ${mib(r.baseline.heapUsed)}`,
    ...parts,
    `   whole cache:                           heap +${mib(g.heap)}, RSS +${mib(g.rss)}; process peak RSS ${mib(r.peakRss)}`,
    `   V8 heap after GC:                      used ${mib(r.after.heapUsed)}, committed ${mib(r.after.heapTotal)} (at the baseline ${mib(r.baseline.heapUsed)} and ${mib(r.baseline.heapTotal)})${f['reduced'] === true ? '' : '; NO memory-reducing GC (no gc function)'}`,
    `operator cache, 1,000 AIWorkloads + 10,000 pods: RSS ${mib(r.after.rss)} (target < ${mib(TARGET_RSS)})${r.after.rss < TARGET_RSS ? '' : ' MISSED'}`,
  ];
}

/** runCacheBench measures each case in a child process of its own and returns the printed report. */
export async function runCacheBench(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-bench-cache-'));
  try {
    for (const [resource, { count, make }] of Object.entries(sources())) await writePages(dir, resource, count, make);
    const here = import.meta.url;
    // One after the other: two children at once would measure each other's load on 2 cores.
    const decoded = await measureInChild(here, 'pods-decoded', [dir]);
    const slim = await measureInChild(here, 'pods-slim', [dir]);
    const operator = await measureInChild(here, 'operator', [dir]);
    return [...podLines(decoded, slim), ...operatorLines(operator), ''].join('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isChild = childCase(CASES);
const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly && !isChild) process.stdout.write(await runCacheBench());
