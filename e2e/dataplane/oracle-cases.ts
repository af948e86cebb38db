// The netpol-analyzer cases (src/analysis/testdata/netpol-analyzer) as worlds the dataplane can
// make: a pod per oracle peer (or per real Pod of a peer), the ports to probe, the listeners behind
// the case's ipBlocks, and the case's objects renamed into namespaces of their own. Pure except
// for reading the case's files.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PodPort, Protocol } from '../../src/dataplane/index.js';
import { emptyFacts, parseManifests, type MutableFacts } from '../../src/analysis/manifests.js';
import { expectedConnlist, isCaseManifest } from '../../src/analysis/oracle-expected.js';
import { WORKLOAD_KINDS, type Container, type LabelSelector, type Labels, type NetworkPolicy, type NetworkPolicyPeer, type OwnerReference, type Pod, type PodSpec, type PodTemplateSpec, type Workload } from '../../src/api/kubernetes.js';
import { LABEL_NAMESPACE_NAME } from '../../src/api/constants.js';
import { repoRoot } from '../harness/operator.js';
import { addressInside } from './world.js';

export const CASES_DIR = (): string => path.join(repoRoot(), 'src', 'analysis', 'testdata', 'netpol-analyzer', 'cases');

/** Limits that keep one case's matrix small enough for the suite's time budget. */
export const LIMITS = { pods: 12, outside: 4, probes: 2_500 } as const;
/** A port no case names: it tells "all connections" from "only the ports the policies name". */
export const EXTRA_PORT = 47_474;

/** One pod the dataplane makes for a case: a workload's pod template, or one of its real Pods. */
export interface CasePod {
  /** The namespace and name in the case (before renaming). */
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ports: PodPort[];
  /** The oracle peer this pod stands for (`ns/name[Kind]`): several pods may share one. */
  peer: string;
}

export interface PortProbe {
  protocol: Protocol;
  port: number;
}

export interface OracleCase {
  name: string;
  expected: string[];
  pods: CasePod[];
  /** Namespaces holding a pod or a policy, with the labels the case gives them. */
  namespaces: Map<string, Record<string, string>>;
  policies: NetworkPolicy[];
  /** IPv4 ipBlocks of the case's rules. */
  ipBlocks: { cidr: string; except: string[] }[];
  /** Listeners outside the pod ranges: one inside every IPv4 ipBlock, one in each except. */
  outside: string[];
  /** Ports probed on every destination (those of its own container ports come on top). */
  ports: PortProbe[];
  /** How the world differs from the case's manifests (without changing what the oracle expects). */
  adaptations: string[];
  /** Why the case is not run; undefined when it is. */
  excluded?: string;
}

/** A policy's name means nothing to what it allows; some cases use names the API server refuses. */
const policyName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9.-]/g, '-');

function manifestFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return manifestFiles(p);
    return isCaseManifest(name) ? [p] : [];
  });
}

const readIf = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

function readExpected(dir: string): string[] | undefined {
  const files = { connlist: readIf(path.join(dir, 'expected_connlist.txt')), exposure: readIf(path.join(dir, 'expected_exposure.txt')), explain: readIf(path.join(dir, 'expected_explain.txt')) };
  const present = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) as { connlist?: string; exposure?: string; explain?: string };
  return expectedConnlist(present);
}

/** readCases reads and plans every case, in name order. */
export function readCases(): OracleCase[] {
  return readdirSync(CASES_DIR()).sort().map((name) => planCase(name, readFacts(path.join(CASES_DIR(), name)), readExpected(path.join(CASES_DIR(), name))));
}

function readFacts(dir: string): MutableFacts {
  const facts = emptyFacts();
  for (const f of manifestFiles(dir)) parseManifests(facts, readFileSync(f, 'utf8'), f);
  return facts;
}

const nsOf = (meta: { namespace?: string } | undefined): string => (meta?.namespace !== undefined && meta.namespace !== '' ? meta.namespace : 'default');

function containerPorts(containers: readonly Container[] | undefined): PodPort[] {
  const out: PodPort[] = [];
  for (const p of (containers ?? []).flatMap((c) => c.ports ?? [])) {
    if (p.containerPort === undefined) continue;
    const port: PodPort = { ...(p.name === undefined || p.name === '' ? {} : { name: p.name }), port: Number(p.containerPort), protocol: (p.protocol ?? 'TCP').toUpperCase() as 'TCP' | 'UDP' | 'SCTP' };
    if (!out.some((q) => q.name === port.name && q.port === port.port && q.protocol === port.protocol)) out.push(port);
  }
  return out;
}

type PlannedPod = CasePod & { hostNetwork: boolean };

function plannedPod(namespace: string, name: string, peer: string, labels: Labels | undefined, spec: PodSpec | undefined): PlannedPod {
  return { namespace, name, labels: { ...(labels ?? {}) }, ports: containerPorts(spec?.containers), peer, hostNetwork: spec?.hostNetwork === true };
}

