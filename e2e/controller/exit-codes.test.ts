// The exit codes of the commands that talk to a cluster, through bin/bulkhead.js as a user runs
// it: 1 for findings or changes, 2 when they cannot do their job. An API server that does not
// answer (a port nothing listens on) and one that refuses the credentials (the real control
// plane, with a token it never issued) are both 2: `check` cannot check, `diff` cannot diff.
// The 0 cases, and exposure's 1, are in check.test.ts, diff.test.ts and exposure.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '../../src/runtime/kubeconfig.js';
import { dump } from 'js-yaml';
import { bulkhead } from '../harness/cli.js';
import { adminKubeconfig, deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { ensureCrd, repoRoot } from '../harness/operator.js';

let ns = '';
let sample = '';
const kubeconfigs: Record<'unreachable' | 'refused', string> = { unreachable: '', refused: '' };

/** A kubeconfig for `server`, authenticating with a bearer token. */
function kubeconfig(server: string, caData: string | undefined, token: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bulkhead-exit-')), 'kubeconfig');
  const cluster = caData === undefined ? { server, 'insecure-skip-tls-verify': true } : { server, 'certificate-authority-data': caData };
  writeFileSync(file, dump({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user: { token } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
  return file;
}

/** A loopback port nothing listens on: one just given up. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  await ensureCrd();
  ns = await freshNamespace('exit');
  // A CRD just created is Established before its storage serves lists (429 "storage is (re)initializing").
  await waitFor(() => kubectlOk(['get', 'aiworkloads', '-A']).then(() => true, () => false), { description: 'the AIWorkload storage to serve lists' });
  sample = readFileSync(path.join(repoRoot(), 'samples', 'fraud-detection.yaml'), 'utf8').replace('namespace: ml-prod', `namespace: ${ns}`);
  kubeconfigs.unreachable = kubeconfig(`https://127.0.0.1:${await closedPort()}`, undefined, 'unused');
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig());
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig names no cluster');
  const ca = cluster.caData ?? (cluster.caFile === undefined ? undefined : readFileSync(cluster.caFile).toString('base64'));
  kubeconfigs.refused = kubeconfig(cluster.server, ca, 'a-token-this-api-server-never-issued');
}, 120_000);

afterAll(async () => {
  if (ns !== '') await deleteNamespace(ns);
});

describe.each(['unreachable', 'refused'] as const)('an API server that is %s', (which) => {
  test('check cannot check: exit 2, saying so', async () => {
    const r = await bulkhead(['check'], { kubeconfig: kubeconfigs[which] });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^bulkhead check: cannot check: GET \/version at https:\/\/127\.0\.0\.1:\d+ failed: /);
  });

  test('diff cannot diff: exit 2, not 1 (the code for changes)', async () => {
    const r = await bulkhead(['diff', '-f', '-'], { input: sample, kubeconfig: kubeconfigs[which] });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^bulkhead diff: /);
  });

  test('exposure, explain --live and report --live: exit 2', async () => {
    for (const args of [['exposure'], ['explain', '--live'], ['explain', '--live', '-o', 'mermaid'], ['report', '--live']]) {
      const r = await bulkhead(args, { kubeconfig: kubeconfigs[which] });
      expect([args, r.code, r.stderr]).toEqual([args, 2, expect.stringMatching(new RegExp(`^bulkhead ${args[0]}: `))]);
    }
  }, 30_000);
});

test('findings and changes are 1: a failed check, an AIWorkload not yet applied', async () => {
  const stale = new Date(Date.now() - 10 * 60_000).toISOString().replace('Z', '000Z');
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'stale', namespace: ns }, spec: { holderIdentity: 'gone', leaseDurationSeconds: 15, renewTime: stale } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(lease) });
  const check = await bulkhead(['check', '-n', ns, '--lease', 'stale']);
  expect(check.code).toBe(1);
  expect(check.stdout).toMatch(/^FAIL {2}operator /m);
  const diff = await bulkhead(['diff', '-f', '-'], { input: sample });
  expect([diff.code, diff.stderr]).toEqual([1, '']);
  expect(diff.stdout).toContain(`--- AIWorkload ${ns}/fraud-detect`);
}, 60_000);
