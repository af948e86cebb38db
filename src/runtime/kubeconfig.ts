// The kubeconfig: where the API server is and how to authenticate to it, for the transports
// (rest.ts, watch.ts, informer.ts). Our own loader instead of @kubernetes/client-node's KubeConfig,
// whose module loads the library's whole generated API: importing it took a bare Node.js process
// from 43 to 118 MiB of RSS, most of the operator's memory budget (docs/benchmarks.md).
//
// What it reads is what operators and kubectl users need, with kubectl's rules:
// - $KUBECONFIG, a list of files (':' on Unix): files that do not exist are skipped, the first file
//   to name a cluster, user or context wins, and so does the first current-context; else in-cluster
//   config in a pod (controller-runtime's order); else ~/.kube/config.
// - In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the service account's
//   ca.crt and token. The kubelet rotates the token file; it is re-read, as every file here, at most
//   a minute after it was last read (client-go's period).
// - Clusters: server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name.
// - Users: client-certificate(-data), client-key(-data), token, tokenFile, username and password,
//   as and as-groups (impersonation), and exec credential plugins (client.authentication.k8s.io/v1
//   and v1beta1), whose credential is cached until its expirationTimestamp.
// Relative paths are relative to the file that names them. What it does not support (proxy-url,
// the removed auth-provider plugins) is an error when the context uses it, not silently ignored.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';

/** The service account files of a pod (what the kubelet mounts). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long a file read for a request is used before it is read again (a rotated token). */
export const FILE_REREAD_MS = 60_000;

export interface Cluster {
  name: string;
  server: string;
  caFile?: string;
  /** Base64 of the PEM, as in the file. */
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
  /** The cluster's extension for exec plugins (extensions[client.authentication.k8s.io/exec]). */
  execExtension?: unknown;
}

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  provideClusterInfo: boolean;
  interactiveMode: string;
}

export interface User {
  name: string;
  certFile?: string;
  /** Base64 of the PEM, as in the file. */
  certData?: string;
  keyFile?: string;
  keyData?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  impersonateGroups?: string[];
  exec?: ExecConfig;
}

export interface Context {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

export interface KubeConfigOptions {
  /** The environment (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the in-cluster token, ca.crt and namespace are; default {@link SERVICE_ACCOUNT_DIR}. */
  serviceAccountDir?: string;
  /** The clock for re-reading files and for exec credentials' expiry; default Date.now. */
  now?: () => number;
}

/** The exec plugin's answer: a token or a client certificate, valid until `expiresAt` (epoch ms). */
interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  expiresAt?: number;
}

/** TLS material of one request; an agent is reused while it stays the same. */
interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

type Yaml = Record<string, unknown>;

const isObject = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
/** Only the keys whose value is defined, so that optional fields stay absent. */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** A path in a kubeconfig, relative to the file's directory; undefined stays undefined. */
function resolvePath(dir: string, file: string | undefined): string | undefined {
  return file === undefined || dir === '' ? file : path.resolve(dir, file);
}

