import { apiServerEndpoints, peerWorkloads, podsThatCount } from './live-facts.js';

const spec = { components: [{ name: 'a', selector: { matchLabels: { app: 'a' } } }] };

describe('peerWorkloads', () => {
  it('keeps valid workloads, puts one without a namespace in default, and skips deleting or invalid ones', () => {
    const peers = peerWorkloads([
      { metadata: { name: 'w', namespace: 'ns' }, spec },
      { metadata: { name: 'd' }, spec },
      { metadata: { name: 'gone', namespace: 'ns', deletionTimestamp: '2026-12-01T00:00:00Z' }, spec },
      { metadata: { name: 'bad', namespace: 'ns' }, spec: { components: [] } },
    ]);
    expect([...peers.keys()]).toEqual(['ns/w', 'default/d']);
  });
});

describe('podsThatCount', () => {
  it('drops finished pods', () => {
    const pods = [{ status: { phase: 'Running' } }, { status: { phase: 'Succeeded' } }, { status: { phase: 'Failed' } }, { status: { phase: 'Pending' } }, {}];
    expect(podsThatCount(pods)).toEqual([{ status: { phase: 'Running' } }, { status: { phase: 'Pending' } }, {}]);
  });
});

describe('apiServerEndpoints', () => {
  it('merges slices, sorts and dedupes ports, and is undefined without addresses', () => {
    expect(apiServerEndpoints([{ endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 6443 }] }, { endpoints: [{ addresses: ['10.0.0.2'] }], ports: [{ port: 443 }, { port: 6443 }] }]))
      .toEqual({ addresses: ['10.0.0.1', '10.0.0.2'], ports: [443, 6443] });
    expect(apiServerEndpoints([{ endpoints: [], ports: [{ port: 6443 }] }])).toBeUndefined();
    expect(apiServerEndpoints([])).toBeUndefined();
  });
});
