// Dataplane: a real NetworkPolicy dataplane for the local control plane, with no kubelet and no
// container runtime. It turns the control plane into a one-node cluster:
//   - a Node object, and an enforcer (sigs.k8s.io/kube-network-policies, the engine kind's default
//     CNI embeds) running under a ServiceAccount of its own with read-only RBAC;
//   - pods as network namespaces with routed veths and an address in each family, Pod objects bound
//     to the node whose status.podIPs carry those addresses, and in each pod an agent that listens
//     on every declared port, TCP and UDP, and opens probe connections from inside the pod;
//   - outside hosts (a listener behind a CIDR, the metadata address, the API server's endpoint):
//     namespaces with addresses but no Pod object.
// See docs/dataplane.md for the layout and its limits.
//
// State lives in RUN_DIR/slot-N.json, so `bulkhead dataplane down` (make dataplane-down) can remove
// what a killed run left behind, and the CLI can probe a dataplane it did not start.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isRunning, repoRoot, spawnDetached, type ClientTls } from '../devcluster/index.js';
import type { ProbeAnswer, Protocol } from './agent.js';
import { exec, missingRequirements, run, runAll } from './host.js';
import { ENFORCER_IDENTITY, KubeApi, enforcerRbac, podObject, podStatus, tokenKubeconfig, type PodPort } from './kube.js';
import { MAX_HOSTS, PREFIX, RUN_DIR, SLOTS, hostDown, hostNames, hostUp, podAddresses, slotDown, slotLayout, slotRuleDeletions, slotUp, type SlotLayout } from './layout.js';
import { AgentClient } from './probe-client.js';

export interface HostRecord {
  /** `namespace/name` for a pod, `name` for an outside host. */
  key: string;
  index: number;
  netns: string;
  pod?: { namespace: string; name: string };
  ipv4: string[];
  ipv6: string[];
  tcp: number[];
  udp: number[];
  agentPid?: number;
  control: string;
}

export interface SlotState {
  version: 1;
  slot: number;
  /** The process whose exit ends the dataplane; absent for one started detached (make cluster-up). */
  ownerPid?: number;
  server: string;
  enforcerPid?: number;
  enforcerBinary: string;
  /** Milliseconds from the enforcer's start to its first verdict. */
  enforcerReadyMs?: number;
  hosts: HostRecord[];
}

export interface StartOptions {
  server: string;
  tls: ClientTls;
  /** The enforcer binary (hack/build-enforcer.sh prints its path). */
  enforcer: string;
  /** Recorded as the owner; the dataplane is swept once it is gone. @default this process */
  ownerPid?: number | null;
  log?: (line: string) => void;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ports?: readonly PodPort[];
  serviceAccountName?: string;
  /** Extra ports the agent listens on that the Pod object does not declare. */
  listen?: readonly number[];
}

export interface OutsideSpec {
  name: string;
  ipv4?: readonly string[];
  ipv6?: readonly string[];
  ports: readonly number[];
}

export interface ProbeOptions {
  /** @default 500 */
  timeoutMs?: number;
  /** A probe that got no answer is tried once more before it counts as refused. @default true */
  retry?: boolean;
}

export interface ProbeResult extends ProbeAnswer {
  /** True when the far end answered: the enforcer let the connection through. */
  open: boolean;
  attempts: number;
}

const AGENT = (): string => path.join(repoRoot(), 'dist', 'dataplane', 'agent.js');

export class Dataplane {
  private readonly clients = new Map<string, AgentClient>();
  /** Indexes handed out to hosts still being made, so that hosts can be added concurrently. */
  private readonly reserved = new Set<number>();

  private constructor(readonly layout: SlotLayout, private state: SlotState, private readonly api: KubeApi | undefined) {}

  /**
   * start takes a free slot (sweeping one whose owner died), installs routing and the divert,
   * creates the Node and the enforcer's identity, starts the enforcer and resolves once it gives
   * verdicts. On failure everything it made is removed again.
   */
  static async start(opts: StartOptions): Promise<Dataplane> {
    const log = opts.log ?? ((): void => undefined);
    const missing = await missingRequirements();
    if (missing.length > 0) throw new Error(`the dataplane cannot run here; missing: ${missing.join('; ')}`);
    if (!existsSync(AGENT())) throw new Error(`${AGENT()} is missing: build first (make build)`);
    const ownerPid = opts.ownerPid === null ? undefined : opts.ownerPid ?? process.pid;
    const layout = await acquireSlot(ownerPid, opts.server, opts.enforcer);
    const api = new KubeApi({ server: opts.server, tls: opts.tls });
    const dp = new Dataplane(layout, Dataplane.readState(layout), api);
    try {
      mkdirSync(layout.dir, { recursive: true });
      log(`dataplane slot ${layout.slot}: pods in ${layout.pod4} and ${layout.pod6}, NFQUEUE ${layout.queue}, node ${layout.node}`);
      await run(slotUp(layout));
      await dp.startEnforcer(opts, log);
      return dp;
    } catch (err) {
      await dp.stop().catch(() => undefined);
      throw err;
    }
  }

