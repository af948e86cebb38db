// What AIWorkload specs declare, as connections between the hosts of a dataplane: the expected side
// of the probe matrices. It reads the specs only (flows, ingress, egress, roles, allowDNS, consent),
// never the generated NetworkPolicies or the analysis, so a compiler or analyzer bug cannot hide in
// both the expectation and the result. It models the features the samples use and throws on any
// other, so a new sample cannot be judged by a model that ignores part of it.
import { METADATA_ADDRESSES } from '../../src/api/constants.js';
import type { Protocol } from '../../src/dataplane/index.js';

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Port {
  name?: string;
  port: number;
  protocol?: Protocol;
}

interface WorkloadRef {
  namespace: string;
  name: string;
  component: string;
}

interface PeerSpec {
  namespace?: string;
  pods?: Selector;
  workload?: WorkloadRef;
  cidr?: string;
  except?: string[];
  platform?: 'DNS' | 'KubeAPIServer' | 'Monitoring';
}

export interface ComponentSpec {
  name: string;
  role?: string;
  selector: Selector;
  ports?: Port[];
  allowMetadataAccess?: boolean;
}

export interface WorkloadSpec {
  namespace: string;
  name: string;
  spec: {
    allowDNS?: boolean;
    components: ComponentSpec[];
    flows?: { from: string; to: string; ports?: string[] }[];
    ingress?: { to: string; from: PeerSpec; ports?: string[] }[];
    egress?: { from: string; to: PeerSpec; ports?: (number | string)[]; protocol?: Protocol }[];
  };
}

type EgressSpec = NonNullable<WorkloadSpec['spec']['egress']>[number];

/** A host as the model sees it: a pod (namespace, labels, declared ports) or an address outside. */
export interface ModelHost {
  key: string;
  pod?: { namespace: string; labels: Record<string, string>; ports: Port[] };
  addresses: string[];
}

export interface Platform {
  dns: { namespace: string; labels: Record<string, string> };
  monitoring: { namespace: string; labels: Record<string, string> };
  apiServer: { addresses: string[]; ports: number[] };
}

const NO_EGRESS = new Set(['Dataset', 'FeatureStore', 'VectorStore']);

export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (sel.matchExpressions ?? []).every((e) => expressionMatches(e, labels));
}

function expressionMatches(e: { key: string; operator: string; values?: string[] }, labels: Record<string, string>): boolean {
  const value = Object.hasOwn(labels, e.key) ? labels[e.key] : undefined;
  const listed = value !== undefined && (e.values ?? []).includes(value);
  const ok = { Exists: value !== undefined, DoesNotExist: value === undefined, In: listed, NotIn: !listed }[e.operator];
  if (ok === undefined) throw new Error(`selector operator ${e.operator} is not modelled`);
  return ok;
}

/** labelsFor returns labels that `sel` selects (for the pod of a component or a partner). */
export function labelsFor(sel: Selector): Record<string, string> {
  const labels = { ...sel.matchLabels };
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'Exists') labels[e.key] = 'yes';
    else if (e.operator === 'In') labels[e.key] = e.values?.[0] ?? '';
  }
  return labels;
}

interface Segment {
  w: WorkloadSpec;
  c: ComponentSpec;
}

export class Declared {
  constructor(private readonly workloads: readonly WorkloadSpec[], private readonly platform: Platform) {
    for (const w of workloads) checkModelled(w);
  }

  /** open: the specs allow a new connection from `src` to `dst`'s `address` on protocol/port. */
  open(src: ModelHost, dst: ModelHost, address: string, protocol: Protocol, port: number): boolean {
    return this.egressAllowed(src, dst, address, protocol, port) && this.ingressAllowed(src, dst, address, protocol, port);
  }

  segmentsOf(h: ModelHost): Segment[] {
    const pod = h.pod;
    if (pod === undefined) return [];
    return this.workloads.filter((w) => w.namespace === pod.namespace).flatMap((w) =>
      w.spec.components.filter((c) => selectorMatches(c.selector, pod.labels)).map((c) => ({ w, c })));
  }

  private egressAllowed(src: ModelHost, dst: ModelHost, address: string, protocol: Protocol, port: number): boolean {
    const segments = this.segmentsOf(src);
    if (segments.length === 0) return true;
    return segments.some(({ w, c }) => this.segmentEgress(w, c, dst, address, protocol, port));
  }

  /** What one segment's policy lets out: DNS, its own replicas (Training), flows, egress rules. */
  private segmentEgress(w: WorkloadSpec, c: ComponentSpec, dst: ModelHost, address: string, protocol: Protocol, port: number): boolean {
    const dns = w.spec.allowDNS !== false && this.isDns(dst) && port === 53;
    if (dns || (c.role === 'Training' && this.inSegment(dst, w, c.name))) return true;
    // A data store's only flows out are to its own replicas.
    const noEgress = NO_EGRESS.has(c.role ?? 'Generic');
    if (this.flowEgress(w, c, noEgress, dst, protocol, port)) return true;
    return !noEgress && (w.spec.egress ?? []).some((e) => e.from === c.name && this.egressRuleAllows(w, c, e, dst, address, protocol, port));
  }

