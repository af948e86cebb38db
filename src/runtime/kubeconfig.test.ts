import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import { FILE_REREAD_MS, KubeConfig, parseCredential } from './kubeconfig.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A kubeconfig of one context `name` on cluster `cluster` and user `user`. */
function config(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `${name}-cluster`, cluster }],
    users: [{ name: `${name}-user`, user }],
    contexts: [{ name, context: { cluster: `${name}-cluster`, user: `${name}-user`, namespace: 'team-a' } }],
    'current-context': name,
    ...extra,
  });
}

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function apply(kc: KubeConfig): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

/** TLS material as text (a Buffer when read from a file or decoded from data). */
const pem = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
const header = (opts: https.RequestOptions, name: string): unknown => (opts.headers as Record<string, unknown> | undefined)?.[name];

describe('kubeconfig files', () => {
  test('a cluster and user with files relative to the kubeconfig and embedded data', async () => {
    await write('ca.pem', 'CA PEM');
    await write('client.key', 'KEY PEM');
    const file = await write('config', config('dev', { server: 'https://10.0.0.1:6443', 'certificate-authority': 'ca.pem', 'tls-server-name': 'api.internal', 'insecure-skip-tls-verify': false }, { 'client-certificate-data': b64('CERT PEM'), 'client-key': './client.key' }));
    const kc = new KubeConfig({ env: { KUBECONFIG: file } });
    kc.loadFromDefault();
    expect(kc.getCurrentContext()).toBe('dev');
    expect(kc.getContext()?.namespace).toBe('team-a');
    expect(kc.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    const opts = await apply(kc);
    expect(pem(opts.ca)).toBe('CA PEM');
    expect(pem(opts.cert)).toBe('CERT PEM');
    expect(pem(opts.key)).toBe('KEY PEM');
    expect(opts.servername).toBe('api.internal');
    expect(opts.rejectUnauthorized).toBeUndefined();
    expect(header(opts, 'Authorization')).toBeUndefined();
    expect(opts.agent).toBeInstanceOf(https.Agent);
    // The same TLS material, the same agent (its connections are reused).
    expect((await apply(kc)).agent).toBe(opts.agent);
  });

  test('KUBECONFIG merges its files as kubectl does: missing files skipped, the first to name an entry wins', async () => {
    const first = await write('first', config('a', { server: 'https://a.example:6443' }, { token: 'a-token' }));
    const second = await write(
      'second',
      dump({
        clusters: [{ name: 'a-cluster', cluster: { server: 'https://shadowed.example' } }, { name: 'b-cluster', cluster: { server: 'http://b.example:8080', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'b-user', user: { username: 'admin', password: 'pw' } }],
        contexts: [{ name: 'b', context: { cluster: 'b-cluster', user: 'b-user' } }],
        'current-context': 'b',
      }),
    );
    const kc = new KubeConfig({ env: { KUBECONFIG: [first, path.join(dir, 'missing'), second].join(path.delimiter) } });
    kc.loadFromDefault();
    expect(kc.getCurrentContext()).toBe('a');
    expect(kc.getCurrentCluster()?.server).toBe('https://a.example:6443');
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer a-token');

    // The second file's context, on its own: basic auth, plain HTTP.
    const b = new KubeConfig({ env: { KUBECONFIG: second } });
    b.loadFromDefault();
    const opts = await apply(b);
    expect(opts.auth).toBe('admin:pw');
    expect(opts.rejectUnauthorized).toBe(false);
    expect(opts.agent).toBeInstanceOf(http.Agent);
    expect(opts.agent).not.toBeInstanceOf(https.Agent);
  });

  test('~/.kube/config without KUBECONFIG, and a clear error when there is no config at all', async () => {
    await mkdir(path.join(dir, '.kube'));
    await write('.kube/config', config('home', { server: 'https://home.example' }, { token: 't' }));
    const kc = new KubeConfig({ env: { HOME: dir }, serviceAccountDir: path.join(dir, 'no-sa') });
    kc.loadFromDefault();
    expect(kc.getCurrentCluster()?.server).toBe('https://home.example');
    expect(() => new KubeConfig({ env: { HOME: path.join(dir, 'nowhere') }, serviceAccountDir: path.join(dir, 'no-sa') }).loadFromDefault()).toThrow(/no kubeconfig/);
    expect(() => new KubeConfig({ env: { KUBECONFIG: path.join(dir, 'missing') } }).loadFromDefault()).toThrow(/none of .*missing exists/);
  });

  test('a tokenFile is re-read once the last read is older than a minute, so a rotated token is used', async () => {
    const tokenFile = await write('token', 'first\n');
    let now = 1_000_000;
    const kc = new KubeConfig({ now: () => now });
    kc.loadFromString(config('t', { server: 'https://t.example' }, { tokenFile }));
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer first');
    await writeFile(tokenFile, 'second');
    now += FILE_REREAD_MS - 1;
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer first');
    now += 2;
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer second');
  });

  test('impersonation headers', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(config('i', { server: 'https://i.example' }, { token: 't', as: 'jane', 'as-groups': ['devs', 'ops'] }));
    const opts = await apply(kc);
    expect(header(opts, 'Impersonate-User')).toBe('jane');
    expect(header(opts, 'Impersonate-Group')).toEqual(['devs', 'ops']);
  });

  test.each([
    ['proxy-url', config('p', { server: 'https://p.example', 'proxy-url': 'http://proxy:3128' }, {}), /proxy-url is not supported/],
    ['an auth-provider', config('p', { server: 'https://p.example' }, { 'auth-provider': { name: 'gcp' } }), /auth-provider plugins are not supported/],
    ['an exec plugin of another apiVersion', config('p', { server: 'https://p.example' }, { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } }), /v1alpha1" is not one of/],
    ['a cluster without a server', config('p', {}, {}), /has no server/],
    ['a list that is not a list', 'clusters: {}\n', /clusters is not a list/],
  ])('%s is an error when loading, not ignored', (_what, text, error) => {
    expect(() => new KubeConfig().loadFromString(text)).toThrow(error);
  });

  test('a request without a current context says so', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(dump({ clusters: [{ name: 'c', cluster: { server: 'https://c' } }] }));
    expect(kc.getCurrentCluster()).toBeNull();
    await expect(apply(kc)).rejects.toThrow(/no current context/);
  });
});

