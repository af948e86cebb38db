// Start or stop, never hang: `bulkhead run` that cannot do its work (a listen port in use, a
// collection it may not list, the CRD not installed) exits 1 at once with a message saying what
// is wrong, instead of keeping its watches open while reconciling nothing.
import { readFile, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { kubectlOk, testCluster, userKubeconfig } from '../harness/cluster.js';
import { ensureCrd, runOperatorToExit } from '../harness/operator.js';
import { operatorIdentity } from '../harness/operator-identity.js';

/** A start-up failure must end the process this fast (node's start and one round trip to the API server). */
const QUICK_MS = 15_000;

/** A port held open by another listener for the duration of a test. */
async function takenPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

beforeAll(async () => {
  await ensureCrd();
}, 60_000);

test('the metrics port in use: exit 1 at once, naming the address', async () => {
  const taken = await takenPort();
  try {
    const run = await runOperatorToExit({ args: ['--metrics-bind-address', `127.0.0.1:${taken.port}`] });
    process.stderr.write(`[measured] metrics port in use: exit ${run.code} after ${run.elapsedMs} ms\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bulkhead run: cannot serve /metrics, /healthz, /readyz on 127.0.0.1:${taken.port}: address already in use (EADDRINUSE)`);
    expect(run.elapsedMs).toBeLessThan(QUICK_MS);
    // Nothing was watched: the listener opens first.
    expect(run.stdout).not.toContain('informer caches synced');
  } finally {
    await taken.release();
  }
}, 60_000);

test('the health probe port in use: exit 1 at once, naming the address', async () => {
  const taken = await takenPort();
  try {
    const run = await runOperatorToExit({ args: ['--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', `127.0.0.1:${taken.port}`] });
    process.stderr.write(`[measured] probe port in use: exit ${run.code} after ${run.elapsedMs} ms\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bulkhead run: cannot serve /healthz, /readyz on 127.0.0.1:${taken.port}: address already in use (EADDRINUSE)`);
    expect(run.elapsedMs).toBeLessThan(QUICK_MS);
  } finally {
    await taken.release();
  }
}, 60_000);

test('no permission to list: exit 1 at once with the API server\'s words', async () => {
  // A user the API server knows, with no RBAC at all.
  const kubeconfig = await userKubeconfig('bulkhead-may-not-list', []);
  const run = await runOperatorToExit({ kubeconfig, args: ['--metrics-bind-address', '127.0.0.1:0'] });
  process.stderr.write(`[measured] no permission to list: exit ${run.code} after ${run.elapsedMs} ms\n`);
  expect(run.code).toBe(1);
  // Whichever LIST the API server refuses first (they start together): group names have digits
  // (rbac.authorization.k8s.io).
  expect(run.stderr).toMatch(/^bulkhead run: cannot list [a-z0-9.]+: 403 [a-z0-9.]+ is forbidden: User "bulkhead-may-not-list" cannot list resource "[a-z]+" in API group "[a-z0-9.]*" (at the cluster scope|in the namespace "default"): the operator needs the permissions of manifests\/rbac\.yaml/m);
  expect(run.elapsedMs).toBeLessThan(QUICK_MS);
}, 60_000);

/**
 * A front for the real API server that does not serve bulkhead.dev, as an API server without the
 * CRD answers (404 page not found), and passes every other request through, watches included.
 * The suites share one cluster, so the CRD itself is never deleted.
 */
async function apiServerWithoutCrd(): Promise<{ kubeconfig: string; close: () => Promise<void> }> {
  const identity = await operatorIdentity();
  type Kubeconfig = { clusters: { cluster: Record<string, unknown> }[] };
  const kc = load(await readFile(identity.kubeconfig, 'utf8')) as Kubeconfig;
  const cluster = kc.clusters[0]?.cluster;
  if (cluster === undefined) throw new Error(`${identity.kubeconfig} names no cluster`);
  const upstream = new URL(String(cluster['server']));
  const ca = Buffer.from(String(cluster['certificate-authority-data']), 'base64');
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if ((req.url ?? '').startsWith('/apis/bulkhead.dev')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const out = httpsRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ca }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server: Server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const file = path.join(testCluster().dir, 'users', 'bulkhead-operator-without-crd.kubeconfig');
  // Plain HTTP to the front (the kubeconfig allows an http:// server).
  kc.clusters[0] = { ...kc.clusters[0], cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } };
  await writeFile(file, dump(kc), { mode: 0o600 });
  return {
    kubeconfig: file,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('the CRD not installed: exit 1 at once, saying so', async () => {
  const front = await apiServerWithoutCrd();
  try {
    // The same identity straight to the API server gets past the AIWorkload list.
    expect(await kubectlOk(['get', 'aiworkloads', '-A', '-o', 'name'], { kubeconfig: (await operatorIdentity()).kubeconfig })).toBeDefined();
    const run = await runOperatorToExit({ kubeconfig: front.kubeconfig, args: ['--metrics-bind-address', '127.0.0.1:0'] });
    process.stderr.write(`[measured] CRD not installed: exit ${run.code} after ${run.elapsedMs} ms\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bulkhead run: cannot list aiworkloads.bulkhead.dev: 404 page not found: the AIWorkload CustomResourceDefinition is not installed (kubectl apply -f crds/)');
    expect(run.elapsedMs).toBeLessThan(QUICK_MS);
  } finally {
    await front.close();
  }
}, 60_000);
