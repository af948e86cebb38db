// The hosts a sample is probed with: a pod per component and a label impostor of it (same labels,
// default ServiceAccount), an intruder in the same namespace, a look-alike of every component in
// another namespace, for every pod peer a partner and an
// impostor with the wrong labels in the namespace that is allowed in, the platform's DNS and
// Prometheus pods, the API server's endpoint, a listener inside every CIDR a rule names and one in
// each of its excepts, and the cloud metadata endpoints.
import type { Dataplane, HostRecord } from '../harness/dataplane.js';
import { type ModelHost, type Platform, type Selector, type WorkloadSpec, inCidr, labelsFor } from './declared.js';
import type { PodPort } from '../../src/dataplane/index.js';
import { METADATA_ADDRESSES } from '../../src/api/constants.js';

export const LOOKALIKE_NAMESPACE = 'bhdp-lookalike';
/** Where the harness puts the API server's endpoint (an outside host; the EndpointSlice names it). */
export const API_SERVER = { address: '198.18.0.10', port: 6443 };
/** Every cloud metadata endpoint of the operator's default list (--metadata-cidrs), by family. */
export const METADATA = {
  ipv4: METADATA_ADDRESSES.filter((a) => !a.includes(':')).map((a) => a.split('/')[0] as string),
  ipv6: METADATA_ADDRESSES.filter((a) => a.includes(':')).map((a) => a.split('/')[0] as string),
  port: 80,
};
/** An address on the internet as segments see it (TEST-NET-3 and the IPv6 documentation range). */
export const INTERNET = { ipv4: '203.0.113.10', ipv6: '2001:db8::10' };
const EXTRA_PORT = 8080;

export const PLATFORM: Platform = {
  dns: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  monitoring: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
  apiServer: { addresses: [API_SERVER.address], ports: [API_SERVER.port] },
};

/** A host to create: a pod, or an outside listener. */
export interface HostPlan {
  key: string;
  pod?: { namespace: string; name: string; labels: Record<string, string>; ports: PodPort[]; serviceAccountName?: string };
  outside?: { ipv4: string[]; ipv6: string[]; ports: number[] };
}

type Plans = Map<string, HostPlan>;

const addPod = (plans: Plans, namespace: string, name: string, labels: Record<string, string>, ports: PodPort[], serviceAccountName?: string): void => {
  const key = `${namespace}/${name}`;
  if (!plans.has(key)) plans.set(key, { key, pod: { namespace, name, labels, ports, ...(serviceAccountName === undefined ? {} : { serviceAccountName }) } });
};

const addOutside = (plans: Plans, name: string, ipv4: string[], ipv6: string[], ports: number[]): void => {
  if (!plans.has(name)) plans.set(name, { key: name, outside: { ipv4, ipv6, ports } });
};

/** planWorld lists the hosts for a set of workloads (a sample and its cross-namespace partners). */
export function planWorld(workloads: readonly WorkloadSpec[]): HostPlan[] {
  const plans: Plans = new Map();
  addPod(plans, PLATFORM.dns.namespace, 'kube-dns', PLATFORM.dns.labels, [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'extra', port: EXTRA_PORT }]);
  addPod(plans, PLATFORM.monitoring.namespace, 'prometheus', PLATFORM.monitoring.labels, [{ name: 'web', port: 9090 }]);
  addOutside(plans, 'apiserver', [API_SERVER.address], [], [API_SERVER.port, EXTRA_PORT]);
  // One host per pair of endpoints (one address per family): a host answers UDP from its first
  // address of a family only, so a probe of any other address of it would go unanswered.
  for (let i = 0; i < Math.max(METADATA.ipv4.length, METADATA.ipv6.length); i++) {
    addOutside(plans, i === 0 ? 'metadata' : `metadata-${i + 1}`, METADATA.ipv4.slice(i, i + 1), METADATA.ipv6.slice(i, i + 1), [METADATA.port, 443]);
  }
  addOutside(plans, 'internet', [INTERNET.ipv4], [INTERNET.ipv6], [443, EXTRA_PORT]);
  for (const w of workloads) {
    planSegments(plans, w);
    planPeers(plans, w);
  }
  return [...plans.values()];
}

/**
 * A pod per component, a label impostor of it (its labels, the default ServiceAccount: what
 * bulkhead-segment-membership refuses when it is installed, which it is not here), its look-alike
 * in another namespace, and an intruder on every port.
 */
function planSegments(plans: Plans, w: WorkloadSpec): void {
  const allPorts = new Map<number, PodPort>();
  for (const c of w.spec.components) {
    const ports = (c.ports ?? []).map((p) => ({ ...(p.name === undefined ? {} : { name: p.name }), port: p.port, protocol: p.protocol ?? 'TCP' }));
    for (const p of ports) allPorts.set(p.port, { port: p.port, protocol: p.protocol });
    addPod(plans, w.namespace, `${w.name}-${c.name}`, labelsFor(c.selector), ports, serviceAccount(w.name, c.name));
    addPod(plans, w.namespace, impostorOf(w.name, c.name), labelsFor(c.selector), ports);
    addPod(plans, LOOKALIKE_NAMESPACE, `${w.name}-${c.name}`, labelsFor(c.selector), ports);
  }
  addPod(plans, w.namespace, 'intruder', { app: 'intruder' }, [...allPorts.values(), { port: EXTRA_PORT }]);
}

