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
import { type BenchCase, type ChildReport, childCase, measureInChild } from './child-memory.js';

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

/** Address ranges of the outside world that policies name (offices, partners, a cloud's ranges). */
const EXTERNAL_CIDRS = Array.from({ length: 16 }, (_, i) => `${100 + i * 7}.${(i * 37) % 256}.0.0/16`);
const INTERNAL_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

interface App {
  ns: string;
  team: string;
  app: string;
  tier: string;
}

/** The pods of the scale cluster: `replicas` per app, apps spread round-robin over the namespaces. */
function scalePods(shape: SyntheticShape, teamOf: (ns: number) => string, rnd: () => number): { apps: App[]; pods: Pod[] } {
  const apps: App[] = [];
  const pods: Pod[] = [];
  for (let w = 0; pods.length < shape.pods; w++) {
    const nsIndex = w % shape.namespaces;
    const a: App = { ns: `tenant-${nsIndex}`, team: teamOf(nsIndex), app: `svc-${w}`, tier: TIERS[Math.floor(rnd() * TIERS.length)] as string };
    apps.push(a);
    const labels = { app: a.app, tier: a.tier, team: a.team, 'app.kubernetes.io/part-of': `product-${Math.floor(w / 7)}` };
    const ports = [{ name: 'http', containerPort: 8080 }, { name: 'grpc', containerPort: 9000 }, { name: 'metrics', containerPort: 9090 }];
    for (let r = 0; r < shape.replicas && pods.length < shape.pods; r++) {
      const n = pods.length;
      pods.push({
        kind: 'Pod',
        metadata: { name: `${a.app}-rs-${r}`, namespace: a.ns, labels, ownerReferences: [{ kind: 'ReplicaSet', name: `${a.app}-rs`, controller: true }] },
        spec: { containers: [{ ports }] },
        status: { podIP: `10.${64 + (Math.floor(n / 65536) % 64)}.${Math.floor(n / 256) % 256}.${n % 256}` },
      });
    }
  }
  return { apps, pods };
}

/** One per-app policy of the scale cluster: who may call the app, or where it may go. */
function appPolicy(a: App, sameNs: readonly App[], rnd: () => number): NetworkPolicy['spec'] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const podSelector = { matchLabels: { app: a.app } };
  const x = rnd();
  if (x < 0.35) return { podSelector, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: pick(sameNs).app } } }, ...(rnd() < 0.3 ? [{ podSelector: { matchLabels: { tier: 'frontend' } } }] : [])], ports: [{ port: 'http' }] }] };
  if (x < 0.55) return { podSelector, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } }, podSelector: { matchLabels: { tier: 'frontend' } } }], ports: [{ port: 8080 }, { port: 'grpc' }] }] };
  if (x < 0.7) return { podSelector, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'metrics' }] }] };
  if (x < 0.85) {
    return {
      podSelector,
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: { matchLabels: { app: pick(sameNs).app } } }], ports: [{ port: 'grpc' }] },
        { to: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ port: 5432 }] },
      ],
    };
  }
  if (x < 0.95) return { podSelector, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: pick(EXTERNAL_CIDRS), except: [`${pick(EXTERNAL_CIDRS).split('.').slice(0, 2).join('.')}.128.0/17`] } }], ports: [{ port: 443, protocol: 'TCP' }] }] };
  return { podSelector, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: INTERNAL_CIDRS } }], ports: [{ port: 443 }] }] };
}

/**
 * scaleCluster is the shape of issue 12's analysis target (10,000 pods, 10,000 NetworkPolicies)
 * as a multi-tenant cluster has it: many namespaces labelled by team and env (plus a monitoring
 * namespace), apps of `replicas` pods each, a default-deny and a DNS egress policy per namespace,
 * and per-app policies: callers in the namespace by app, frontends of a team's namespaces by
 * namespace and pod selector, the monitoring namespace on the metrics port, egress to an app and
 * to the databases of prod namespaces, and ipBlocks (partner ranges with an except, the internet
 * without the private ranges). Deterministic for a seed.
 */
