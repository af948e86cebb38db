// Benchmark of the reachability analysis: the naive pod-by-pod evaluator against the class-based one
// on the same synthetic cluster, and the class-based one on a large cluster. Input is generated
// deterministically from a seeded PRNG, so every run measures the same work.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/analysis.js
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { analyze } from '../analysis/analyze.js';
import { formatConnlist } from '../analysis/connectivity.js';
import { analyzeNaive } from '../analysis/naive.js';
import { findExposure, findExposures, type Segment } from '../analysis/exposure.js';
import type { LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from '../api/kubernetes.js';
import type { ClusterFacts } from '../analysis/types.js';

/** mulberry32: a small, fast, seedable PRNG (deterministic input across runs and machines). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticShape {
  pods: number;
  namespaces: number;
  policies: number;
  /** Pods per ReplicaSet. */
  replicas: number;
  seed: number;
}

const TIERS = ['frontend', 'backend', 'cache', 'db', 'batch'];
const TEAMS = ['payments', 'search', 'ml', 'platform', 'data'];

/**
 * syntheticCluster builds a cluster of real Pods owned by ReplicaSets (`replicas` pods each, same
 * labels), spread over namespaces with team/env labels, and NetworkPolicies mixing default-deny,
 * pod and namespace selectors (matchLabels and matchExpressions), named and numbered ports,
 * endPort ranges, ipBlocks with except, and egress rules.
 */
export function syntheticCluster(shape: SyntheticShape): ClusterFacts {
  const rnd = prng(shape.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const nsName = (i: number): string => `ns-${i}`;
  const namespaces: Namespace[] = Array.from({ length: shape.namespaces }, (_, i) => ({
    kind: 'Namespace',
    metadata: { name: nsName(i), labels: { team: pick(TEAMS), env: rnd() < 0.7 ? 'prod' : 'dev' } },
  }));
  const workloads = Math.ceil(shape.pods / shape.replicas);
  const apps: { ns: string; app: string }[] = [];
  const pods: Pod[] = [];
  for (let w = 0; w < workloads; w++) {
    const ns = nsName(w % shape.namespaces);
    const app = `app-${w}`;
    apps.push({ ns, app });
    const labels = { app, tier: pick(TIERS), ...(rnd() < 0.3 ? { canary: 'true' } : {}) };
    const ports = [{ name: 'http', containerPort: 8000 + (w % 50) }, { name: 'metrics', containerPort: 9090 }];
    for (let r = 0; r < shape.replicas && pods.length < shape.pods; r++) {
      pods.push({
        kind: 'Pod',
        metadata: { name: `${app}-rs-${r}`, namespace: ns, labels, ownerReferences: [{ kind: 'ReplicaSet', name: `${app}-rs`, controller: true }] },
        spec: { containers: [{ ports }] },
        status: { podIP: `10.${Math.floor(pods.length / 65536) % 256}.${Math.floor(pods.length / 256) % 256}.${pods.length % 256}` },
      });
    }
  }
  const selector = (): LabelSelector => {
    const x = rnd();
    if (x < 0.4) return { matchLabels: { app: pick(apps).app } };
    if (x < 0.7) return { matchLabels: { tier: pick(TIERS) } };
    if (x < 0.85) return { matchExpressions: [{ key: 'tier', operator: 'In', values: [pick(TIERS), pick(TIERS)] }] };
    return { matchExpressions: [{ key: 'canary', operator: rnd() < 0.5 ? 'Exists' : 'DoesNotExist' }] };
  };
  const peer = (): NetworkPolicyPeer => {
    const x = rnd();
    if (x < 0.45) return { podSelector: selector() };
    if (x < 0.7) return { namespaceSelector: { matchLabels: { team: pick(TEAMS) } }, podSelector: selector() };
    if (x < 0.85) return { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] } };
    return { ipBlock: { cidr: `${Math.floor(rnd() * 200) + 11}.0.0.0/8`, except: [`${Math.floor(rnd() * 200) + 11}.1.0.0/16`] } };
  };
  const ports = (): NetworkPolicyPort[] | undefined => {
    const x = rnd();
    if (x < 0.2) return undefined;
    if (x < 0.5) return [{ port: 'http' }];
    if (x < 0.7) return [{ port: 'metrics' }, { port: 53, protocol: 'UDP' }];
    return [{ port: 8000 + Math.floor(rnd() * 40), endPort: 8050, protocol: 'TCP' }];
  };
  const networkPolicies: NetworkPolicy[] = [];
  for (let i = 0; i < shape.policies; i++) {
    const ns = nsName(i % shape.namespaces);
    const name = `np-${i}`;
    if (i < shape.namespaces && i % 2 === 0) {
      networkPolicies.push({ kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
      continue;
    }
    const ingress = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => {
      const p = ports();
      return { from: [peer(), ...(rnd() < 0.3 ? [peer()] : [])], ...(p ? { ports: p } : {}) };
    });
    const withEgress = rnd() < 0.4;
    networkPolicies.push({
      kind: 'NetworkPolicy',
      metadata: { name, namespace: ns },
      spec: {
        podSelector: selector(),
        ingress,
        ...(withEgress ? { egress: [{ to: [peer()], ...(rnd() < 0.5 ? { ports: [{ port: 'http' }] } : {}) }, { ports: [{ port: 53, protocol: 'UDP' }] }] } : {}),
      },
    });
  }
  return { namespaces, pods, workloads: [], networkPolicies };
}

