import { findExposure, type Segment } from './exposure.js';
import type { ClusterFacts, NetworkPolicy, Workload } from './types.js';

function deploy(ns: string, name: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []): Workload {
  return { kind: 'Deployment', metadata: { name, namespace: ns }, spec: { template: { metadata: { labels }, spec: { containers: [{ ports }] } } } };
}

function np(ns: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

// A segment "model" in ml-prod that should be reachable only from the gateway on grpc (9000).
const segmentPolicy = np('ml-prod', 'fraud-model', {
  podSelector: { matchLabels: { app: 'model' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 'grpc' }] }],
  egress: [],
});
const world = (extra: NetworkPolicy[]): ClusterFacts => ({
  namespaces: [{ metadata: { name: 'ml-prod' } }, { metadata: { name: 'other' } }],
  pods: [],
  workloads: [
    deploy('ml-prod', 'model', { app: 'model' }, [{ name: 'grpc', containerPort: 9000 }, { name: 'metrics', containerPort: 9090 }]),
    deploy('ml-prod', 'gw', { app: 'gw' }),
    deploy('ml-prod', 'notebook', { app: 'notebook' }),
    deploy('other', 'scraper', { app: 'scraper' }),
  ],
  networkPolicies: [segmentPolicy, ...extra],
});
const segment: Segment = {
  namespace: 'ml-prod',
  podSelector: { matchLabels: { app: 'model' } },
  declaredIngress: [{ from: [{ podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 'grpc' }] }],
};

describe('findExposure', () => {
  it('reports nothing when the policies allow exactly what was declared', () => {
    expect(findExposure(world([]), segment)).toEqual([]);
  });

  it('an allow-all ingress policy added in the namespace exposes the segment to everyone, naming the policy', () => {
    const allowAll = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}] });
    const findings = findExposure(world([allowAll]), segment);
    const bySource = new Map(findings.map((f) => [f.source.id, f]));
    expect([...bySource.keys()].sort()).toEqual([
      '0.0.0.0-255.255.255.255[External]',
      'ml-prod/gw[Deployment]',
      'ml-prod/notebook[Deployment]',
      'other/scraper[Deployment]',
    ]);
    for (const f of findings) {
      expect(f.target.id).toBe('ml-prod/model[Deployment]');
      expect(f.policies).toEqual(['ml-prod/allow-all']);
      expect(f.unisolated).toBe(false);
    }
    // The gateway was declared on grpc: only what goes beyond it is excess.
    const gw = bySource.get('ml-prod/gw[Deployment]');
    expect(gw?.excess.has('TCP', 9000)).toBe(false);
    expect(gw?.excess.has('TCP', 9090)).toBe(true);
    expect(bySource.get('ml-prod/notebook[Deployment]')?.excess.isAll()).toBe(true);
    // Removing the policy clears the exposure.
    expect(findExposure(world([]), segment)).toEqual([]);
  });

  it('a narrower extra policy exposes only the peers and ports it admits', () => {
    const metrics = np('ml-prod', 'allow-metrics', {
      podSelector: { matchLabels: { app: 'model' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }], ports: [{ port: 'metrics' }] }],
    });
    const findings = findExposure(world([metrics]), segment);
    expect(findings.map((f) => [f.source.id, f.excess.toString(), f.policies])).toEqual([['other/scraper[Deployment]', 'TCP 9090', ['ml-prod/allow-metrics']]]);
  });

  it('honours the source egress: a peer that may not send is not exposed', () => {
    const allowAll = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}] });
    const scraperDeny = np('other', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const sources = findExposure(world([allowAll, scraperDeny]), segment).map((f) => f.source.id);
    expect(sources).not.toContain('other/scraper[Deployment]');
    expect(sources).toContain('ml-prod/notebook[Deployment]');
  });

  it('a segment no policy isolates is exposed to everyone, flagged unisolated', () => {
    const facts = { ...world([]), networkPolicies: [] };
    const findings = findExposure(facts, segment);
    expect(findings.length).toBe(4);
    expect(findings.every((f) => f.unisolated && f.policies.length === 0)).toBe(true);
  });
});