  /** attach returns a handle on the dataplane of `slot`, started by another process. */
  static attach(slot: number, target?: { server: string; tls: ClientTls }): Dataplane {
    const layout = slotLayout(slot);
    return new Dataplane(layout, Dataplane.readState(layout), target === undefined ? undefined : new KubeApi(target));
  }

  /** running lists the slots whose state file exists. */
  static slots(): SlotState[] {
    if (!existsSync(RUN_DIR)) return [];
    return readdirSync(RUN_DIR).filter((f) => /^slot-\d+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(path.join(RUN_DIR, f), 'utf8')) as SlotState);
  }

  private static readState(l: SlotLayout): SlotState {
    return JSON.parse(readFileSync(l.stateFile, 'utf8')) as SlotState;
  }

  get slot(): number {
    return this.layout.slot;
  }

  get node(): string {
    return this.layout.node;
  }

  get enforcerPid(): number | undefined {
    return this.state.enforcerPid;
  }

  get enforcerReadyMs(): number | undefined {
    return this.state.enforcerReadyMs;
  }

  hosts(): readonly HostRecord[] {
    return this.state.hosts;
  }

  host(key: string): HostRecord {
    const h = this.state.hosts.find((x) => x.key === key);
    if (h === undefined) throw new Error(`no host ${key} in dataplane slot ${this.slot}`);
    return h;
  }

  /**
   * addPod publishes the Pod object bound to the node, with its addresses in status.podIPs, then
   * makes its network namespace and starts its agent. That order is the one NRI gives a real node
   * (the enforcer learns a sandbox's addresses before its containers start): the enforcer has had
   * the time the agent takes to start (well over 100 ms) to see the pod before it can answer.
   */
  async addPod(spec: PodSpec): Promise<HostRecord> {
    const api = this.requireApi();
    const ports = spec.ports ?? [];
    const listen = [...new Set([...ports.map((p) => p.port), ...(spec.listen ?? [])])].sort((a, b) => a - b);
    const index = this.freeIndex();
    const { ipv4, ipv6 } = podAddresses(this.layout, index);
    const base = `/api/v1/namespaces/${spec.namespace}/pods`;
    try {
      await api.createReturning(base, podObject({ ...spec, labels: spec.labels ?? {}, ports, node: this.node }));
      await api.mergePatch(`${base}/${spec.name}/status`, podStatus([ipv4, ipv6], new Date().toISOString()));
      return await this.addHost({ key: `${spec.namespace}/${spec.name}`, index, pod: { namespace: spec.namespace, name: spec.name }, ipv4: [ipv4], ipv6: [ipv6], tcp: listen, udp: listen });
    } catch (err) {
      // A Pod object with no host behind it would be probed as something it is not.
      await api.remove(`${base}/${spec.name}`).catch(() => undefined);
      throw err;
    } finally {
      this.reserved.delete(index);
    }
  }

  /** addPods adds pods with at most `concurrency` being made at once (agents start in parallel). */
  async addPods(specs: readonly PodSpec[], concurrency = 8): Promise<HostRecord[]> {
    const out = new Array<HostRecord>(specs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < specs.length; i = next++) out[i] = await this.addPod(specs[i] as PodSpec);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
    return out;
  }

  /** addOutside makes a host that is no pod: a listener at addresses outside the pod ranges. */
  async addOutside(spec: OutsideSpec): Promise<HostRecord> {
    const index = this.freeIndex();
    const ports = [...spec.ports];
    try {
      return await this.addHost({ key: spec.name, index, ipv4: [...(spec.ipv4 ?? [])], ipv6: [...(spec.ipv6 ?? [])], tcp: ports, udp: ports });
    } finally {
      this.reserved.delete(index);
    }
  }

  /** removePod deletes the Pod object, then its agent and network namespace. */
  async removePod(namespace: string, name: string): Promise<void> {
    await this.requireApi().remove(`/api/v1/namespaces/${namespace}/pods/${name}`);
    await this.removeHost(`${namespace}/${name}`);
  }

  async removeHost(key: string): Promise<void> {
    const h = this.host(key);
    this.clients.get(key)?.close();
    this.clients.delete(key);
    if (h.agentPid !== undefined) killQuietly(h.agentPid, 'SIGKILL');
    await runAll(hostDown(this.layout, h.index));
    this.state.hosts = this.state.hosts.filter((x) => x.key !== key);
    this.save();
  }

  /**
   * probe opens one new connection from host `from` (its key) to `address:port`. Nothing answering
   * within the timeout is tried once more (so a slow first packet is not taken for a deny).
   */
  async probe(from: string, address: string, protocol: Protocol, port: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
    const timeoutMs = opts.timeoutMs ?? 500;
    const attempts = opts.retry === false ? 1 : 2;
    let answer: ProbeAnswer | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      answer = await this.client(from).probe({ protocol, host: address, port, timeoutMs });
      if (answer.result === 'error') throw new Error(`probe ${from} -> ${address} ${protocol}/${port}: ${answer.error ?? 'error'}`);
      if (answer.result !== 'timeout') return { ...answer, open: true, attempts: attempt };
    }
    return { ...(answer as ProbeAnswer), open: false, attempts };
  }

  /** probeAll runs probes with at most `concurrency` in flight and returns results in input order. */
  async probeAll<T extends { from: string; address: string; protocol: Protocol; port: number }>(probes: readonly T[], opts: ProbeOptions & { concurrency?: number } = {}): Promise<(T & { result: ProbeResult })[]> {
    const out: (T & { result: ProbeResult })[] = new Array<T & { result: ProbeResult }>(probes.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < probes.length; i = next++) {
        const p = probes[i] as T;
        out[i] = { ...p, result: await this.probe(p.from, p.address, p.protocol, p.port, opts) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 48, probes.length) }, worker));
    return out;
  }

  /** enforcerRss is the enforcer's resident memory in bytes, from /proc. */
  enforcerRss(): number | undefined {
    const pid = this.state.enforcerPid;
    if (pid === undefined) return undefined;
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSyncQuiet(`/proc/${pid}/status`));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  }

  /** close drops the connections to the agents (the dataplane keeps running). */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** stop deletes the pods' objects (while the API server answers) and sweeps the slot. */
  async stop(): Promise<void> {
    this.close();
    if (this.api !== undefined) {
      const api = this.api;
      await Promise.all(this.state.hosts.filter((h) => h.pod !== undefined).map((h) =>
        api.remove(`/api/v1/namespaces/${h.pod?.namespace ?? ''}/pods/${h.pod?.name ?? ''}`).catch(() => undefined)));
      await api.remove(`/api/v1/nodes/${this.node}`).catch(() => undefined);
    }
    await sweepSlot(this.slot);
  }

  private requireApi(): KubeApi {
    if (this.api === undefined) throw new Error('this dataplane handle has no API server to write to');
    return this.api;
  }

  /** freeIndex hands out (and reserves) the lowest index no host has or is being given. */
  private freeIndex(): number {
    const used = new Set([...this.state.hosts.map((h) => h.index), ...this.reserved]);
    for (let i = 0; i < MAX_HOSTS; i++) {
      if (used.has(i)) continue;
      this.reserved.add(i);
      return i;
    }
    throw new Error(`dataplane slot ${this.slot} is full (${MAX_HOSTS} hosts)`);
  }

  private async addHost(h: Omit<HostRecord, 'netns' | 'control'>): Promise<HostRecord> {
    if (this.state.hosts.some((x) => x.key === h.key)) throw new Error(`host ${h.key} exists already in dataplane slot ${this.slot}`);
    const { netns } = hostNames(this.layout, h.index);
    const record: HostRecord = { ...h, netns, control: path.join(this.layout.dir, `${netns}.sock`) };
    this.state.hosts.push(record);
    this.save();
    await run(hostUp(this.layout, { index: h.index, addresses: { ipv4: h.ipv4, ipv6: h.ipv6 } }));
    const log = path.join(this.layout.dir, `${netns}.log`);
    record.agentPid = spawnDetached('ip', ['netns', 'exec', netns, process.execPath, AGENT(), '--name', h.key, '--control', record.control,
      '--tcp', h.tcp.join(','), '--udp', h.udp.join(',')], log);
    this.save();
    await waitUntil(async () => (await readFile(log, 'utf8').catch(() => '')).includes(`ready ${h.key}`), 10_000,
      async () => `the agent of ${h.key} did not start: ${await readFile(log, 'utf8').catch(() => '(no log)')}`);
    return record;
  }

  private client(key: string): AgentClient {
    let c = this.clients.get(key);
    if (c === undefined) {
      c = new AgentClient(this.host(key).control);
      this.clients.set(key, c);
    }
    return c;
  }

  private async startEnforcer(opts: StartOptions, log: (line: string) => void): Promise<void> {
    const api = this.requireApi();
    for (const { path: p, body } of enforcerRbac()) await api.create(p, body);
    await api.create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: this.node, labels: { 'kubernetes.io/hostname': this.node, 'app.kubernetes.io/part-of': 'bulkhead-dataplane' } } });
    const token = await api.createReturning<{ status: { token: string } }>(
      `/api/v1/namespaces/${ENFORCER_IDENTITY.namespace}/serviceaccounts/${ENFORCER_IDENTITY.name}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 24 * 3600 } },
    );
    const ca = readFileSync(opts.tls.caFile).toString('base64');
    writeFileSync(this.layout.enforcerKubeconfig, tokenKubeconfig(opts.server, ca, token.status.token), { mode: 0o600 });
    const began = Date.now();
    this.state.enforcerPid = spawnDetached(opts.enforcer, [
      `--kubeconfig=${this.layout.enforcerKubeconfig}`,
      `--hostname-override=${this.node}`,
      `--nfqueue-id=${this.layout.queue}`,
      // NRI is containerd's plugin socket; there is no container runtime here.
      '--disable-nri',
      '--metrics-bind-address=127.0.0.1:0',
      '-v=0',
    ], this.layout.enforcerLog);
    this.save();
    await this.waitForVerdicts();
    this.state.enforcerReadyMs = Date.now() - began;
    this.save();
    log(`enforcer ${path.basename(opts.enforcer)} (pid ${this.state.enforcerPid}) gives verdicts after ${this.state.enforcerReadyMs} ms`);
  }

  /**
   * waitForVerdicts resolves once a connection between two hosts of the slot gets through: with no
   * NetworkPolicy on them, only an enforcer reading the queue lets it pass (the divert drops new
   * connections while nobody reads it). The two hosts are removed again.
   */
  private async waitForVerdicts(): Promise<void> {
    const a = await this.addOutside({ name: 'canary-a', ipv4: [podAddresses(this.layout, MAX_HOSTS - 1).ipv4], ports: [] });
    const b = await this.addOutside({ name: 'canary-b', ipv4: [podAddresses(this.layout, MAX_HOSTS - 2).ipv4], ports: [7] });
    try {
      await waitUntil(async () => {
        if (this.state.enforcerPid === undefined || !isRunning(this.state.enforcerPid)) {
          throw new Error(`the enforcer exited: ${tailOf(this.layout.enforcerLog)}`);
        }
        return (await this.probe(a.key, b.ipv4[0] ?? '', 'TCP', 7, { timeoutMs: 300, retry: false })).open;
      }, 60_000, () => Promise.resolve(`the enforcer gave no verdict within 60 s: ${tailOf(this.layout.enforcerLog)}`));
    } finally {
      await this.removeHost(a.key);
      await this.removeHost(b.key);
    }
  }

  private save(): void {
    // Whole or not at all: the CLI and a sweep may read it at any time.
    writeFileSync(`${this.layout.stateFile}.tmp`, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(`${this.layout.stateFile}.tmp`, this.layout.stateFile);
  }
}

/**
 * acquireSlot claims the first free slot by creating its state file exclusively. A slot whose
 * owner died is swept and taken.
 */
async function acquireSlot(ownerPid: number | undefined, server: string, enforcerBinary: string): Promise<SlotLayout> {
  mkdirSync(RUN_DIR, { recursive: true });
  for (let slot = 0; slot < SLOTS; slot++) {
    const l = slotLayout(slot);
    if (existsSync(l.stateFile) && stale(l)) await sweepSlot(slot);
    const state: SlotState = { version: 1, slot, ...(ownerPid === undefined ? {} : { ownerPid }), server, enforcerBinary, hosts: [] };
    try {
      writeFileSync(l.stateFile, `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx' });
      return l;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`all ${SLOTS} dataplane slots are taken (see ${RUN_DIR}; bulkhead dataplane down --all frees them)`);
}

