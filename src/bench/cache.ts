// Pod cache benchmark (`make bench`): the operator caches every pod of the cluster; this measures
// the heap that N pods take as the API server returns them and as the informer keeps them
// (src/controller/slim.ts), in one run, as a ratio.
import { pathToFileURL } from 'node:url';
import type { Pod } from '../api/kubernetes.js';
import { slimPod } from '../controller/slim.js';

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


const PODS = 5000;

/** Heap taken by what `make` returns, measured around a forced GC (needs --expose-gc). */
function heapOf(make: () => unknown): { bytes: number; kept: unknown } {
  // `kept` holds the result alive until the caller lets go of it.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = make();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, kept };
}

/** Pods decoded from JSON, as from the wire: no structure shared between them. */
function wirePods(): Pod[] {
  return Array.from({ length: PODS }, (_, i) => JSON.parse(JSON.stringify(realisticPod(`model-7d9f8-${String(i).padStart(5, '0')}`, `ns-${i % 50}`, { app: `app-${i % 400}`, 'pod-template-hash': '7d9f8' }, `10.1.${Math.floor(i / 256)}.${i % 256}`))) as Pod);
}

export function runCacheBench(): string {
  const full = heapOf(wirePods);
  full.kept = undefined;
  // Decoded afresh and dropped, as the informer does: what the slim pods share with the decoded
  // ones (labels, owner references, ports) is counted with them.
  const slim = heapOf(() => wirePods().map((p) => slimPod(p)));
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
  return [
    `Pod cache benchmark (one run; ${PODS} pods of a model server, as the API server returns them)`,
    `   as decoded:            ${mb(full.bytes)} of heap (${Math.round(full.bytes / PODS)} bytes a pod)`,
    `   as cached (slimPod):   ${mb(slim.bytes)} of heap (${Math.round(slim.bytes / PODS)} bytes a pod)`,
    `   ratio:                 ${(full.bytes / slim.bytes).toFixed(1)}x less memory for the pod cache`,
    '',
  ].join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) process.stdout.write(runCacheBench());
