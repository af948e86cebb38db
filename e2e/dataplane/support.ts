// What the dataplane suites share: applying samples, the API server's endpoint, and a world of
// hosts probed as a matrix against both the declarations and the analysis.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { type Dataplane, type HostRecord, type Probe, matrixProbes, probeKey, runMatrix } from '../harness/dataplane.js';
import { repoRoot } from '../harness/operator.js';
import { liveVerdicts } from './analysis.js';
import { Declared, type WorkloadSpec } from './declared.js';
import { API_SERVER, PLATFORM, createWorld, modelHosts, planWorld, type HostPlan } from './world.js';

export function readSample(file: string): WorkloadSpec[] {
  const docs = loadAll(readFileSync(path.join(repoRoot(), 'samples', file), 'utf8')) as { kind?: string; metadata: { name: string; namespace: string }; spec: WorkloadSpec['spec'] }[];
  return docs.filter((d) => d.kind === 'AIWorkload').map((d) => ({ namespace: d.metadata.namespace, name: d.metadata.name, spec: d.spec }));
}

export async function ensureNamespace(ns: string): Promise<void> {
  if ((await kubectl(['get', 'namespace', ns])).code !== 0) await kubectlOk(['create', 'namespace', ns]);
  await waitFor(async () => (await kubectl(['-n', ns, 'get', 'serviceaccount', 'default'])).code === 0, { timeoutMs: 60_000, description: `ServiceAccount ${ns}/default` });
}

/** The default/kubernetes EndpointSlice naming the dataplane's stand-in for the API server. */
export async function publishApiServerEndpoint(): Promise<void> {
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [API_SERVER.address], conditions: { ready: true } }],
    ports: [{ name: 'https', port: API_SERVER.port, protocol: 'TCP' }],
  };
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=bulkhead-dataplane-test', '-f', '-'], { input: JSON.stringify(slice) });
}

export async function applyWorkloads(file: string, workloads: readonly WorkloadSpec[]): Promise<void> {
  for (const w of workloads) await ensureNamespace(w.namespace);
  await kubectlOk(['apply', '-f', path.join(repoRoot(), 'samples', file)]);
  for (const w of workloads) {
    // Segments are enforced also when a permission lies beyond the operator's ceiling (the shipped
    // ceiling grants get; ray-training asks for watch too): that Role is not granted, and says so.
    await waitFor(async () => {
      const r = await kubectl(['-n', w.namespace, 'get', 'aiworkload', w.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}']);
      return r.stdout === 'True/Applied' || r.stdout === 'False/PermissionsOutsideCeiling' ? true : (() => { throw new Error(`Ready is ${r.stdout}`); })();
    }, { timeoutMs: 60_000, description: `${w.namespace}/${w.name} to enforce its segments` });
  }
}

export interface World {
  plans: HostPlan[];
  hosts: HostRecord[];
  declared: Declared;
  probes: Probe[];
}

export async function buildWorld(dp: Dataplane, workloads: readonly WorkloadSpec[]): Promise<World> {
  const plans = planWorld(workloads);
  const hosts = await createWorld(dp, plans, ensureNamespace);
  // Every pod probes every host; of the outside hosts only the internet opens connections (to
  // show that nothing from outside reaches a segment that did not ask for it).
  const sources = hosts.filter((h) => h.pod !== undefined || h.key === 'internet');
  return { plans, hosts, declared: new Declared(workloads, PLATFORM), probes: matrixProbes(sources, hosts) };
}

export interface MatrixReport {
  probes: number;
  open: number;
  /** The probes that connected in the last round. */
  opened: Probe[];
  /** Probes whose packets disagree with the declarations. */
  undeclared: string[];
  /** Probes whose packets disagree with `bulkhead explain --live`. */
  analysisDisagrees: string[];
}

/**
 * checkMatrix probes the world until the packets match the declarations (the enforcer learns new
 * pods from its watch, so the first rounds after creating them may lag), then compares the last
 * round with the analysis of the live cluster.
 */
export async function checkMatrix(dp: Dataplane, world: World, opts: { timeoutMs?: number } = {}): Promise<MatrixReport> {
  const model = modelHosts(world.plans, world.hosts);
  const byKey = new Map(world.hosts.map((h) => [h.key, h]));
  const expected = new Set(world.probes.filter((p) => {
    const src = model.get(p.from);
    const dst = model.get(p.to);
    return src !== undefined && dst !== undefined && world.declared.open(src, dst, p.address, p.protocol, p.port);
  }).map(probeKey));
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let undeclared: string[];
  let open: Set<string>;
  for (;;) {
    open = (await runMatrix(dp, world.probes)).open;
    undeclared = world.probes.map(probeKey).filter((k) => open.has(k) !== expected.has(k)).map((k) => `${k}: ${open.has(k) ? 'connected, not declared' : 'refused, declared'}`);
    if (undeclared.length === 0 || Date.now() >= deadline) break;
  }
  const verdicts = await liveVerdicts();
  const analysisDisagrees = world.probes.filter((p) => {
    const src = byKey.get(p.from);
    const allows = src === undefined ? undefined : verdicts.allows(p, src, byKey.get(p.to));
    return allows !== undefined && allows !== open.has(probeKey(p));
  }).map((p) => `${probeKey(p)}: packets ${open.has(probeKey(p)) ? 'connected' : 'refused'}, analysis ${open.has(probeKey(p)) ? 'denies' : 'allows'}`);
  const last = open;
  return { probes: world.probes.length, open: open.size, opened: world.probes.filter((p) => last.has(probeKey(p))), undeclared, analysisDisagrees };
}

/** removeWorld removes every host of the world from the dataplane (and its Pod objects). */
export async function removeWorld(dp: Dataplane, world: World): Promise<void> {
  for (const h of world.hosts) {
    if (h.pod !== undefined) await dp.removePod(h.pod.namespace, h.pod.name);
    else await dp.removeHost(h.key);
  }
}
