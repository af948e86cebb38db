// The segment map: a graph of what AIWorkloads declare and what the analysis found, for
// `bulkhead explain -o dot|mermaid` and `bulkhead report`. Pure: the caller gathers the workloads,
// the exposure findings, the overlaps and (live) the conditions; the writers in this folder turn
// the graph into DOT, Mermaid or an HTML page. Nodes are the components (grouped by AIWorkload)
// and the peers they name; edges are the declared flows, ingress and egress, DNS, and what must
// stand out: an exposure (from the peer that can connect without a declaration), an overlap
// (two segments sharing a pod) and a consent-pending or unresolved peer (a declaration that opens
// nothing yet).
import type { ExposureFinding } from '../analysis/exposure.js';
import { formatSelector } from '../analysis/selectors.js';
import { NO_EGRESS_ROLES } from '../api/validate.js';
import type { AIWorkloadSpec, Component, EgressRule, IngressRule, Peer } from '../api/types.js';
import type { CompileFacts, WorkloadInput } from '../compile/facts.js';
import type { NetworkPolicyPort } from '../compile/objects.js';
import { type ResolvedPeer, resolveEgressPeer, resolveIngressPeer } from '../compile/peers.js';
import { plainPorts, targetPorts } from '../compile/ports.js';

export type NodeKind = 'component' | 'peer' | 'exposer';
export type EdgeKind = 'flow' | 'ingress' | 'egress' | 'dns' | 'exposure' | 'pending' | 'unresolved' | 'overlap';
/** In the order a node lists them, whatever order the findings came in. */
export const HIGHLIGHTS = ['exposed', 'overlap', 'pending'] as const;
export type Highlight = (typeof HIGHLIGHTS)[number];

export interface MapNode {
  /** Unique and readable: `ns/workload/component`, `cidr 10.0.0.0/8`, `ns/pod[Pod]`. The DOT node name (the SVG title). */
  key: string;
  /** A DOM id made of [a-z0-9-] only, stable for the key. */
  id: string;
  kind: NodeKind;
  /** Lines to print in the node. */
  label: string[];
  /** `ns/name` of the AIWorkload whose component this is. */
  workload?: string;
  highlights: Highlight[];
}

export interface MapEdge {
  key: string;
  id: string;
  /** Node keys. */
  from: string;
  to: string;
  kind: EdgeKind;
  label: string;
  /** Longer text: the policies, the pods, the consent message. */
  detail: string;
}

export interface MapCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface WorkloadPanel {
  /** `ns/name`. */
  key: string;
  id: string;
  /** Components drawn; 0 for a workload that could not be drawn (its spec is invalid). */
  components: number;
  conditions: MapCondition[];
}

export interface SegmentMap {
  title: string;
  /** Where the facts came from, as the page says it: files, or the cluster. */
  source: string;
  workloads: WorkloadPanel[];
  /** Sorted by key. */
  nodes: MapNode[];
  /** Sorted by key. */
  edges: MapEdge[];
}

/** Pods that the selectors of two or more segments match. */
export interface PodOverlap {
  pod: string;
  /** The AIWorkload (by name, in the pod's namespace) and component of each segment. */
  segments: readonly { workload: string; component: string }[];
}

export interface MappedWorkload {
  namespace: string;
  name: string;
  /** Undefined when the spec is invalid: the workload gets its panel but nothing is drawn. */
  spec?: AIWorkloadSpec;
  exposures: readonly { component: string; findings: readonly ExposureFinding[] }[];
  overlaps: readonly PodOverlap[];
  /** The conditions to show beside the map: the operator's (live), or those the findings make (files). */
  conditions: readonly MapCondition[];
}

export interface MapInput {
  title: string;
  source: string;
  /** `files`: the API server's addresses are not known, so a KubeAPIServer peer is drawn as declared. */
  mode: 'files' | 'live';
  workloads: readonly MappedWorkload[];
  facts: CompileFacts;
}

/** Exposing peers drawn per component and direction; the rest are one node that counts them. */
export const MAX_EXPOSERS = 8;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** FNV-1a, 32 bits: a short stable suffix that keeps ids unique when slugs collide. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** A DOM id from any text: lowercase letters, digits and '-', with a hash of the text. */
export function safeId(prefix: string, text: string): string {
  const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return `${prefix}-${slug}${slug === '' ? '' : '-'}${hash(text)}`;
}

const componentKey = (namespace: string, workload: string, component: string): string => `${namespace}/${workload}/${component}`;