/** For each pod peer a partner and an impostor; for each CIDR a listener inside and one per except. */
function planPeers(plans: Plans, w: WorkloadSpec): void {
  for (const [peer, ports] of podPeers(w)) {
    const ns = peer.namespace ?? w.namespace;
    const listen = [...ports, { port: EXTRA_PORT }];
    addPod(plans, ns, `partner-${shortHash(JSON.stringify(peer.pods ?? {}))}`, peer.pods === undefined ? { app: 'partner' } : labelsFor(peer.pods), listen);
    addPod(plans, ns, 'impostor', { app: 'impostor' }, listen);
  }
  for (const rule of cidrRules(w)) planCidr(plans, rule);
}

function planCidr(plans: Plans, rule: { cidr: string; except?: string[]; ports?: (number | string)[] }): void {
  const ports = [...(rule.ports ?? []).filter((p): p is number => typeof p === 'number'), EXTRA_PORT];
  const inside = addressInside(rule.cidr, rule.except ?? []);
  // 0.0.0.0/0 is the internet host's.
  if (inside !== undefined && !rule.cidr.startsWith('0.0.0.0/')) addOutside(plans, `in-${rule.cidr}`, [inside], [], ports);
  for (const x of rule.except ?? []) {
    const a = addressInside(x, []);
    if (a !== undefined) addOutside(plans, `except-${x}`, [a], [], ports);
  }
}

/** The pod that copies component `component`'s labels under the default ServiceAccount. */
export const impostorOf = (workload: string, component: string): string => `${workload}-${component}-impostor`;

/** serviceAccount is the generated name `<workload>-<component>` (short enough for every sample). */
export const serviceAccount = (workload: string, component: string): string => `${workload}-${component}`;

function podPeers(w: WorkloadSpec): [{ namespace?: string; pods?: Selector }, PodPort[]][] {
  const out: [{ namespace?: string; pods?: Selector }, PodPort[]][] = [];
  for (const i of w.spec.ingress ?? []) if (isPodPeer(i.from)) out.push([i.from, []]);
  for (const e of w.spec.egress ?? []) {
    if (!isPodPeer(e.to)) continue;
    const ports = (e.ports ?? []).filter((p): p is number => typeof p === 'number').map((port) => ({ port, protocol: e.protocol ?? 'TCP' }));
    out.push([e.to, ports]);
  }
  return out;
}

const isPodPeer = (p: { namespace?: string; pods?: Selector; workload?: unknown; cidr?: string; platform?: string }): boolean =>
  p.workload === undefined && p.cidr === undefined && p.platform === undefined;

function cidrRules(w: WorkloadSpec): { cidr: string; except?: string[]; ports?: (number | string)[] }[] {
  return (w.spec.egress ?? []).flatMap((e) => (e.to.cidr === undefined ? [] : [{ cidr: e.to.cidr, ...(e.to.except === undefined ? {} : { except: e.to.except }), ...(e.ports === undefined ? {} : { ports: e.ports }) }]));
}

/** addressInside picks an IPv4 address in `cidr`, outside every except and the pod ranges. */
export function addressInside(cidr: string, except: readonly string[]): string | undefined {
  const [base = '', bits = '32'] = cidr.split('/');
  if (base.includes(':')) return undefined;
  const start = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  for (const offset of [10, 266, 65_546, 16_777_226]) {
    if (offset >= size) break;
    const n = start + offset;
    const a = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
    if (!except.some((x) => inCidr(a, x)) && !inCidr(a, '10.244.0.0/16')) return a;
  }
  return undefined;
}

function shortHash(s: string): string {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).slice(0, 5);
}

/** createWorld creates the namespaces and hosts of a plan in the dataplane. */
export async function createWorld(dp: Dataplane, plans: readonly HostPlan[], ensureNamespace: (ns: string) => Promise<void>): Promise<HostRecord[]> {
  const namespaces = new Set(plans.flatMap((p) => (p.pod === undefined ? [] : [p.pod.namespace])));
  for (const ns of namespaces) await ensureNamespace(ns);
  const hosts = await dp.addPods(plans.flatMap((p) => (p.pod === undefined ? [] : [p.pod])));
  for (const p of plans) if (p.outside !== undefined) hosts.push(await dp.addOutside({ name: p.key, ...p.outside }));
  return hosts;
}

/** modelHosts pairs the dataplane's hosts with what the model needs to know of them. */
export function modelHosts(plans: readonly HostPlan[], hosts: readonly HostRecord[]): Map<string, ModelHost> {
  const byKey = new Map(hosts.map((h) => [h.key, h]));
  return new Map(plans.map((p) => {
    const h = byKey.get(p.key);
    const addresses = h === undefined ? [] : [...h.ipv4, ...h.ipv6];
    return [p.key, { key: p.key, addresses, ...(p.pod === undefined ? {} : { pod: { namespace: p.pod.namespace, labels: p.pod.labels, ports: p.pod.ports.map((x) => ({ ...x, protocol: x.protocol === 'UDP' ? 'UDP' as const : 'TCP' as const })) } }) }];
  }));
}