/** stale: the slot's owner is gone (a detached slot, without owner, is never stale). */
function stale(l: SlotLayout): boolean {
  try {
    const s = JSON.parse(readFileSync(l.stateFile, 'utf8')) as SlotState;
    return s.ownerPid !== undefined && !isRunning(s.ownerPid);
  } catch {
    return true;
  }
}

/** sweepStaleSlots sweeps every slot whose owner died (or, with all, every slot); returns them. */
/** sweepSlots sweeps every slot whose owner died (or, with all, every slot); returns them. */
export async function sweepSlots(opts: { all?: boolean } = {}): Promise<number[]> {
  const swept: number[] = [];
  for (let slot = 0; slot < SLOTS; slot++) {
    const l = slotLayout(slot);
    const leftovers = existsSync(l.stateFile) ? opts.all === true || stale(l) : await hasLeftovers(l);
    if (!leftovers) continue;
    await sweepSlot(slot);
    swept.push(slot);
  }
  return swept;
}

async function hasLeftovers(l: SlotLayout): Promise<boolean> {
  const netns = (await exec(['ip', 'netns', 'list'])).stdout;
  const links = (await exec(['ip', '-o', 'link', 'show'])).stdout;
  const chain = (await exec(['iptables-legacy', '-S', l.chain])).code === 0;
  return chain || netns.includes(`${PREFIX}${l.slot}-`) || links.includes(` ${PREFIX}${l.slot}h`);
}