function formatPort(p: NetworkPolicyPort, names: ReadonlyMap<string, string>): string {
  const range = p.endPort !== undefined ? `${p.port}-${p.endPort}` : String(p.port ?? 'any');
  const name = names.get(`${p.protocol ?? 'TCP'}/${String(p.port)}`);
  return `${name !== undefined ? `${name} ` : ''}${range}/${p.protocol ?? 'TCP'}`;
}

/** `grpc 9000/TCP, metrics 9090/TCP`, or `any port`. */
function portsLabel(ports: readonly NetworkPolicyPort[] | undefined, target?: Component): string {
  if (ports === undefined || ports.length === 0) return 'any port';
  const names = new Map((target?.ports ?? []).map((p) => [`${p.protocol ?? 'TCP'}/${p.port}`, p.name]));
  return ports.map((p) => formatPort(p, names)).join(', ');
}

/** The node key of a declared peer, and its label. */
function peerNode(peer: Peer, namespace: string): { key: string; label: string[] } {
  if (peer.workload !== undefined) {
    const key = componentKey(peer.workload.namespace, peer.workload.name, peer.workload.component);
    return { key, label: [peer.workload.component, `AIWorkload ${peer.workload.namespace}/${peer.workload.name}`] };
  }
  if (peer.cidr !== undefined) {
    const except = peer.except !== undefined && peer.except.length > 0 ? ` except ${peer.except.join(', ')}` : '';
    return { key: `cidr ${peer.cidr}${except}`, label: [`${peer.cidr}${except}`, 'address range'] };
  }
  if (peer.platform !== undefined) return { key: `platform ${peer.platform}`, label: [peer.platform, 'platform'] };
  const ns = peer.namespace ?? namespace;
  if (peer.pods === undefined) return { key: `namespace ${ns}`, label: [`namespace ${ns}`, 'every pod'] };
  const pods = formatSelector(peer.pods);
  return { key: `namespace ${ns} pods ${pods}`, label: [`pods ${pods}`, `in namespace ${ns}`] };
}

/** Accumulates nodes and edges; the first writer of a key wins, highlights add up. */
class Builder {
  readonly nodes = new Map<string, MapNode>();
  readonly edges = new Map<string, MapEdge>();

  node(key: string, kind: NodeKind, label: string[], workload?: string): MapNode {
    const existing = this.nodes.get(key);
    // A component drawn later than a peer that named it takes the node over.
    if (existing !== undefined && !(kind === 'component' && existing.kind !== 'component')) return existing;
    const node: MapNode = { key, id: safeId('node', key), kind, label, highlights: existing?.highlights ?? [], ...(workload !== undefined ? { workload } : {}) };
    this.nodes.set(key, node);
    return node;
  }

  highlight(key: string, h: Highlight): void {
    const node = this.nodes.get(key);
    if (node !== undefined && !node.highlights.includes(h)) node.highlights.push(h);
  }

  edge(from: string, to: string, kind: EdgeKind, label: string, detail: string): void {
    const key = `${from} -> ${to} ${kind}`;
    if (!this.edges.has(key)) this.edges.set(key, { key, id: safeId('edge', key), from, to, kind, label, detail });
  }
}

interface WorkloadContext {
  b: Builder;
  self: WorkloadInput & { spec: AIWorkloadSpec };
  facts: CompileFacts;
  mode: MapInput['mode'];
  byName: ReadonlyMap<string, Component>;
}

const keyOf = (ctx: WorkloadContext, component: string): string => componentKey(ctx.self.namespace, ctx.self.name, component);

function addComponents(ctx: WorkloadContext): void {
  const workload = `${ctx.self.namespace}/${ctx.self.name}`;
  for (const c of ctx.self.spec.components) ctx.b.node(keyOf(ctx, c.name), 'component', [c.name, c.role ?? 'Generic'], workload);
}

function addFlows(ctx: WorkloadContext): void {
  for (const f of ctx.self.spec.flows ?? []) {
    const target = ctx.byName.get(f.to);
    if (target === undefined) continue;
    ctx.b.edge(keyOf(ctx, f.from), keyOf(ctx, f.to), 'flow', portsLabel(targetPorts(target, f.ports), target), `flow ${f.from} -> ${f.to}`);
  }
  for (const c of ctx.self.spec.components) {
    if (c.role === 'Training') ctx.b.edge(keyOf(ctx, c.name), keyOf(ctx, c.name), 'flow', 'any port', 'Training: its pods talk to each other');
  }
}