export function scaleCluster(shape: SyntheticShape): ClusterFacts {
  const rnd = prng(shape.seed);
  const teams = Array.from({ length: shape.namespaces }, () => TEAMS[Math.floor(rnd() * TEAMS.length)] as string);
  const namespaces: Namespace[] = teams.map((team, i) => ({ kind: 'Namespace', metadata: { name: `tenant-${i}`, labels: { team, env: rnd() < 0.7 ? 'prod' : 'dev' } } }));
  namespaces.push({ kind: 'Namespace', metadata: { name: 'monitoring', labels: { team: 'platform', env: 'prod' } } });
  const { apps, pods } = scalePods(shape, (i) => teams[i] as string, rnd);
  const appsIn = new Map<string, App[]>();
  for (const a of apps) appsIn.set(a.ns, [...(appsIn.get(a.ns) ?? []), a]);
  const networkPolicies: NetworkPolicy[] = [];
  for (let i = 0; i < shape.namespaces && networkPolicies.length < shape.policies; i++) {
    const namespace = `tenant-${i}`;
    networkPolicies.push({ kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    networkPolicies.push({ kind: 'NetworkPolicy', metadata: { name: 'allow-dns', namespace }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] } });
  }
  for (let i = 0; networkPolicies.length < shape.policies; i++) {
    const a = apps[i % apps.length] as App;
    networkPolicies.push({ kind: 'NetworkPolicy', metadata: { name: `${a.app}-${Math.floor(i / apps.length)}`, namespace: a.ns }, spec: appPolicy(a, appsIn.get(a.ns) ?? [a], rnd) });
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
 * runAnalysisBench runs the benchmark and returns the printed report: parts 1 to 3 in this process,
 * part 4 (issue 12's scale) in child processes, one per entry point, for time and memory.
 */
export async function runAnalysisBench(): Promise<string> {
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
  lines.push(...scaleLines(await measureInChild(import.meta.url, 'scale-analyze'), await measureInChild(import.meta.url, 'scale-exposure')));
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

/** Issue 12's analysis target: 10,000 pods and 10,000 NetworkPolicies in under 2 s and 250 MB. */
const SCALE: SyntheticShape = { pods: 10_000, namespaces: 250, policies: 10_000, replicas: 5, seed: 2333 };
const TARGET_MS = 2000;
const TARGET_BYTES = 250e6;

/** The AIWorkload of the exposure case: five segments (apps of tenant-3), each declaring its callers. */
function scaleSegments(): Segment[] {
  const apps = [0, 1, 2, 3, 4].map((k) => `svc-${3 + k * SCALE.namespaces}`);
  return apps.map((app, k) => ({
    namespace: 'tenant-3',
    podSelector: { matchLabels: { app } },
    declaredIngress:
      k === 0
        ? [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 'http' }] }]
        : [{ from: [{ podSelector: { matchLabels: { app: apps[k - 1] as string } } }], ports: [{ port: 'http' }] }],
    declaredEgress: [],
  }));
}

/**
 * A case of part 4: the input is generated and the JIT warmed on a small cluster before the
 * baseline; then the entry point runs once on the scale cluster, timed, its result kept.
 */
function scaleCase(run: (facts: ClusterFacts) => { count: number; result: unknown }): BenchCase {
  let facts: ClusterFacts | undefined;
  return {
    prepare: () => {
      run(scaleCluster({ pods: 200, namespaces: 10, policies: 200, replicas: 5, seed: 7 }));
      facts = scaleCluster(SCALE);
      return Promise.resolve();
    },
    run: (probe) => {
      const input = facts as ClusterFacts;
      probe.keep(input);
      const cpu = process.cpuUsage();
      const t = time(() => run(input));
      const used = process.cpuUsage(cpu);
      probe.keep(t.result);
      // CPU time beside the wall time: on a shared machine the wall time includes other people's work.
      return { ms: t.ms, cpuMs: (used.user + used.system) / 1000, count: t.result.count };
    },
  };
}

const CASES: Record<string, BenchCase> = {
  'scale-analyze': scaleCase((f) => {
    const result = analyze(f);
    return { count: result.connections.length, result };
  }),
  // Dual stack, as the controller's exposure analysis runs (LIVE in src/controller/exposure.ts).
  'scale-exposure': scaleCase((f) => {
    const result = findExposures(f, scaleSegments(), { ipFamilies: 'Dual' });
    return { count: result.flat().length, result };
  }),
};

const decimalMb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

function scaleLines(full: ChildReport, exposure: ChildReport): string[] {
  const line = (label: string, r: ChildReport, what: string): string => {
    const ms = Number(r.figures['ms']);
    return `   ${label.padEnd(34)} ${ms.toFixed(0)} ms (CPU ${Number(r.figures['cpuMs']).toFixed(0)} ms); ${String(r.figures['count'])} ${what}; peak RSS ${decimalMb(r.peakRss)}, after GC RSS ${decimalMb(r.after.rss)} and heap ${decimalMb(r.after.heapUsed)} (result ${decimalMb(r.after.heapUsed - r.baseline.heapUsed)})`;
  };
  const verdict = (r: ChildReport): string => (Number(r.figures['ms']) < TARGET_MS && r.peakRss < TARGET_BYTES ? '' : ' MISSED');
  const target = (label: string, r: ChildReport): string =>
    `analysis, 10,000 pods + 10,000 NetworkPolicies, ${label}: ${Number(r.figures['ms']).toFixed(0)} ms (CPU ${Number(r.figures['cpuMs']).toFixed(0)} ms), peak RSS ${decimalMb(r.peakRss)} (target < ${TARGET_MS} ms, < ${decimalMb(TARGET_BYTES)})${verdict(r)}`;
  return [
    `4) ${SCALE.pods} pods, ${SCALE.namespaces} namespaces, ${SCALE.policies} policies (default-deny and DNS per namespace, per-app policies by pod and namespace selector, ipBlocks), each entry point in a child process of its own (input: heap ${decimalMb(full.baseline.heapUsed)})`,
    line('analyze (every pair of peers):', full, 'connected pairs'),
    line('findExposures (5 segments, dual):', exposure, 'findings'),
    target('analyze', full),
    target('findExposures of one AIWorkload', exposure),
  ];
}

const isChild = childCase(CASES);
const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly && !isChild) process.stdout.write(await runAnalysisBench());