function time<T>(f: () => T): { result: T; ms: number } {
  const t0 = performance.now();
  const result = f();
  return { result, ms: performance.now() - t0 };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/**
 * runAnalysisBench runs the benchmark and returns the printed report. Synchronous: the analysis does
 * no I/O, so there is nothing to wait for.
 */
export function runAnalysisBench(): string {
  const lines: string[] = ['Reachability analysis benchmark (one run; ratios measured within it)'];
  // Warm the JIT on a small input so neither side pays it alone.
  analyze(syntheticCluster({ pods: 100, namespaces: 4, policies: 20, replicas: 5, seed: 7 }));

  const mid: SyntheticShape = { pods: 1000, namespaces: 10, policies: 100, replicas: 10, seed: 42 };
  const midFacts = syntheticCluster(mid);
  const naive = time(() => analyzeNaive(midFacts));
  const classes = time(() => analyze(midFacts));
  const same = formatConnlist(naive.result).join('\n') === formatConnlist(classes.result).join('\n');
  lines.push(
    `1) ${mid.pods} pods, ${mid.namespaces} namespaces, ${mid.policies} policies, ${mid.replicas} pods per ReplicaSet`,
    `   naive pod-by-pod:  ${naive.ms.toFixed(0)} ms`,
    `   class-based:       ${classes.ms.toFixed(1)} ms`,
    `   speed-up:          ${(naive.ms / classes.ms).toFixed(0)}x (target >= 20x); ${classes.result.connections.length} connected pairs; identical results: ${same}`,
  );

  const big: SyntheticShape = { pods: 5000, namespaces: 50, policies: 1000, replicas: 10, seed: 4242 };
  const bigFacts = syntheticCluster(big);
  const large = time(() => analyze(bigFacts));
  const mem = process.memoryUsage();
  const maxRssKb = process.resourceUsage().maxRSS;
  lines.push(
    `2) ${big.pods} pods, ${big.namespaces} namespaces, ${big.policies} policies, ${big.replicas} pods per ReplicaSet`,
    `   class-based:       ${large.ms.toFixed(0)} ms (target < 2000 ms); ${large.result.connections.length} connected pairs`,
    `   peak RSS:          ${mb(maxRssKb * 1024)} (resourceUsage.maxRSS); heap used now ${mb(mem.heapUsed)}`,
  );
  lines.push(...exposureBench(bigFacts));
  if (!same) lines.push('ERROR: the naive and class-based evaluators disagree');
  return `${lines.join('\n')}\n`;
}

/**
 * Exposure of one AIWorkload's five segments on the large cluster, as the controller computes it on
 * each reconcile: one model per segment, against one model shared by the five (findExposures).
 */
function exposureBench(facts: ClusterFacts): string[] {
  const ns = facts.namespaces[3]?.metadata?.name ?? 'ns-3';
  const segments: Segment[] = Array.from({ length: 5 }, (_, i) => ({
    namespace: ns,
    podSelector: { matchLabels: { app: `app-${i}` } },
    declaredIngress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }] }],
    declaredEgress: [],
  }));
  const each = time(() => segments.map((s) => findExposure(facts, s)));
  const shared = time(() => findExposures(facts, segments));
  const same = JSON.stringify(each.result.map((f) => f.map((x) => [x.direction, x.source.id, x.target.id, x.excess.toString()]))) ===
    JSON.stringify(shared.result.map((f) => f.map((x) => [x.direction, x.source.id, x.target.id, x.excess.toString()])));
  return [
    `3) exposure of an AIWorkload with ${segments.length} segments on the cluster of 2)`,
    `   a model per segment:  ${each.ms.toFixed(0)} ms`,
    `   one shared model:     ${shared.ms.toFixed(0)} ms (${(each.ms / shared.ms).toFixed(1)}x); ${shared.result.flat().length} findings; identical results: ${same}`,
    ...(same ? [] : ['ERROR: per-segment and shared exposure disagree']),
  ];
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
// A synchronous throw prints its stack and exits non-zero on its own.
if (invokedDirectly) process.stdout.write(runAnalysisBench());