function addDns(ctx: WorkloadContext): void {
  if (!ctx.self.spec.allowDNS) return;
  ctx.b.node('platform DNS', 'peer', ['DNS', 'platform']);
  for (const c of ctx.self.spec.components) ctx.b.edge(keyOf(ctx, c.name), 'platform DNS', 'dns', '53/UDP, 53/TCP', 'allowDNS');
}

/** The kind of a declared edge: as declared, or why it opens nothing yet. */
function declaredKind(resolved: ResolvedPeer, direction: 'ingress' | 'egress', peer: Peer, ctx: WorkloadContext): { kind: EdgeKind; detail: string } {
  if (resolved.ok || (ctx.mode === 'files' && peer.platform === 'KubeAPIServer')) {
    // A flow between two AIWorkloads that both declared it is drawn once, as a flow.
    if (peer.workload !== undefined) return { kind: 'flow', detail: 'flow between AIWorkloads: both sides declared it' };
    return { kind: direction, detail: `declared ${direction}` };
  }
  const { problem } = resolved;
  return problem.kind === 'consentPending'
    ? { kind: 'pending', detail: `consent pending: ${problem.message}` }
    : { kind: 'unresolved', detail: `unresolved: ${problem.peer}: ${problem.message}` };
}

function addIngress(ctx: WorkloadContext, rule: IngressRule): void {
  const to = ctx.byName.get(rule.to);
  if (to === undefined) return;
  const peer = peerNode(rule.from, ctx.self.namespace);
  ctx.b.node(peer.key, 'peer', peer.label);
  const { kind, detail } = declaredKind(resolveIngressPeer(rule, to, ctx.self, ctx.facts), 'ingress', rule.from, ctx);
  ctx.b.edge(peer.key, keyOf(ctx, to.name), kind, portsLabel(targetPorts(to, rule.ports), to), detail);
  if (kind === 'pending') ctx.b.highlight(keyOf(ctx, to.name), 'pending');
}

function egressPortsLabel(rule: EgressRule, ctx: WorkloadContext): string {
  const w = rule.to.workload;
  const target = w === undefined ? undefined : ctx.facts.workloads.get(`${w.namespace}/${w.name}`)?.spec.components.find((c) => c.name === w.component);
  if (target !== undefined) return portsLabel(targetPorts(target, rule.ports), target);
  if (rule.to.platform === 'KubeAPIServer') return portsLabel(plainPorts(rule.ports ?? ctx.facts.kubeAPIServer?.ports ?? [443, 6443], 'TCP'));
  return portsLabel(plainPorts(rule.ports, rule.protocol ?? 'TCP'));
}

function addEgress(ctx: WorkloadContext, rule: EgressRule): void {
  const from = ctx.byName.get(rule.from);
  // DNS with allowDNS is the DNS edge already; a data store's egress is refused by validation.
  if (from === undefined || (rule.to.platform === 'DNS' && ctx.self.spec.allowDNS) || NO_EGRESS_ROLES.has(from.role ?? 'Generic')) return;
  const peer = peerNode(rule.to, ctx.self.namespace);
  ctx.b.node(peer.key, 'peer', peer.label);
  const { kind, detail } = declaredKind(resolveEgressPeer(rule, from, ctx.self, ctx.facts), 'egress', rule.to, ctx);
  ctx.b.edge(keyOf(ctx, from.name), peer.key, kind, egressPortsLabel(rule, ctx), detail);
  if (kind === 'pending') ctx.b.highlight(keyOf(ctx, from.name), 'pending');
}

interface ExposureGroup {
  peer: string;
  conns: Set<string>;
  policies: Set<string>;
  pods: Set<string>;
}

/** Findings of one component and direction, one group per peer, in the findings' order. */
function groupFindings(findings: readonly ExposureFinding[], direction: ExposureFinding['direction']): ExposureGroup[] {
  const groups = new Map<string, ExposureGroup>();
  for (const f of findings.filter((x) => x.direction === direction)) {
    const [peer, pod] = direction === 'Ingress' ? [f.source.id, f.target.id] : [f.target.id, f.source.id];
    const g = groups.get(peer) ?? { peer, conns: new Set(), policies: new Set(), pods: new Set() };
    g.conns.add(f.excess.toString());
    for (const p of f.policies.length > 0 ? f.policies : ['no policy isolates it']) g.policies.add(p);
    g.pods.add(pod);
    groups.set(peer, g);
  }
  return [...groups.values()];
}