/** The `- name: N\n  <key>: {...}` entries of a kubeconfig list, as [name, body]. */
function namedEntries(list: unknown, key: string, file: string): [string, Yaml][] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${file}: ${key}s is not a list`);
  return list.map((entry: unknown) => {
    const name = isObject(entry) ? str(entry['name']) : undefined;
    if (name === undefined || !isObject(entry)) throw new Error(`${file}: a ${key} without a name`);
    const body = entry[key];
    return [name, isObject(body) ? body : {}];
  });
}

function extension(body: Yaml, name: string): unknown {
  const list = body['extensions'];
  if (!Array.isArray(list)) return undefined;
  const found: unknown = list.find((e: unknown) => isObject(e) && e['name'] === name);
  return isObject(found) ? found['extension'] : undefined;
}

function parseCluster(name: string, c: Yaml, dir: string, file: string): Cluster {
  const server = str(c['server']);
  if (server === undefined) throw new Error(`${file}: cluster ${name} has no server`);
  if (str(c['proxy-url']) !== undefined) throw new Error(`${file}: cluster ${name}: proxy-url is not supported`);
  return defined({
    name,
    server,
    caFile: resolvePath(dir, str(c['certificate-authority'])),
    caData: str(c['certificate-authority-data']),
    skipTLSVerify: c['insecure-skip-tls-verify'] === true ? true : undefined,
    tlsServerName: str(c['tls-server-name']),
    execExtension: extension(c, 'client.authentication.k8s.io/exec'),
  });
}

const EXEC_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

function parseExec(name: string, e: Yaml, dir: string, file: string): ExecConfig {
  const apiVersion = str(e['apiVersion']) ?? '';
  if (!EXEC_VERSIONS.includes(apiVersion)) throw new Error(`${file}: user ${name}: exec apiVersion "${apiVersion}" is not one of ${EXEC_VERSIONS.join(', ')}`);
  const command = str(e['command']);
  if (command === undefined) throw new Error(`${file}: user ${name}: exec has no command`);
  const env = (Array.isArray(e['env']) ? e['env'] : []).filter(isObject).map((v) => ({ name: str(v['name']) ?? '', value: typeof v['value'] === 'string' ? v['value'] : '' }));
  // A command with a path separator is relative to the kubeconfig (client-go); a bare name is looked up in PATH.
  return {
    apiVersion,
    command: command.includes('/') ? (resolvePath(dir, command) ?? command) : command,
    args: strings(e['args']),
    env,
    provideClusterInfo: e['provideClusterInfo'] === true,
    interactiveMode: str(e['interactiveMode']) ?? 'IfAvailable',
  };
}

function parseUser(name: string, u: Yaml, dir: string, file: string): User {
  if (u['auth-provider'] !== undefined) throw new Error(`${file}: user ${name}: auth-provider plugins are not supported (use an exec plugin)`);
  const groups = strings(u['as-groups']);
  return defined({
    name,
    certFile: resolvePath(dir, str(u['client-certificate'])),
    certData: str(u['client-certificate-data']),
    keyFile: resolvePath(dir, str(u['client-key'])),
    keyData: str(u['client-key-data']),
    token: str(u['token']),
    tokenFile: resolvePath(dir, str(u['tokenFile'])),
    username: str(u['username']),
    password: typeof u['password'] === 'string' ? u['password'] : undefined,
    impersonate: str(u['as']),
    impersonateGroups: groups.length > 0 ? groups : undefined,
    exec: isObject(u['exec']) ? parseExec(name, u['exec'], dir, file) : undefined,
  });
}

function parseContext(name: string, c: Yaml, file: string): Context {
  const cluster = str(c['cluster']);
  const user = str(c['user']) ?? '';
  if (cluster === undefined) throw new Error(`${file}: context ${name} has no cluster`);
  return defined({ name, cluster, user, namespace: str(c['namespace']) });
}

/** A merged view of kubeconfig files: the first to name an entry wins. */
interface Loaded {
  clusters: Map<string, Cluster>;
  users: Map<string, User>;
  contexts: Map<string, Context>;
  currentContext?: string;
}

function addFirst<T>(into: Map<string, T>, entries: [string, Yaml][], make: (name: string, body: Yaml) => T): void {
  for (const [name, body] of entries) if (!into.has(name)) into.set(name, make(name, body));
}

/** parseInto adds one kubeconfig document (named `file`, relative paths against `dir`) under what is already loaded. */
function parseInto(loaded: Loaded, text: string, dir: string, file: string): void {
  const doc = load(text) ?? {};
  if (!isObject(doc)) throw new Error(`${file}: not a kubeconfig (a YAML mapping)`);
  addFirst(loaded.clusters, namedEntries(doc['clusters'], 'cluster', file), (n, b) => parseCluster(n, b, dir, file));
  addFirst(loaded.users, namedEntries(doc['users'], 'user', file), (n, b) => parseUser(n, b, dir, file));
  addFirst(loaded.contexts, namedEntries(doc['contexts'], 'context', file), (n, b) => parseContext(n, b, file));
  loaded.currentContext ??= str(doc['current-context']);
}

/** Files read for requests, each re-read once it is older than {@link FILE_REREAD_MS}. */
class FileCache {
  private readonly files = new Map<string, { at: number; data: Buffer }>();

  constructor(private readonly now: () => number) {}

  read(file: string): Buffer {
    const t = this.now();
    const hit = this.files.get(file);
    if (hit !== undefined && t - hit.at < FILE_REREAD_MS) return hit.data;
    const data = readFileSync(file);
    this.files.set(file, { at: t, data });
    return data;
  }
}

const samePem = (a: Buffer | string | undefined, b: Buffer | string | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b)));

/** Whether two requests' TLS material is the same (by content: files are re-read, data decoded per request). */
function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return samePem(a.ca, b.ca) && samePem(a.cert, b.cert) && samePem(a.key, b.key) && a.rejectUnauthorized === b.rejectUnauthorized && a.servername === b.servername;
}

/**
 * KubeConfig is the loaded kubeconfig, with the three methods the transports use (the names of
 * client-node's, which it replaces): loadFromDefault, getCurrentCluster, applyToHTTPSOptions.
 */
export class KubeConfig {
  private loaded: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map() };
  private readonly env: NodeJS.ProcessEnv;
  private readonly serviceAccountDir: string;
  private readonly now: () => number;
  private readonly files: FileCache;
  private credential: { value: Credential } | undefined;
  private pendingCredential: Promise<Credential> | undefined;
  private agent: { material: TlsMaterial; agent: http.Agent } | undefined;

  constructor(opts: KubeConfigOptions = {}) {
    this.env = opts.env ?? process.env;
    this.serviceAccountDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    this.now = opts.now ?? Date.now;
    this.files = new FileCache(this.now);
  }

  /** $KUBECONFIG's files, else in-cluster config in a pod, else ~/.kube/config (see the file's header). */
  loadFromDefault(): void {
    const list = (this.env['KUBECONFIG'] ?? '').split(path.delimiter).filter((f) => f !== '');
    if (list.length > 0) return this.loadFromFiles(list);
    if (this.inCluster()) return this.loadFromCluster();
    const home = this.env['HOME'] ?? homedir();
    const file = path.join(home, '.kube', 'config');
    if (!existsSync(file)) throw new Error(`no kubeconfig: KUBECONFIG is not set, this is not a pod (KUBERNETES_SERVICE_HOST) and ${file} does not exist`);
    this.loadFromFiles([file]);
  }

  /** Merges the files, first wins; files that do not exist are skipped, but not all of them. */
  loadFromFiles(files: readonly string[]): void {
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) throw new Error(`no kubeconfig: none of ${files.join(', ')} exists`);
    const loaded: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map() };
    for (const file of present) parseInto(loaded, readFileSync(file, 'utf8'), path.dirname(path.resolve(file)), file);
    this.loaded = loaded;
  }

  loadFromFile(file: string): void {
    this.loadFromFiles([file]);
  }

  /** One kubeconfig document; relative paths in it are relative to `dir` (default: the working directory). */
  loadFromString(text: string, dir = ''): void {
    const loaded: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map() };
    parseInto(loaded, text, dir, 'kubeconfig');
    this.loaded = loaded;
  }

  private inCluster(): boolean {
    return str(this.env['KUBERNETES_SERVICE_HOST']) !== undefined && str(this.env['KUBERNETES_SERVICE_PORT']) !== undefined && existsSync(path.join(this.serviceAccountDir, 'token'));
  }

  /** The pod's own config: the service's address, the service account's CA and (rotated) token. */
  loadFromCluster(): void {
    const host = this.env['KUBERNETES_SERVICE_HOST'] ?? '';
    const port = this.env['KUBERNETES_SERVICE_PORT'] ?? '';
    if (host === '' || port === '') throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
    const dir = this.serviceAccountDir;
    const nsFile = path.join(dir, 'namespace');
    const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
    const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.loaded = {
      clusters: new Map([['in-cluster', { name: 'in-cluster', server, caFile: path.join(dir, 'ca.crt') }]]),
      users: new Map([['in-cluster', { name: 'in-cluster', tokenFile: path.join(dir, 'token') }]]),
      contexts: new Map([['in-cluster', defined({ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace })]]),
      currentContext: 'in-cluster',
    };
  }

  /** The name of the current context, '' when there is none. */
  getCurrentContext(): string {
    return this.loaded.currentContext ?? '';
  }

  getContext(): Context | null {
    const name = this.loaded.currentContext;
    return name === undefined ? null : (this.loaded.contexts.get(name) ?? null);
  }

  /** The current context's cluster; null when there is no current context or it names no cluster. */
  getCurrentCluster(): Cluster | null {
    const ctx = this.getContext();
    return ctx === null ? null : (this.loaded.clusters.get(ctx.cluster) ?? null);
  }

  getCurrentUser(): User | null {
    const ctx = this.getContext();
    return ctx === null ? null : (this.loaded.users.get(ctx.user) ?? null);
  }

  /**
   * applyToHTTPSOptions sets what a node:http(s) request to the current cluster needs: the CA,
   * client certificate and key, server name and verification, the Authorization header (or basic
   * auth), impersonation headers, and an agent for that TLS material (kept while it is the same).
   */
  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (cluster === null) throw new Error(this.loaded.currentContext === undefined ? 'kubeconfig has no current context' : `kubeconfig: context "${this.loaded.currentContext}" has no cluster`);
    const user = this.getCurrentUser() ?? { name: '' };
    const credential = user.exec === undefined ? undefined : await this.execCredential(user.exec, cluster);
    const material = this.tlsMaterial(cluster, user, credential);
    Object.assign(opts, material);
    const headers = this.authHeaders(user, credential);
    if (Object.keys(headers).length > 0) opts.headers = { ...(opts.headers as http.OutgoingHttpHeaders | undefined), ...headers };
    if (user.username !== undefined && headers['Authorization'] === undefined) opts.auth = `${user.username}:${user.password ?? ''}`;
    opts.agent = this.agentFor(cluster, material);
  }

  private fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (file !== undefined) return this.files.read(file);
    return data === undefined ? undefined : Buffer.from(data, 'base64');
  }

  private tlsMaterial(cluster: Cluster, user: User, credential: Credential | undefined): TlsMaterial {
    return defined({
      ca: this.fileOrData(cluster.caFile, cluster.caData),
      cert: credential?.cert ?? this.fileOrData(user.certFile, user.certData),
      key: credential?.key ?? this.fileOrData(user.keyFile, user.keyData),
      rejectUnauthorized: cluster.skipTLSVerify === true ? false : undefined,
      servername: cluster.tlsServerName,
    });
  }

  private bearerToken(user: User, credential: Credential | undefined): string | undefined {
    if (user.token !== undefined) return user.token;
    if (user.tokenFile !== undefined) return str(this.files.read(user.tokenFile).toString('utf8').trim());
    return credential?.token;
  }

  private authHeaders(user: User, credential: Credential | undefined): Record<string, string | string[]> {
    const token = this.bearerToken(user, credential);
    const headers: Record<string, string | string[] | undefined> = {
      Authorization: token === undefined ? undefined : `Bearer ${token}`,
      'Impersonate-User': user.impersonate,
      'Impersonate-Group': user.impersonateGroups,
    };
    return defined(headers) as Record<string, string | string[]>;
  }

  /** One agent for as long as the TLS material is the same (a rotated certificate gets a new one). */
  private agentFor(cluster: Cluster, material: TlsMaterial): http.Agent {
    if (this.agent !== undefined && sameMaterial(this.agent.material, material)) return this.agent.agent;
    const agent = cluster.server.startsWith('http:') ? new http.Agent() : new https.Agent({ ...material });
    this.agent = { material, agent };
    return agent;
  }

  /** The exec plugin's credential: cached until it expires; concurrent requests wait for one run. */
  private async execCredential(exec: ExecConfig, cluster: Cluster): Promise<Credential> {
    const cached = this.credential?.value;
    if (cached !== undefined && (cached.expiresAt === undefined || cached.expiresAt > this.now())) return cached;
    this.pendingCredential ??= runExecPlugin(exec, cluster, this.env).finally(() => {
      this.pendingCredential = undefined;
    });
    const value = await this.pendingCredential;
    this.credential = { value };
    return value;
  }
}

/** What the plugin is told (KUBERNETES_EXEC_INFO): its apiVersion, interactivity, and the cluster if it asked. */
function execInfo(exec: ExecConfig, cluster: Cluster, interactive: boolean): string {
  const clusterInfo = exec.provideClusterInfo
    ? {
        cluster: defined({
          server: cluster.server,
          'tls-server-name': cluster.tlsServerName,
          'insecure-skip-tls-verify': cluster.skipTLSVerify,
          'certificate-authority-data': cluster.caData ?? (cluster.caFile !== undefined ? readFileSync(cluster.caFile).toString('base64') : undefined),
          config: cluster.execExtension,
        }),
      }
    : {};
  return JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: { interactive, ...clusterInfo } });
}

/** parseCredential checks the plugin's ExecCredential and returns what a request uses of it. */
export function parseCredential(stdout: string, apiVersion: string): Credential {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error('exec plugin: its output is not JSON');
  }
  if (!isObject(doc) || doc['kind'] !== 'ExecCredential' || doc['apiVersion'] !== apiVersion) throw new Error(`exec plugin: its output is not an ExecCredential of ${apiVersion}`);
  const status = isObject(doc['status']) ? doc['status'] : {};
  const cred: Credential = defined({ token: str(status['token']), cert: str(status['clientCertificateData']), key: str(status['clientKeyData']) });
  if (cred.token === undefined && (cred.cert === undefined || cred.key === undefined)) throw new Error('exec plugin: the ExecCredential has neither a token nor a client certificate and key');
  const expiresAt = expiry(str(status['expirationTimestamp']));
  return expiresAt === undefined ? cred : { ...cred, expiresAt };
}

function expiry(timestamp: string | undefined): number | undefined {
  if (timestamp === undefined) return undefined;
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) throw new Error(`exec plugin: expirationTimestamp "${timestamp}" is not a time`);
  return at;
}

/**
 * runExecPlugin runs the plugin once. It may talk to the user (a login prompt) only when this
 * process has a terminal and the kubeconfig allows it; interactiveMode Always without one is an error.
 */
function runExecPlugin(exec: ExecConfig, cluster: Cluster, parentEnv: NodeJS.ProcessEnv): Promise<Credential> {
  const interactive = exec.interactiveMode !== 'Never' && process.stdin.isTTY;
  if (exec.interactiveMode === 'Always' && !interactive) return Promise.reject(new Error(`exec plugin ${exec.command}: interactiveMode Always needs a terminal`));
  const env = { ...parentEnv, ...Object.fromEntries(exec.env.map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: execInfo(exec, cluster, interactive) };
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args, { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (err) => reject(new Error(`exec plugin ${exec.command}: ${err.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`exec plugin ${exec.command} exited ${String(code)}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`));
        return;
      }
      try {
        resolve(parseCredential(stdout, exec.apiVersion));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
