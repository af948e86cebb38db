// Cross-namespace consent: a flow between two teams' namespaces opens only when both sides declare
// it. Team A's egress alone writes no rule (ConsentPending, naming the peer); once team B declares
// the ingress, both NetworkPolicies carry their end and the reachability analysis over the live
// cluster shows the connection; when B withdraws, both ends close again. The operator runs as its
// own ServiceAccount.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { adminKubeconfig, deleteNamespace, freshNamespace, kubectlOk, waitFor } from '../harness/cluster.js';
import { REPO_ROOT } from '../harness/operator-identity.js';
import { SLOW, type RunningOperator, getWorkload, startOperator, workload } from './support.js';

interface Peer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}
interface Policy {
  spec: { ingress?: { from: Peer[]; ports?: { port?: number | string }[] }[]; egress?: { to: Peer[]; ports?: { port?: number | string }[] }[] };
}

describe('cross-namespace flows need consent from both sides', () => {
  let a = '';
  let b = '';
  let operator: RunningOperator | undefined;

  const client = (): unknown => ({
    ...workload(a, 'client', [{ name: 'app', selector: { matchLabels: { app: 'client' } } }]),
    spec: {
      components: [{ name: 'app', selector: { matchLabels: { app: 'client' } } }],
      egress: [
        { from: 'app', to: { workload: { namespace: b, name: 'server', component: 'api' } }, ports: [8080] },
        { from: 'app', to: { workload: { namespace: b, name: 'missing', component: 'api' } }, ports: [8080] },
      ],
    },
  });
  const server = (ingressFrom?: unknown): unknown =>
    workload(b, 'server', [{ name: 'api', selector: { matchLabels: { app: 'api' } }, ports: [{ name: 'http', port: 8080 }] }],
      ingressFrom === undefined ? {} : { ingress: [{ to: 'api', from: ingressFrom, ports: ['http'] }] });

  const policy = async (ns: string, name: string): Promise<Policy> => JSON.parse(await kubectlOk(['-n', ns, 'get', 'networkpolicy', name, '-o', 'json'])) as Policy;
  const names = (p: Peer): string | undefined => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  /** A's egress toward B's api pods, and B's ingress from A's client pods. */
  const ends = async (): Promise<{ egress: boolean; ingress: boolean }> => {
    const out = await policy(a, 'client-app');
    const inn = await policy(b, 'server-api');
    return {
      egress: (out.spec.egress ?? []).some((r) => r.to.some((p) => names(p) === b && p.podSelector?.matchLabels?.['app'] === 'api') && r.ports?.[0]?.port === 8080),
      ingress: (inn.spec.ingress ?? []).some((r) => r.from.some((p) => names(p) === a && p.podSelector?.matchLabels?.['app'] === 'client')),
    };
  };
  /** Connections from A's client pod to B's api pod in the live reachability analysis (`bulkhead explain --live`). */
  const analysed = async (): Promise<string[]> => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'bulkhead.js'), 'explain', '--live', '-n', b, '-o', 'json'], {
      env: { ...process.env, KUBECONFIG: adminKubeconfig() },
      maxBuffer: 64 * 2 ** 20,
    });
    const rows = JSON.parse(stdout) as { src: string; dst: string; conn: string }[];
    return rows.filter((r) => r.src.includes(`${a}/client`) && r.dst.includes(`${b}/api`)).map((r) => r.conn);
  };
  const pending = async (): Promise<{ condition?: string; component?: string[]; unresolved?: string[] }> => {
    const w = await getWorkload(a, 'client');
    const c = w.status?.components?.find((x) => x.name === 'app');
    return {
      condition: w.status?.conditions?.find((x) => x.type === 'ConsentPending' && x.status === 'True')?.message,
      ...(c?.consentPending !== undefined ? { component: c.consentPending } : {}),
      ...(c?.unresolvedPeers !== undefined ? { unresolved: c.unresolvedPeers } : {}),
    };
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([freshNamespace('team-a'), freshNamespace('team-b')]);
    operator = await startOperator();
    await kubectlOk(['-n', a, 'run', 'client', '--image=registry.k8s.io/pause:3.10', '--restart=Never', '--labels=app=client']);
    await kubectlOk(['-n', b, 'run', 'api', '--image=registry.k8s.io/pause:3.10', '--restart=Never', '--labels=app=api']);
    await kubectlOk(['apply', '-f', '-'], { input: [server(), client()].map((o) => dump(o)).join('---\n') });
  }, SLOW);

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([a, b].filter((n) => n !== '').map(deleteNamespace));
  }, SLOW);

  it('team A alone opens nothing: ConsentPending names the peer, an unknown peer is unresolved', async () => {
    const state = await waitFor(async () => {
      const p = await pending();
      return p.condition !== undefined && p.unresolved !== undefined && p;
    }, { description: 'ConsentPending on team A' });
    expect(state.condition).toContain(`${b}/server/api has not declared ingress from ${a}/client/app`);
    expect(state.component).toEqual([`${b}/server/api`]);
    expect(state.unresolved?.join()).toContain(`${b}/missing/api`);
    expect(await ends()).toEqual({ egress: false, ingress: false });
    expect(await analysed()).toEqual([]);
  }, SLOW);

  it('once team B declares the ingress, both ends open and the analysis shows the connection', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: dump(server({ workload: { namespace: a, name: 'client', component: 'app' } })) });
    await waitFor(async () => {
      const e = await ends();
      return e.egress && e.ingress;
    }, { description: 'both policies to carry their end of the flow' });
    await waitFor(async () => (await pending()).component === undefined, { description: 'ConsentPending to clear on the component' });
    expect((await pending()).condition).toBeUndefined();
    expect(await analysed()).toEqual(['TCP 8080']);
  }, SLOW);

  it('when team B withdraws, both ends close again', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: dump(server()) });
    await waitFor(async () => {
      const e = await ends();
      return !e.egress && !e.ingress;
    }, { description: 'both ends to close' });
    expect((await waitFor(async () => (await pending()).condition, { description: 'ConsentPending again' }))).toContain(`${b}/server/api`);
    expect(await analysed()).toEqual([]);
  }, SLOW);

  it('a namespace-wide ingress from team A counts as B\'s consent', async () => {
    await kubectlOk(['apply', '-f', '-'], { input: dump(server({ namespace: a })) });
    await waitFor(async () => (await ends()).egress, { description: 'A\'s egress to open' });
    expect(await analysed()).toEqual(['TCP 8080']);
    await kubectlOk(['apply', '-f', '-'], { input: dump(server()) });
    await waitFor(async () => !(await ends()).egress, { description: 'A\'s egress to close' });
  }, SLOW);
});
