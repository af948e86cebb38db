import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExplain } from './explain.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'analysis', 'testdata');
const basic = join(TESTDATA, 'explain-basic');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runExplain(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('bulkhead explain', () => {
  it('prints the sorted connlist of a directory (YAML streams, JSON Lists, subdirectories)', async () => {
    const r = await run('-d', basic);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // Worked out by hand from the fixture: default deny both ways, then web <- outside except
    // 10/8 on http (8080), web -> api on grpc (9000, api's named port), api -> db on 5432.
    expect(r.out.trimEnd().split('\n')).toEqual([
      '0.0.0.0-9.255.255.255[External] => shop/web[Deployment] : TCP 8080',
      '11.0.0.0-255.255.255.255[External] => shop/web[Deployment] : TCP 8080',
      'shop/api-7d9f[ReplicaSet] => shop/db[StatefulSet] : TCP 5432',
      'shop/web[Deployment] => shop/api-7d9f[ReplicaSet] : TCP 9000',
    ]);
  });

  it('prints JSON with -o json', async () => {
    const r = await run('-d', basic, '-o', 'json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { src: string; dst: string; conn: string }[];
    expect(rows).toContainEqual({ src: 'shop/web[Deployment]', dst: 'shop/api-7d9f[ReplicaSet]', conn: 'TCP 9000' });
    expect(rows).toHaveLength(4);
  });

  it('--ipblock-matches-pods lets an ipBlock admit a pod by its IP', async () => {
    const dir = join(TESTDATA, 'explain-ipblock');
    const pair = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('lab/client[Pod] => lab/server[Deployment]'));
    expect(pair((await run('-d', dir)).out)).toEqual([]);
    expect(pair((await run('-d', dir, '--ipblock-matches-pods')).out)).toEqual(['lab/client[Pod] => lab/server[Deployment] : TCP 80']);
  });

  it('--ip-family dual honours IPv6 cidrs and pod IPs; ipv4 (the default) ignores them', async () => {
    const dir = join(TESTDATA, 'explain-dual');
    const v4 = ['0.0.0.0-255.255.255.255[External] => lab/client[Pod] : All Connections', 'lab/client[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections'];
    expect((await run('-d', dir)).out.trimEnd().split('\n')).toEqual(v4);
    expect((await run('-d', dir, '--ip-family', 'ipv4')).out.trimEnd().split('\n')).toEqual(v4);
    const server = (out: string): string[] => out.trimEnd().split('\n').filter((l) => l.includes('lab/server'));
    // The server's policy: from the client's IPv6 pod range on 80, out to IPv6 space but ULAs on 443.
    const external = [
      'lab/server[Deployment] => ::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : TCP 443',
      'lab/server[Deployment] => fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External] : TCP 443',
      'fd00:10:244::-fd00:10:244:ff:ffff:ffff:ffff:ffff[External] => lab/server[Deployment] : TCP 80',
    ];
    expect(server((await run('-d', dir, '--ip-family', 'dual')).out)).toEqual(external);
    // With ipBlocks matching pods, the client's IPv6 address is in the server's ingress block.
    const both = await run('-d', dir, '--ip-family', 'dual', '--ipblock-matches-pods');
    expect(server(both.out)).toEqual(['lab/client[Pod] => lab/server[Deployment] : TCP 80', ...external]);
    expect(server((await run('-d', dir, '--ipblock-matches-pods')).out)).toEqual([]);
    const pair = await run('-d', dir, '--ip-family', 'dual', '--from', 'fd00:10:244::-fd00:10:244:ff:ffff:ffff:ffff:ffff[External]', '--to', 'lab/server');
    expect(pair.code).toBe(0);
    expect(pair.out).toContain('Allowed: TCP 80');
  });

  it('explains one pair per direction with --from/--to', async () => {
    const r = await run('-d', basic, '--from', 'shop/web[Deployment]', '--to', 'shop/api-7d9f');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Allowed: TCP 9000');
    expect(r.out).toMatch(/Egress from shop\/web\[Deployment\]: isolated by 2 NetworkPolicies/);
    expect(r.out).toMatch(/NetworkPolicy shop\/web selects it; allows: All Connections/);
    expect(r.out).toMatch(/NetworkPolicy shop\/default-deny selects it; allows: No Connections/);
    expect(r.out).toMatch(/Ingress rule #1: selects the peer, allows TCP 9000/);
    const denied = await run('-d', basic, '--from', 'shop/db[StatefulSet]', '--to', 'shop/web[Deployment]', '-o', 'json');
    const json = JSON.parse(denied.out) as { conn: string; ingress: { policies: { policy: string; rules: { selectsPeer: boolean }[] }[] } }[];
    expect(json[0]?.conn).toBe('No Connections');
    expect(json[0]?.ingress.policies.map((p) => p.policy).sort()).toEqual(['shop/default-deny', 'shop/web']);
  });

  it('names the file and the problem on bad input, exiting 2', async () => {
    const yaml = await run('-d', join(TESTDATA, 'explain-bad-yaml'));
    expect(yaml.code).toBe(2);
    expect(yaml.err).toMatch(/broken\.yaml: cannot parse YAML/);
    const pol = await run('-d', join(TESTDATA, 'explain-bad-policy'));
    expect(pol.code).toBe(2);
    expect(pol.err).toMatch(/policy\.yaml: NetworkPolicy x\/bad.*unknown matchExpressions operator "Equals"/);
    const missing = await run('-d', join(TESTDATA, 'no-such-dir'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no-such-dir: no such file or directory/);
    const peer = await run('-d', basic, '--from', 'nope', '--to', 'shop/web[Deployment]');
    expect(peer.code).toBe(2);
    expect(peer.err).toMatch(/--from "nope" matches no single peer/);
  });

  it('says why it prints nothing when the files hold policies but no pods', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-policies-'));
    writeFileSync(join(dir, 'deny.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n');
    const r = await run('-d', dir);
    expect([r.code, r.out]).toEqual([0, '']);
    expect(r.err).toBe(`note: nothing to print: ${dir} holds 1 NetworkPolicy but no Pods or workload controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob); peers are pods, so add the manifests of the workloads the policies select, or run with --live against a cluster\n`);
    // With pods it prints the matrix and no note.
    expect((await run('-d', basic)).err).toBe('');
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('-d', basic, '-o', 'yaml')).err).toMatch(/-o must be txt, json, dot or mermaid, not "yaml"/);
    const family = await run('-d', basic, '--ip-family', 'ipv6');
    expect(family.code).toBe(2);
    expect(family.err).toMatch(/--ip-family must be ipv4 or dual, not "ipv6"/);
    expect((await run('-d', basic, '--ip-family', 'Dual')).code).toBe(2);
    expect((await run('-d', basic, '--ip-family')).err).toMatch(/--ip-family needs a value/);
    expect((await run('-d', basic, '--from', 'a')).code).toBe(2);
    expect((await run('-d', basic, '--bogus')).code).toBe(2);
    expect((await run('--help')).code).toBe(0);
  });
});