function addExposureGroup(ctx: WorkloadContext, component: string, direction: ExposureFinding['direction'], g: ExposureGroup): void {
  ctx.b.node(g.peer, 'exposer', [g.peer, 'undeclared peer']);
  const [from, to] = direction === 'Ingress' ? [g.peer, keyOf(ctx, component)] : [keyOf(ctx, component), g.peer];
  const verb = direction === 'Ingress' ? 'can reach' : 'is reachable from';
  ctx.b.edge(from, to, 'exposure', [...g.conns].join('; '), `exposed: ${g.peer} ${verb} ${[...g.pods].join(', ')} via ${[...g.policies].join(', ')}`);
}

function addExposures(ctx: WorkloadContext, exposures: MappedWorkload['exposures']): void {
  for (const e of exposures) {
    if (!ctx.byName.has(e.component)) continue;
    ctx.b.highlight(keyOf(ctx, e.component), 'exposed');
    for (const direction of ['Ingress', 'Egress'] as const) {
      const groups = groupFindings(e.findings, direction);
      for (const g of groups.slice(0, MAX_EXPOSERS)) addExposureGroup(ctx, e.component, direction, g);
      if (groups.length > MAX_EXPOSERS) addMoreExposers(ctx, e.component, direction, groups.slice(MAX_EXPOSERS));
    }
  }
}

function addMoreExposers(ctx: WorkloadContext, component: string, direction: ExposureFinding['direction'], rest: readonly ExposureGroup[]): void {
  const key = `${keyOf(ctx, component)} ${direction} ${rest.length} more`;
  ctx.b.node(key, 'exposer', [`${rest.length} more peers`, 'bulkhead exposure lists them']);
  const [from, to] = direction === 'Ingress' ? [key, keyOf(ctx, component)] : [keyOf(ctx, component), key];
  ctx.b.edge(from, to, 'exposure', [...new Set(rest.flatMap((g) => [...g.conns]))].join('; '), `exposed: ${rest.map((g) => g.peer).join(', ')}`);
}

function addOverlaps(ctx: WorkloadContext, overlaps: readonly PodOverlap[]): void {
  const pairs = new Map<string, { a: string; b: string; pods: string[] }>();
  for (const o of overlaps) {
    const keys = [...new Set(o.segments.map((s) => componentKey(ctx.self.namespace, s.workload, s.component)))].sort(compare);
    for (const [i, a] of keys.entries()) for (const b of keys.slice(i + 1)) {
      const pair = pairs.get(`${a} ${b}`) ?? { a, b, pods: [] };
      pair.pods.push(o.pod);
      pairs.set(`${a} ${b}`, pair);
    }
  }
  for (const { a, b, pods } of pairs.values()) {
    for (const key of [a, b]) {
      ctx.b.node(key, 'peer', [key.split('/').slice(1).join('/'), 'segment']);
      ctx.b.highlight(key, 'overlap');
    }
    ctx.b.edge(a, b, 'overlap', `shares ${pods.length === 1 ? `pod ${pods[0] ?? ''}` : `${pods.length} pods`}`, `overlap: pods in both segments: ${pods.join(', ')}`);
  }
}

function drawWorkload(b: Builder, w: MappedWorkload, input: MapInput): void {
  if (w.spec === undefined) return;
  const self = { namespace: w.namespace, name: w.name, spec: w.spec };
  const ctx: WorkloadContext = { b, self, facts: input.facts, mode: input.mode, byName: new Map(w.spec.components.map((c) => [c.name, c])) };
  addComponents(ctx);
  addFlows(ctx);
  addDns(ctx);
  for (const rule of w.spec.ingress ?? []) addIngress(ctx, rule);
  for (const rule of w.spec.egress ?? []) addEgress(ctx, rule);
  addExposures(ctx, w.exposures);
  addOverlaps(ctx, w.overlaps);
}

/** buildSegmentMap draws every workload of the input into one graph; the same input gives the same map. */
export function buildSegmentMap(input: MapInput): SegmentMap {
  const b = new Builder();
  const workloads = [...input.workloads].sort((x, y) => compare(`${x.namespace}/${x.name}`, `${y.namespace}/${y.name}`));
  const panels = workloads.map((w): WorkloadPanel => {
    drawWorkload(b, w, input);
    const key = `${w.namespace}/${w.name}`;
    return { key, id: safeId('workload', key), components: w.spec?.components.length ?? 0, conditions: [...w.conditions] };
  });
  const byKey = <T extends { key: string }>(xs: Iterable<T>): T[] => [...xs].sort((x, y) => compare(x.key, y.key));
  const nodes = byKey(b.nodes.values()).map((n) => ({ ...n, highlights: HIGHLIGHTS.filter((h) => n.highlights.includes(h)) }));
  return { title: input.title, source: input.source, workloads: panels, nodes, edges: byKey(b.edges.values()) };
}
