// DevCluster: a real etcd + kube-apiserver + kube-controller-manager on loopback, for local
// development (`bulkhead local-cluster`) and for the integration suites (e2e/harness).
//
// Everything of one cluster lives in one state directory; `cluster.json` there records the PIDs,
// ports and files, and is the only shared state: a handle is just the directory, so a handle made
// in jest's global setup and one loaded in a test file (another module context) agree, and a
// restart of the API server by one is seen by the other.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseAuditLog, AUDIT_POLICY, type AuditEvent } from './audit.js';
import { findBinaries, type ControlPlaneBinaries } from './binaries.js';
import { apiServerArgs, clusterLayout, controllerManagerArgs, etcdArgs, type ClusterLayout, type ClusterPorts } from './flags.js';
import { request, type ClientTls } from './http.js';
import { buildKubeconfig } from './kubeconfig.js';
import { generatePki, mintClientCert } from './pki.js';
import { freePorts } from './ports.js';
import { isOurProcess, isRunning, rssBytes, spawnDetached, terminate } from './processes.js';

export type Component = 'etcd' | 'apiServer' | 'controllerManager';
const COMPONENTS: readonly Component[] = ['etcd', 'apiServer', 'controllerManager'];

/** ClusterState is the content of `<dir>/cluster.json`. */
export interface ClusterState {
  version: 1;
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin kubeconfig (user `admin`, group system:masters). */
  kubeconfig: string;
  binaries: ControlPlaneBinaries;
  ports: ClusterPorts;
  /** PIDs of the running components; absent while a component is stopped. */
  pids: Partial<Record<Component, number>>;
  logs: Record<Component, string>;
  auditLog: string;
  /** The process that owns the cluster's lifetime, when it is not detached (test runs). */
  ownerPid?: number;
  startedAt: string;
  /** Milliseconds from start() to ready (API server ready and the default ServiceAccount exists). */
  readyAfterMs?: number;
}

export interface StartOptions {
  /** State directory; created if missing. Must not hold a running cluster. */
  dir: string;
  /** @default findBinaries() */
  binaries?: ControlPlaneBinaries;
  /** How long to wait for /readyz. @default 90000 (2 cores, cold caches) */
  readyTimeoutMs?: number;
  /** Recorded as ownerPid, for sweepStaleClusters. */
  ownerPid?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ProcessInfo {
  component: Component;
  pid: number | undefined;
  running: boolean;
  rssBytes: number | undefined;
  log: string;
}

const STATE_FILE = 'cluster.json';

// SIGTERM grace per component before SIGKILL. kube-apiserver stops listening and flushes its
// audit log at once, then waits for open long-running connections for up to --request-timeout
// (60 s); nothing after the first second matters to a throwaway cluster.
const GRACE_MS: Record<Component, number> = { etcd: 10_000, apiServer: 3_000, controllerManager: 5_000 };
const BINARY: Record<Component, keyof Omit<ControlPlaneBinaries, 'binDir'>> = {
  etcd: 'etcd',
  apiServer: 'kubeApiserver',
  controllerManager: 'kubeControllerManager',
};

export class DevCluster {
  private constructor(readonly dir: string) {}

  /** hasState is true when `dir` holds a cluster.json (the cluster may or may not be running). */
  static hasState(dir: string): boolean {
    return existsSync(path.join(dir, STATE_FILE));
  }

  /** load returns a handle on the cluster recorded in `dir`. */
  static load(dir: string): DevCluster {
    const cluster = new DevCluster(path.resolve(dir));
    cluster.state();
    return cluster;
  }