const templateOf = (w: Workload): PodTemplateSpec | undefined => (w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template);

function workloadPod(w: Workload): PlannedPod {
  const template = templateOf(w) ?? {};
  const namespace = nsOf(w.metadata);
  const name = w.metadata?.name ?? '';
  return plannedPod(namespace, name, `${namespace}/${name}[${w.kind ?? ''}]`, template.metadata?.labels, template.spec);
}

/** As the analysis prints a real Pod: its controlling owner (else its first), else itself. */
function podPeer(namespace: string, name: string, refs: readonly OwnerReference[]): string {
  const owner = refs.find((r) => r.controller === true) ?? refs[0];
  if (owner === undefined || owner.name === undefined || owner.name === '' || owner.kind === 'Node') return `${namespace}/${name}[Pod]`;
  return `${namespace}/${owner.name}[${owner.kind ?? 'Pod'}]`;
}

function realPod(p: Pod): PlannedPod {
  const meta = p.metadata ?? {};
  const namespace = nsOf(meta);
  const name = meta.name ?? '';
  return plannedPod(namespace, name, podPeer(namespace, name, meta.ownerReferences ?? []), meta.labels, p.spec);
}

function policyPeers(np: NetworkPolicy): NetworkPolicyPeer[] {
  return [...(np.spec?.ingress ?? []).flatMap((r) => r.from ?? []), ...(np.spec?.egress ?? []).flatMap((r) => r.to ?? [])];
}

/** The numbered ports of the case's rules (both ends of a range), and EXTRA_PORT. */
function policyPorts(policies: readonly NetworkPolicy[]): PortProbe[] {
  const out = new Map<string, PortProbe>();
  const rulePorts = policies.flatMap((np) => [...(np.spec?.ingress ?? []), ...(np.spec?.egress ?? [])]).flatMap((r) => r.ports ?? []);
  const numbered = rulePorts.flatMap((p) => (typeof p.port !== 'number' ? [] : [p.port, ...(p.endPort === undefined ? [] : [p.endPort])].map((port) => ({ protocol: p.protocol ?? 'TCP', port }))));
  for (const { protocol, port } of [...numbered, { protocol: 'TCP', port: EXTRA_PORT }, { protocol: 'UDP', port: EXTRA_PORT }]) {
    if (protocol === 'TCP' || protocol === 'UDP') out.set(`${protocol}/${port}`, { protocol, port });
  }
  return [...out.values()].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
}

function caseIpBlocks(policies: readonly NetworkPolicy[]): { cidr: string; except: string[] }[] {
  const seen = new Map<string, { cidr: string; except: string[] }>();
  for (const b of policies.flatMap(policyPeers).flatMap((p) => (p.ipBlock?.cidr === undefined || p.ipBlock.cidr.includes(':') ? [] : [p.ipBlock]))) {
    const block = { cidr: b.cidr ?? '', except: [...(b.except ?? [])].filter((x) => !x.includes(':')) };
    seen.set(JSON.stringify(block), block);
  }
  return [...seen.values()];
}

function outsideAddresses(blocks: readonly { cidr: string; except: string[] }[]): string[] {
  const out = new Set<string>();
  for (const b of blocks) {
    const inside = addressInside(b.cidr, b.except);
    if (inside !== undefined) out.add(inside);
    for (const x of b.except) {
      const a = addressInside(x, []);
      if (a !== undefined) out.add(a);
    }
  }
  return [...out];
}