/**
 * sweepSlot removes everything of one slot, from its state file and from what the machine shows
 * (so it also works when the state file is gone): agents and enforcer by PID, namespaces, links,
 * the netfilter rules that carry the slot's comment, its chain, policy rules and routes.
 */
export async function sweepSlot(slot: number): Promise<void> {
  const l = slotLayout(slot);
  const state = readStateQuiet(l);
  // SIGINT: the enforcer's clean shutdown; it skips it on SIGTERM.
  for (const pid of enforcerPids(l, state)) killQuietly(pid, 'SIGINT');
  for (const h of state?.hosts ?? []) if (h.agentPid !== undefined) killQuietly(h.agentPid, 'SIGKILL');
  await removeNamespaces(slot);
  const links = (await exec(['ip', '-o', 'link', 'show'])).stdout.split('\n').map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '').filter((n) => n.startsWith(`${PREFIX}${slot}h`));
  await runAll(links.map((n) => ['ip', 'link', 'del', n]));
  for (const cmd of ['iptables-legacy', 'ip6tables-legacy'] as const) await runAll(slotRuleDeletions(l, cmd, (await exec([`${cmd}-save`])).stdout));
  await runAll(slotDown(l));
  for (const family of ['-4', '-6']) {
    while ((await exec(['ip', family, 'rule', 'del', 'pref', String(l.rulePref)])).code === 0) { /* one rule per call */ }
  }
  await waitForExit(enforcerPids(l, state), 10_000);
  for (const pid of enforcerPids(l, state)) killQuietly(pid, 'SIGKILL');
  rmSync(l.dir, { recursive: true, force: true });
  rmSync(l.stateFile, { force: true });
}