describe('in-cluster config', () => {
  async function serviceAccount(): Promise<string> {
    const sa = path.join(dir, 'sa');
    await mkdir(sa);
    await writeFile(path.join(sa, 'token'), 'sa-token-1');
    await writeFile(path.join(sa, 'ca.crt'), 'CLUSTER CA');
    await writeFile(path.join(sa, 'namespace'), 'bulkhead-system');
    return sa;
  }

  test('the service address (an IPv6 one bracketed), ca.crt, and the token re-read after rotation', async () => {
    const sa = await serviceAccount();
    let now = 0;
    const kc = new KubeConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa, now: () => now });
    kc.loadFromDefault();
    expect(kc.getCurrentCluster()?.server).toBe('https://[fd00:10:96::1]:443');
    expect(kc.getContext()?.namespace).toBe('bulkhead-system');
    const opts = await apply(kc);
    expect(pem(opts.ca)).toBe('CLUSTER CA');
    expect(header(opts, 'Authorization')).toBe('Bearer sa-token-1');
    // The kubelet writes the rotated token; the next read after a minute uses it.
    await writeFile(path.join(sa, 'token'), 'sa-token-2');
    now += FILE_REREAD_MS;
    const rotated = await apply(kc);
    expect(header(rotated, 'Authorization')).toBe('Bearer sa-token-2');
    // The CA did not change: the same agent.
    expect(rotated.agent).toBe(opts.agent);
  });

  test('KUBECONFIG, when set, wins over in-cluster config', async () => {
    const sa = await serviceAccount();
    const file = await write('config', config('k', { server: 'https://k.example' }, { token: 't' }));
    const kc = new KubeConfig({ env: { KUBECONFIG: file, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    kc.loadFromDefault();
    expect(kc.getCurrentCluster()?.server).toBe('https://k.example');
  });
});

describe('exec credential plugins', () => {
  /**
   * A plugin (a node script): counts its runs in `runs`, saves KUBERNETES_EXEC_INFO to `info`, and
   * prints an ExecCredential of its apiVersion with `tok-<run>` (or a client certificate when
   * CERT is set), expiring at $EXPIRY; exits 1 with a message when FAIL is set.
   */
  async function plugin(): Promise<string> {
    return write(
      'plugin.mjs',
      `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
const dir = ${JSON.stringify(dir)};
if (process.env.FAIL) { process.stderr.write('login required\\n'); process.exit(1); }
appendFileSync(dir + '/runs', 'x');
const run = readFileSync(dir + '/runs', 'utf8').length;
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
writeFileSync(dir + '/info', JSON.stringify(info));
const status = process.env.CERT ? { clientCertificateData: 'PLUGIN CERT', clientKeyData: 'PLUGIN KEY' } : { token: 'tok-' + run };
if (process.env.EXPIRY) status.expirationTimestamp = process.env.EXPIRY;
process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status }));
`,
    );
  }

  const runs = async (): Promise<number> => (await readFile(path.join(dir, 'runs'), 'utf8').catch(() => '')).length;

  function execConfig(script: string, apiVersion: string, env: Record<string, string>, extra: Record<string, unknown> = {}): string {
    const exec = { apiVersion, command: process.execPath, args: [script], env: Object.entries(env).map(([name, value]) => ({ name, value })), interactiveMode: 'Never', ...extra };
    const cluster = { server: 'https://e.example:6443', 'certificate-authority-data': b64('CA'), extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'bulkhead' } }] };
    return config('e', cluster, { exec });
  }

  test('v1: the token is cached until its expirationTimestamp, one run for concurrent requests, then run again', async () => {
    const script = await plugin();
    const expiry = Date.parse('2026-12-01T12:00:00Z');
    let now = expiry - 60_000;
    const kc = new KubeConfig({ now: () => now });
    kc.loadFromString(execConfig(script, 'client.authentication.k8s.io/v1', { EXPIRY: '2026-12-01T12:00:00Z' }, { provideClusterInfo: true }));
    const first = await Promise.all([apply(kc), apply(kc), apply(kc)]);
    expect(first.map((o) => header(o, 'Authorization'))).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(await runs()).toBe(1);
    const info = JSON.parse(await readFile(path.join(dir, 'info'), 'utf8')) as unknown;
    expect(info).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://e.example:6443', 'certificate-authority-data': b64('CA'), config: { audience: 'bulkhead' } } },
    });
    now = expiry - 1;
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer tok-1');
    now = expiry;
    expect(header(await apply(kc), 'Authorization')).toBe('Bearer tok-2');
    expect(await runs()).toBe(2);
  });

  test('v1beta1: a client certificate, without cluster info unless asked for', async () => {
    const script = await plugin();
    const kc = new KubeConfig();
    kc.loadFromString(execConfig(script, 'client.authentication.k8s.io/v1beta1', { CERT: '1' }));
    const opts = await apply(kc);
    expect(opts.cert).toBe('PLUGIN CERT');
    expect(opts.key).toBe('PLUGIN KEY');
    expect(header(opts, 'Authorization')).toBeUndefined();
    // No expirationTimestamp: valid for the life of the process.
    await apply(kc);
    expect(await runs()).toBe(1);
    expect(JSON.parse(await readFile(path.join(dir, 'info'), 'utf8'))).toEqual({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } });
  });

  test('a failing plugin fails the request with what it said, and is run again on the next one', async () => {
    const script = await plugin();
    const kc = new KubeConfig();
    kc.loadFromString(execConfig(script, 'client.authentication.k8s.io/v1', { FAIL: '1' }));
    await expect(apply(kc)).rejects.toThrow(/exited 1: login required/);
    await expect(apply(kc)).rejects.toThrow(/exited 1/);
  });

  test('interactiveMode Always without a terminal is an error, not a hang', async () => {
    const script = await plugin();
    const kc = new KubeConfig();
    kc.loadFromString(execConfig(script, 'client.authentication.k8s.io/v1', {}, { interactiveMode: 'Always' }));
    await expect(apply(kc)).rejects.toThrow(/needs a terminal/);
  });

  test.each([
    ['not JSON', 'nope', /not JSON/],
    ['another kind', JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'Pod' }), /not an ExecCredential/],
    ['another apiVersion', JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 't' } }), /not an ExecCredential/],
    ['no credential', JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientKeyData: 'k' } }), /neither a token/],
    ['a bad expiry', JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 't', expirationTimestamp: 'soon' } }), /not a time/],
  ])('an ExecCredential that is %s is refused', (_what, stdout, error) => {
    expect(() => parseCredential(stdout, 'client.authentication.k8s.io/v1')).toThrow(error);
  });
});