/** probePorts: what a probe tries on a destination pod: its own container ports, then the case's. */
export function probePorts(c: OracleCase, pod: CasePod | undefined): PortProbe[] {
  const own = (pod?.ports ?? []).filter((p) => p.protocol !== 'SCTP').map((p): PortProbe => ({ protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP', port: p.port }));
  const out = new Map<string, PortProbe>();
  for (const p of [...own, ...c.ports]) out.set(`${p.protocol}/${p.port}`, p);
  return [...out.values()];
}

/** countProbes: the matrix's size (both families between pods, IPv4 to and from the ipBlock listeners). */
export function countProbes(c: OracleCase): number {
  const toPods = c.pods.reduce((n, dst) => n + probePorts(c, dst).length * 2 * (c.pods.length - 1 + c.outside.length + 1), 0);
  const toOutside = (c.outside.length + 2) * probePorts(c, undefined).length * c.pods.length;
  return toPods + toOutside;
}

function exclusion(c: OracleCase): string | undefined {
  if (c.pods.length > LIMITS.pods) return `${c.pods.length} pods (more than ${LIMITS.pods})`;
  const names = c.pods.map((p) => `${p.namespace}/${p.name}`);
  if (new Set(names).size !== names.length) return 'two peers of one name and namespace (a Pod and a workload, or two kinds)';
  const renamed = c.pods.find((p) => new Set(p.ports.map((x) => x.name).filter((n) => n !== undefined)).size !== p.ports.filter((x) => x.name !== undefined).length);
  if (renamed !== undefined) return `${renamed.peer} has one port name on two ports (one container here)`;
  if (c.outside.length > LIMITS.outside) return `${c.outside.length} ipBlock listeners (more than ${LIMITS.outside})`;
  const probes = countProbes(c);
  if (probes > LIMITS.probes) return `${probes} probes (more than ${LIMITS.probes})`;
  return undefined;
}

function adaptations(pods: readonly PlannedPod[], policies: readonly NetworkPolicy[]): string[] {
  const out: string[] = [];
  const host = pods.filter((p) => p.hostNetwork).length;
  if (host > 0) out.push(`${host} hostNetwork pod(s) made as ordinary pods (the oracle models them so)`);
  const sctp = pods.some((p) => p.ports.some((x) => x.protocol === 'SCTP')) || policies.some((np) => JSON.stringify(np.spec ?? {}).includes('"SCTP"'));
  if (sctp) out.push('SCTP is declared but not probed');
  const renamed = policies.filter((np) => policyName(np.metadata?.name ?? '') !== np.metadata?.name).length;
  if (renamed > 0) out.push(`${renamed} policy name(s) the API server refuses made valid`);
  return out;
}

export function planCase(name: string, facts: MutableFacts, expected: string[] | undefined): OracleCase {
  const workloads = facts.workloads.filter((w) => (WORKLOAD_KINDS as readonly string[]).includes(w.kind ?? ''));
  const pods = [...workloads.map(workloadPod), ...facts.pods.map(realPod)];
  const policies = facts.networkPolicies;
  const definedLabels = new Map(facts.namespaces.map((n) => [n.metadata?.name ?? '', { ...(n.metadata?.labels ?? {}) }]));
  const namespaces = new Map<string, Record<string, string>>();
  for (const ns of [...pods.map((p) => p.namespace), ...policies.map((np) => nsOf(np.metadata))]) {
    const labels = { ...(definedLabels.get(ns) ?? {}) };
    delete labels[LABEL_NAMESPACE_NAME];
    namespaces.set(ns, labels);
  }
  const ipBlocks = caseIpBlocks(policies);
  const c: OracleCase = {
    name, expected: expected ?? [], namespaces, policies, ipBlocks,
    pods: pods.map(({ hostNetwork: _, ...p }) => p),
    outside: outsideAddresses(ipBlocks),
    ports: policyPorts(policies),
    adaptations: adaptations(pods, policies),
  };
  const why = expected === undefined ? 'no expected output' : exclusion(c);
  return why === undefined ? c : { ...c, excluded: why };
}

/**
 * The case's objects in namespaces of their own: `ns` becomes `prefix + ns`, everywhere a
 * namespace is named, including the `kubernetes.io/metadata.name` label that namespace selectors
 * may match on. That is a bijection on names, so every selector selects what it selected before.
 */
export class Renamed {
  constructor(readonly prefix: string) {}

  ns(name: string): string {
    return `${this.prefix}${name}`;
  }

  namespaceObjects(c: OracleCase, labels: Record<string, string>): unknown[] {
    return [...c.namespaces].map(([name, own]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns(name), labels: { ...own, ...labels } } }));
  }

  policy(np: NetworkPolicy): unknown {
    const spec = np.spec ?? {};
    return {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: policyName(np.metadata?.name ?? ''), namespace: this.ns(nsOf(np.metadata)) },
      spec: {
        ...spec,
        ...(spec.ingress === undefined ? {} : { ingress: spec.ingress.map((r) => ({ ...r, ...(r.from === undefined ? {} : { from: r.from.map((p) => this.peer(p)) }) })) }),
        ...(spec.egress === undefined ? {} : { egress: spec.egress.map((r) => ({ ...r, ...(r.to === undefined ? {} : { to: r.to.map((p) => this.peer(p)) }) })) }),
      },
    };
  }

  private peer(p: NetworkPolicyPeer): NetworkPolicyPeer {
    return p.namespaceSelector === undefined ? p : { ...p, namespaceSelector: this.selector(p.namespaceSelector) };
  }

  private selector(s: LabelSelector): LabelSelector {
    const matchLabels = s.matchLabels === undefined ? undefined : Object.fromEntries(Object.entries(s.matchLabels).map(([k, v]) => [k, k === LABEL_NAMESPACE_NAME ? this.ns(v) : v]));
    const matchExpressions = s.matchExpressions?.map((e) => (e.key === LABEL_NAMESPACE_NAME && e.values !== undefined ? { ...e, values: e.values.map((v) => this.ns(v)) } : e));
    return { ...(matchLabels === undefined ? {} : { matchLabels }), ...(matchExpressions === undefined ? {} : { matchExpressions }) };
  }
}