  private flowEgress(w: WorkloadSpec, c: ComponentSpec, noEgress: boolean, dst: ModelHost, protocol: Protocol, port: number): boolean {
    const flows = (w.spec.flows ?? []).filter((f) => f.from === c.name && (!noEgress || f.to === c.name));
    return flows.some((f) => this.inSegment(dst, w, f.to) && portIn(component(w, f.to), f.ports, protocol, port));
  }

  private egressRuleAllows(w: WorkloadSpec, c: ComponentSpec, e: EgressSpec, dst: ModelHost, address: string, protocol: Protocol, port: number): boolean {
    const to = e.to;
    if (to.platform === 'KubeAPIServer') {
      return this.platform.apiServer.addresses.includes(address) && protocol === 'TCP' && (e.ports ?? this.platform.apiServer.ports).includes(port);
    }
    if (to.workload !== undefined) return this.workloadEgressAllows(w, c, e, to.workload, dst, protocol, port);
    if (to.cidr !== undefined) return cidrEgressAllows(c, e, to.cidr, dst, address, protocol, port);
    return this.podPeerMatches(to, w.namespace, dst) && namedOrPlainPortIn(e, dst, protocol, port);
  }

  private workloadEgressAllows(w: WorkloadSpec, c: ComponentSpec, e: EgressSpec, ref: WorkloadRef, dst: ModelHost, protocol: Protocol, port: number): boolean {
    const target = this.workload(ref.namespace, ref.name);
    if (target === undefined || !this.inSegment(dst, target, ref.component)) return false;
    return this.consentsToCaller(target, ref.component, w, c) && portIn(component(target, ref.component), e.ports?.map(String), protocol, port);
  }

  private ingressAllowed(src: ModelHost, dst: ModelHost, _address: string, protocol: Protocol, port: number): boolean {
    const segments = this.segmentsOf(dst);
    if (segments.length === 0) return true;
    // Only a declared port of the component is ever opened, but to its own replicas a Training
    // segment is open on every port and protocol (NCCL, Gloo and Ray pick theirs at run time).
    return segments.some(({ w, c }) => (c.role === 'Training' && this.inSegment(src, w, c.name)) || (portIn(c, undefined, protocol, port) && this.segmentIngress(w, c, src, protocol, port)));
  }

  /** What one segment's policy lets in: its own replicas (Training), flows, ingress rules. */
  private segmentIngress(w: WorkloadSpec, c: ComponentSpec, src: ModelHost, protocol: Protocol, port: number): boolean {
    if (c.role === 'Training' && this.inSegment(src, w, c.name)) return true;
    const flows = (w.spec.flows ?? []).filter((f) => f.to === c.name && (f.from === c.name || !NO_EGRESS.has(component(w, f.from).role ?? 'Generic')));
    if (flows.some((f) => this.inSegment(src, w, f.from) && portIn(c, f.ports, protocol, port))) return true;
    return (w.spec.ingress ?? []).some((i) => i.to === c.name && portIn(c, i.ports, protocol, port) && this.ingressPeerMatches(w, c, i.from, src));
  }

  private ingressPeerMatches(w: WorkloadSpec, c: ComponentSpec, from: PeerSpec, src: ModelHost): boolean {
    if (from.platform === 'Monitoring') return src.pod !== undefined && src.pod.namespace === this.platform.monitoring.namespace && selectorMatches({ matchLabels: this.platform.monitoring.labels }, src.pod.labels);
    if (from.cidr !== undefined) return src.pod === undefined && src.addresses.some((a) => inCidr(a, from.cidr ?? '') && !(from.except ?? []).some((x) => inCidr(a, x)));
    if (from.workload !== undefined) {
      const caller = this.workload(from.workload.namespace, from.workload.name);
      return caller !== undefined && this.inSegment(src, caller, from.workload.component) && this.callerDeclares(caller, from.workload.component, w, c);
    }
    return this.podPeerMatches(from, w.namespace, src);
  }

  /** The callee consents to a caller: an ingress naming it, or a pod/namespace peer covering its pods. */
  private consentsToCaller(callee: WorkloadSpec, calleeComponent: string, caller: WorkloadSpec, callerComponent: ComponentSpec): boolean {
    const probe: ModelHost = { key: 'consent', pod: { namespace: caller.namespace, labels: labelsFor(callerComponent.selector), ports: [] }, addresses: [] };
    return (callee.spec.ingress ?? []).some((i) => {
      if (i.to !== calleeComponent) return false;
      if (i.from.workload !== undefined) return i.from.workload.namespace === caller.namespace && i.from.workload.name === caller.name && i.from.workload.component === callerComponent.name;
      return i.from.platform === undefined && i.from.cidr === undefined && this.podPeerMatches(i.from, callee.namespace, probe);
    });
  }