  /**
   * start generates PKI, picks ports, starts etcd, kube-apiserver and kube-controller-manager
   * detached, and resolves once the API server is ready and the controller manager has created
   * the `default` ServiceAccount. On failure the processes are stopped, the logs are kept, and
   * the error names the log to read.
   */
  static async start(opts: StartOptions): Promise<DevCluster> {
    const began = Date.now();
    const dir = path.resolve(opts.dir);
    const log = opts.log ?? ((): void => undefined);
    if (DevCluster.hasState(dir)) throw new Error(`${dir} already holds a cluster; stop it first`);
    await mkdir(dir, { recursive: true });
    // A previous failed start may have left data; a cluster always starts empty.
    await removeClusterFiles(dir);
    const [ports, binaries] = await Promise.all([freePorts(4), opts.binaries ?? findBinaries()]);
    const [etcdClient, etcdPeer, apiServer, controllerManager] = ports as [number, number, number, number];
    const layout = clusterLayout(dir, { etcdClient, etcdPeer, apiServer, controllerManager });
    log(`generating PKI in ${layout.pki.dir}`);
    await generatePki(layout.pki.dir);
    await Promise.all([mkdir(layout.logDir, { recursive: true }), mkdir(layout.usersDir, { recursive: true })]);
    await writeFile(layout.auditPolicy, AUDIT_POLICY);
    const logs = {
      etcd: path.join(layout.logDir, 'etcd.log'),
      apiServer: path.join(layout.logDir, 'kube-apiserver.log'),
      controllerManager: path.join(layout.logDir, 'kube-controller-manager.log'),
    };
    const state: ClusterState = {
      version: 1,
      dir,
      server: `https://127.0.0.1:${apiServer}`,
      kubeconfig: layout.adminKubeconfig,
      binaries,
      ports: layout.ports,
      pids: {},
      logs,
      auditLog: layout.auditLog,
      ...(opts.ownerPid === undefined ? {} : { ownerPid: opts.ownerPid }),
      startedAt: new Date(began).toISOString(),
    };
    const cluster = new DevCluster(dir);
    cluster.writeState(state);
    await writeFile(layout.adminKubeconfig, await buildKubeconfig({ server: state.server, caFile: layout.pki.ca.cert,
      certFile: layout.pki.admin.cert, keyFile: layout.pki.admin.key, user: 'admin' }), { mode: 0o600 });
    const kcm = await mintClientCert(layout.pki, { cert: path.join(layout.pki.dir, 'kube-controller-manager.crt'), key: path.join(layout.pki.dir, 'kube-controller-manager.key') },
      'system:kube-controller-manager', ['system:masters']);
    await writeFile(layout.controllerManagerKubeconfig, await buildKubeconfig({ server: state.server, caFile: layout.pki.ca.cert,
      certFile: kcm.cert, keyFile: kcm.key, user: 'system:kube-controller-manager' }), { mode: 0o600 });
    try {
      log(`starting etcd on 127.0.0.1:${etcdClient}`);
      cluster.launch('etcd', etcdArgs(layout));
      await cluster.waitFor('etcd', 30_000, async () => (await request(`http://127.0.0.1:${etcdClient}/health`)).status === 200);
      log(`starting kube-apiserver on ${state.server}`);
      cluster.launch('apiServer', apiServerArgs(layout));
      await cluster.waitForApiServer(opts.readyTimeoutMs ?? 90_000);
      log(`starting kube-controller-manager`);
      cluster.launch('controllerManager', controllerManagerArgs(layout));
      await cluster.waitFor('controllerManager', 60_000, async () =>
        (await cluster.api('/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
    } catch (err) {
      await cluster.stop({ keepFiles: true });
      throw err;
    }
    cluster.writeState({ ...cluster.state(), readyAfterMs: Date.now() - began });
    log(`ready after ${((Date.now() - began) / 1000).toFixed(1)}s`);
    return cluster;
  }

  /** state reads cluster.json afresh (another handle may have restarted a component). */
  state(): ClusterState {
    const file = path.join(this.dir, STATE_FILE);
    let parsed: ClusterState;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
    } catch (err) {
      throw new Error(`no cluster state at ${file}: ${String(err)}`, { cause: err });
    }
    if (parsed.version !== 1) throw new Error(`${file}: unknown version ${String(parsed.version)}`);
    return parsed;
  }

  /** kubeconfig is the admin kubeconfig's path. */
  get kubeconfig(): string {
    return this.state().kubeconfig;
  }

  get server(): string {
    return this.state().server;
  }

  get binaries(): ControlPlaneBinaries {
    return this.state().binaries;
  }

  layout(): ClusterLayout {
    return clusterLayout(this.dir, this.state().ports);
  }

  /** healthy is true when all three processes run and the API server answers /readyz with 200. */
  async healthy(): Promise<boolean> {
    if (!this.processes().every((p) => p.running)) return false;
    try {
      return (await this.api('/readyz')).status === 200;
    } catch {
      return false;
    }
  }

  /** processes lists each component with its PID, liveness and resident memory. */
  processes(): ProcessInfo[] {
    const state = this.state();
    return COMPONENTS.map((component) => {
      const pid = state.pids[component];
      const running = pid !== undefined && isOurProcess(pid, state.binaries[BINARY[component]]);
      return { component, pid, running, rssBytes: running ? rssBytes(pid) : undefined, log: state.logs[component] };
    });
  }

  /**
   * stop terminates the components (SIGTERM, then SIGKILL after a grace period) in reverse start
   * order and removes the cluster's files, and the directory itself when that leaves it empty.
   */
  async stop(opts: { keepFiles?: boolean } = {}): Promise<void> {
    const state = this.state();
    for (const component of [...COMPONENTS].reverse()) {
      const pid = state.pids[component];
      if (pid !== undefined) await terminate(pid, { binary: state.binaries[BINARY[component]], graceMs: GRACE_MS[component] });
    }
    if (opts.keepFiles === true) {
      this.writeState({ ...state, pids: {} });
      return;
    }
    await removeClusterFiles(this.dir);
    await rmdir(this.dir).catch(() => undefined);
  }

  /** stopApiServer terminates kube-apiserver only; etcd and the controller manager keep running. */
  async stopApiServer(): Promise<void> {
    const state = this.state();
    const pid = state.pids.apiServer;
    if (pid !== undefined) await terminate(pid, { binary: state.binaries.kubeApiserver, graceMs: GRACE_MS.apiServer });
    const { apiServer: _stopped, ...pids } = state.pids;
    this.writeState({ ...state, pids });
  }

  /** startApiServer starts kube-apiserver again, on the same port with the same flags, and waits for /readyz. */
  async startApiServer(readyTimeoutMs = 90_000): Promise<void> {
    const state = this.state();
    const pid = state.pids.apiServer;
    if (pid !== undefined && isOurProcess(pid, state.binaries.kubeApiserver)) throw new Error(`kube-apiserver is running (pid ${pid})`);
    this.launch('apiServer', apiServerArgs(this.layout()));
    await this.waitForApiServer(readyTimeoutMs);
  }

  /**
   * etcdCompact compacts etcd's history up to its current revision (through etcd's gRPC gateway)
   * and returns that revision. Watches and lists from older resource versions then get 410 Gone.
   */
  async etcdCompact(): Promise<number> {
    const base = `http://127.0.0.1:${this.state().ports.etcdClient}/v3/kv`;
    const range = await request(`${base}/range`, { body: { key: Buffer.from('/').toString('base64'), count_only: true } });
    if (range.status !== 200) throw new Error(`etcd range: ${range.status} ${range.body}`);
    const revision = Number((JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision);
    if (!Number.isSafeInteger(revision) || revision <= 0) throw new Error(`etcd range: no revision in ${range.body}`);
    const compact = await request(`${base}/compaction`, { body: { revision: String(revision), physical: true } });
    // Compacting to a revision that is already compacted is the state we want, not a failure.
    if (compact.status !== 200 && !compact.body.includes('required revision has been compacted')) {
      throw new Error(`etcd compaction: ${compact.status} ${compact.body}`);
    }
    return revision;
  }

  /** auditEvents parses the API server's audit log (write requests at Metadata level). */
  auditEvents(): AuditEvent[] {
    const file = this.state().auditLog;
    return existsSync(file) ? parseAuditLog(readFileSync(file, 'utf8')) : [];
  }

  /**
   * userKubeconfig mints (once per name and groups) a client certificate for user `name` in
   * `groups`, signed by the cluster CA, and returns the path of a kubeconfig that uses it. Such a
   * user holds no permissions until RBAC grants some.
   */
  async userKubeconfig(name: string, groups: readonly string[] = []): Promise<string> {
    const layout = this.layout();
    const suffix = groups.length === 0 ? '' : `-${createHash('sha256').update(groups.join('\n')).digest('hex').slice(0, 10)}`;
    const base = path.join(layout.usersDir, `${name}${suffix}`);
    const file = `${base}.kubeconfig`;
    if (existsSync(file)) return file;
    await mkdir(layout.usersDir, { recursive: true });
    const pair = await mintClientCert(layout.pki, { cert: `${base}.crt`, key: `${base}.key` }, name, groups);
    const text = await buildKubeconfig({ server: this.server, caFile: layout.pki.ca.cert, certFile: pair.cert, keyFile: pair.key, user: name });
    await writeFile(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return file;
  }

  /** api performs a GET (or `method`) against the API server as admin. */
  async api(apiPath: string, method = 'GET'): Promise<{ status: number; body: string }> {
    return request(`${this.server}${apiPath}`, { method, tls: this.adminTls() });
  }

  /** adminTls is the admin client certificate (system:masters) and the cluster CA. */
  adminTls(): ClientTls {
    const { pki } = this.layout();
    return { caFile: pki.ca.cert, certFile: pki.admin.cert, keyFile: pki.admin.key };
  }

  private launch(component: Component, args: string[]): void {
    const state = this.state();
    const pid = spawnDetached(state.binaries[BINARY[component]], args, state.logs[component]);
    this.writeState({ ...state, pids: { ...state.pids, [component]: pid } });
  }

  private async waitForApiServer(timeoutMs: number): Promise<void> {
    await this.waitFor('apiServer', timeoutMs, async () => (await this.api('/readyz')).status === 200);
  }

  /** waitFor polls `ready` until it holds, failing early when the component's process exits. */
  private async waitFor(component: Component, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const state = this.state();
    const pid = state.pids[component];
    const logFile = state.logs[component];
    for (;;) {
      if (pid === undefined || !isRunning(pid)) throw new Error(`${component} exited during startup; see ${logFile}\n${await tail(logFile)}`);
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`${component} not ready after ${timeoutMs / 1000}s; see ${logFile}\n${await tail(logFile)}`);
      await delay(200);
    }
  }

  private writeState(state: ClusterState): void {
    const file = path.join(this.dir, STATE_FILE);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

/** CLUSTER_FILES are the entries a cluster creates in its state directory. */
export const CLUSTER_FILES = ['pki', 'etcd', 'logs', 'users', 'audit-policy.yaml', 'kubeconfig', STATE_FILE, `${STATE_FILE}.tmp`] as const;

async function removeClusterFiles(dir: string): Promise<void> {
  await Promise.all(CLUSTER_FILES.map((f) => rm(path.join(dir, f), { recursive: true, force: true })));
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * sweepStaleClusters stops clusters in `parent`/<prefix>* whose owner process is gone (a test
 * run that was killed before its teardown) and removes their directories. Returns their paths.
 */
export async function sweepStaleClusters(parent: string, prefix: string): Promise<string[]> {
  const swept: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(parent).filter((e) => e.startsWith(prefix));
  } catch {
    return swept;
  }
  for (const entry of entries) {
    const dir = path.join(parent, entry);
    if (!DevCluster.hasState(dir)) continue;
    try {
      const cluster = DevCluster.load(dir);
      const owner = cluster.state().ownerPid;
      if (owner === undefined || isRunning(owner)) continue;
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
      swept.push(dir);
    } catch {
      // An unreadable state file is left for a human to look at.
    }
  }
  return swept;
}
