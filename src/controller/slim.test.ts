import { analyze, formatConnlist } from '../analysis/index.js';
import type { KubeObject, Pod } from '../api/kubernetes.js';
import type { ClusterFacts } from '../analysis/types.js';
import { syntheticCluster } from '../bench/analysis.js';
import { realisticPod } from '../bench/cache.js';
import { slimNetworkPolicy, slimPod, withoutManagedFields } from './slim.js';

/** A synthetic pod given the bulk of a real one, keeping its identity, owner, ports and IP. */
function withBulk(p: Pod, i: number): Pod {
  const meta = p.metadata ?? {};
  const real = realisticPod(meta.name ?? `p${i}`, meta.namespace ?? 'default', { ...meta.labels }, p.status?.podIP ?? '10.9.9.9');
  return { ...real, metadata: { ...real.metadata, ownerReferences: meta.ownerReferences ?? [] }, spec: { ...real.spec, containers: p.spec?.containers ?? [] } };
}

describe('cache transforms', () => {
  const pod = realisticPod('model-7d9f8-x2k4q', 'ml', { app: 'model', 'pod-template-hash': '7d9f8' }, '10.1.2.3');

  it('slimPod keeps exactly what the readers use', () => {
    expect(slimPod(pod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.metadata?.name, namespace: 'ml', uid: 'f2b0c8de-2a61-4c49-9a64-6a3c0d1e2f3a', resourceVersion: '48213', labels: { app: 'model', 'pod-template-hash': '7d9f8' }, ownerReferences: pod.metadata?.ownerReferences },
      spec: { serviceAccountName: 'llm-model', hostNetwork: false, nodeName: 'gpu-node-7', containers: [{ name: 'vllm', ports: pod.spec?.containers?.[0]?.ports }] },
      status: { phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }], hostIP: '10.0.7.7' },
    });
    // Several times smaller than the pod the API server returns (5.9x for this one).
    expect(JSON.stringify(pod).length / JSON.stringify(slimPod(pod)).length).toBeGreaterThan(5);
  });

  it('keeps a sidecar with ports among the init containers, and works on a pod with no spec or status', () => {
    const sidecar = { ...pod, spec: { ...pod.spec, initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }] } };
    expect((slimPod(sidecar) as Pod).spec?.initContainers).toEqual([{ name: 'proxy', ports: [{ name: 'proxy', containerPort: 15001 }] }]);
    expect(slimPod({ metadata: { name: 'bare', namespace: 'n', resourceVersion: '1' } })).toEqual({ metadata: { name: 'bare', namespace: 'n', resourceVersion: '1' }, spec: {}, status: {} });
  });

  it('the analysis sees the same connectivity through slim pods, with every option', () => {
    const base = syntheticCluster({ pods: 300, namespaces: 6, policies: 60, replicas: 5, seed: 3 });
    // The synthetic pods carry only what the analysis reads; give them the bulk of real ones.
    const full: ClusterFacts = {
      ...base,
      pods: base.pods.map(withBulk),
    };
    const slim: ClusterFacts = { ...full, pods: full.pods.map((p) => slimPod(p)) };
    for (const opts of [{}, { ipBlockMatchesPods: true }, { ipFamilies: 'Dual' as const }]) {
      expect(formatConnlist(analyze(slim, opts))).toEqual(formatConnlist(analyze(full, opts)));
    }
  });

  it('withoutManagedFields drops only managedFields, and returns objects without them as they are', () => {
    const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x', namespace: 'n', resourceVersion: '5', labels: { a: 'b' }, managedFields: [{ manager: 'bulkhead' }] }, spec: { podSelector: {} } };
    expect(withoutManagedFields(np)).toEqual({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x', namespace: 'n', resourceVersion: '5', labels: { a: 'b' } }, spec: { podSelector: {} } });
    expect(np.metadata.managedFields).toHaveLength(1); // not mutated
    const bare = { metadata: { name: 'y' } };
    expect(withoutManagedFields(bare)).toBe(bare);
  });
});

describe('slimNetworkPolicy', () => {
  const feed = Array.from({ length: 40 }, (_, i) => `198.51.${i}.0/24`);
  const policy = (name: string): KubeObject & { spec: unknown } => ({
    metadata: { name, namespace: 'ns', managedFields: [{ manager: 'bulkhead' }] } as KubeObject['metadata'],
    spec: {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...feed] } }, { namespaceSelector: {} }] }],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...feed] } }], ports: [{ protocol: 'TCP', port: 443 }] }, { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
    },
  });
  type Slim = { metadata: Record<string, unknown>; spec: { ingress: { from: { ipBlock?: { except: string[] } }[] }[]; egress: { to: { ipBlock?: { except: string[] } }[] }[] } };

  const egressExcept = (p: Slim): string[] | undefined => p.spec.egress[0]?.to[0]?.ipBlock?.except;
  const ingressExcept = (p: Slim): string[] | undefined => p.spec.ingress[0]?.from[0]?.ipBlock?.except;

  it('drops managedFields and shares equal long except lists between policies, keeping every field', () => {
    const a = slimNetworkPolicy(policy('a')) as unknown as Slim;
    const b = slimNetworkPolicy(policy('b')) as unknown as Slim;
    expect(a.metadata['managedFields']).toBeUndefined();
    expect(egressExcept(b)).toBe(egressExcept(a));
    expect(ingressExcept(a)).toBe(egressExcept(a));
    const { managedFields: _m, ...metadata } = policy('a').metadata as Record<string, unknown>;
    expect(a).toEqual({ metadata, spec: policy('a').spec });
  });
});
