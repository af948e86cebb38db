// `bulkhead dataplane` as a user runs it (bin/bulkhead.js) on the run's control plane: up, two
// pods, a probe that connects (exit 0), a NetworkPolicy that isolates the server, the same probe
// refused (exit 1, a finding), and a usage error (exit 2); down removes the slot.
import { dump } from 'js-yaml';
import { bulkhead } from '../harness/cli.js';
import { deleteNamespace, freshNamespace, kubectlOk, testCluster, waitFor } from '../harness/cluster.js';

let ns = '';
let dir = '';
let up = false;

beforeAll(async () => {
  dir = testCluster().dir;
  ns = await freshNamespace('dataplane-cli');
  const started = await bulkhead(['dataplane', 'up', '--dir', dir]);
  expect([started.code, started.stderr.includes('error')]).toEqual([0, false]);
  up = true;
}, 180_000);

afterAll(async () => {
  if (up) {
    const down = await bulkhead(['dataplane', 'down', '--dir', dir]);
    expect(down.code).toBe(0);
  }
  if (ns !== '') await deleteNamespace(ns);
}, 120_000);

test('probe exits 0 when it connects and 1 when a NetworkPolicy refuses it; bad usage exits 2', async () => {
  for (const [name, extra] of [['server', ['--port', '8080']], ['client', []]] as const) {
    const pod = await bulkhead(['dataplane', 'pod', `${ns}/${name}`, '--labels', `app=${name}`, ...extra, '--dir', dir]);
    expect([name, pod.code, pod.stderr]).toEqual([name, 0, '']);
  }
  const probe = (): ReturnType<typeof bulkhead> => bulkhead(['dataplane', 'probe', `${ns}/client`, `${ns}/server`, '8080', '--dir', dir]);
  const open = await waitFor(async () => {
    const r = await probe();
    return r.code === 0 ? r : undefined;
  }, { description: 'client -> server 8080 to connect with no policy' });
  expect(open.stdout).toMatch(new RegExp(`^${ns}/client -> ${ns}/server \\S+ TCP/8080: connected`, 'm'));

  const deny = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'isolate-server', namespace: ns }, spec: { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress'] } };
  await kubectlOk(['apply', '-f', '-'], { input: dump(deny) });
  const refused = await waitFor(async () => {
    const r = await probe();
    return r.code === 1 ? r : undefined;
  }, { description: 'client -> server 8080 to be refused once the server is isolated' });
  expect(refused.stdout).toMatch(new RegExp(`^${ns}/client -> ${ns}/server \\S+ TCP/8080: refused`, 'm'));

  const usage = await bulkhead(['dataplane', 'probe', `${ns}/client`, `${ns}/server`, 'http', '--dir', dir]);
  expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('probe needs FROM TO PORT, with PORT in 1-65535')]);
}, 180_000);