function readStateQuiet(l: SlotLayout): SlotState | undefined {
  try {
    return JSON.parse(readFileSync(l.stateFile, 'utf8')) as SlotState;
  } catch {
    return undefined;
  }
}

/** removeNamespaces kills what runs in the slot's network namespaces, then deletes them. */
async function removeNamespaces(slot: number): Promise<void> {
  const namespaces = (await exec(['ip', 'netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((n) => n.startsWith(`${PREFIX}${slot}-`));
  for (const ns of namespaces) {
    for (const pid of (await exec(['ip', 'netns', 'pids', ns])).stdout.split('\n').filter((p) => p !== '')) killQuietly(Number(pid), 'SIGKILL');
    await exec(['ip', 'netns', 'del', ns]);
  }
}

/** enforcerPids finds the slot's enforcer by its command line (its queue), state file or not. */
function enforcerPids(l: SlotLayout, state: SlotState | undefined): number[] {
  const pids = new Set<number>();
  if (state?.enforcerPid !== undefined && isRunning(state.enforcerPid)) pids.add(state.enforcerPid);
  for (const entry of readdirSyncQuiet('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = readFileSyncQuiet(`/proc/${entry}/cmdline`).split('\0');
    if (argv.includes(`--nfqueue-id=${l.queue}`) && argv.includes(`--hostname-override=${l.node}`) && isRunning(Number(entry))) pids.add(Number(entry));
  }
  return [...pids];
}

async function waitForExit(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning) && Date.now() < deadline) await delay(50);
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

function readFileSyncQuiet(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readdirSyncQuiet(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function tailOf(file: string, lines = 8): string {
  return readFileSyncQuiet(file).trim().split('\n').slice(-lines).join('\n');
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, explain: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(await explain());
    await delay(50);
  }
}