  private callerDeclares(caller: WorkloadSpec, callerComponent: string, callee: WorkloadSpec, calleeComponent: ComponentSpec): boolean {
    return (caller.spec.egress ?? []).some((e) => e.from === callerComponent && e.to.workload?.namespace === callee.namespace && e.to.workload.name === callee.name && e.to.workload.component === calleeComponent.name);
  }

  private podPeerMatches(peer: PeerSpec, ownNamespace: string, h: ModelHost): boolean {
    if (h.pod === undefined) return false;
    return h.pod.namespace === (peer.namespace ?? ownNamespace) && (peer.pods === undefined || selectorMatches(peer.pods, h.pod.labels));
  }

  private isDns(h: ModelHost): boolean {
    const { namespace, labels } = this.platform.dns;
    return h.pod !== undefined && h.pod.namespace === namespace && selectorMatches({ matchLabels: labels }, h.pod.labels);
  }

  private inSegment(h: ModelHost, w: WorkloadSpec, componentName: string): boolean {
    return h.pod !== undefined && h.pod.namespace === w.namespace && selectorMatches(component(w, componentName).selector, h.pod.labels);
  }

  private workload(namespace: string, name: string): WorkloadSpec | undefined {
    return this.workloads.find((w) => w.namespace === namespace && w.name === name);
  }
}

function component(w: WorkloadSpec, name: string): ComponentSpec {
  const c = w.spec.components.find((x) => x.name === name);
  if (c === undefined) throw new Error(`${w.namespace}/${w.name} has no component ${name}`);
  return c;
}

/** portIn: `port` is one of c's declared ports named in `names` (all of them when omitted). */
function portIn(c: ComponentSpec, names: readonly string[] | undefined, protocol: Protocol, port: number): boolean {
  return (c.ports ?? []).some((p) => (names === undefined || names.includes(p.name ?? '')) && p.port === port && (p.protocol ?? 'TCP') === protocol);
}

function cidrEgressAllows(c: ComponentSpec, e: EgressSpec, cidr: string, dst: ModelHost, address: string, protocol: Protocol, port: number): boolean {
  if (dst.pod !== undefined) return false; // ipBlocks select addresses outside the cluster
  const metadata = c.allowMetadataAccess !== true && METADATA_ADDRESSES.some((m) => m.split('/')[0] === address);
  const excepted = (e.to.except ?? []).some((x) => inCidr(address, x));
  return !metadata && !excepted && inCidr(address, cidr) && plainPortIn(e.ports, e.protocol ?? 'TCP', protocol, port);
}

/** Ports of an egress rule to pods: numbers, or names of the destination pod's ports. */
function namedOrPlainPortIn(e: EgressSpec, dst: ModelHost, protocol: Protocol, port: number): boolean {
  const named = (name: string): boolean => dst.pod?.ports.some((dp) => dp.name === name && dp.port === port && (dp.protocol ?? 'TCP') === protocol) ?? false;
  return e.ports === undefined || e.ports.some((p) => (typeof p === 'number' ? p === port && protocol === (e.protocol ?? 'TCP') : named(p)));
}

function plainPortIn(ports: readonly (number | string)[] | undefined, ruleProtocol: Protocol, protocol: Protocol, port: number): boolean {
  return protocol === ruleProtocol && (ports === undefined || ports.includes(port));
}

function checkModelled(w: WorkloadSpec): void {
  for (const c of w.spec.components) {
    for (const p of c.ports ?? []) if ('endPort' in p) throw new Error(`${w.name}/${c.name}: endPort is not modelled`);
  }
}

/** inCidr for IPv4 and IPv6 text addresses. */
export function inCidr(address: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  if (address.includes(':') !== base.includes(':')) return false;
  const width = address.includes(':') ? 128 : 32;
  const bits = Number(bitsText);
  // Without the IPv6 offset, which would carry into the prefix bits.
  const raw = (ip: string): bigint => addressValue(ip) - (ip.includes(':') ? 1n << 32n : 0n);
  const shift = BigInt(width - bits);
  return raw(address) >> shift === raw(base) >> shift;
}

/**
 * addressValue is an address as a number: IPv4 below 2^32, IPv6 above it, so one comparison
 * orders both families (the suites' own parser: the analysis's is what they check).
 */
export function addressValue(ip: string): bigint {
  if (!ip.includes(':')) return ip.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return (1n << 32n) + groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}
