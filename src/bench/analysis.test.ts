import { analyze } from '../analysis/analyze.js';
import { formatConnlist } from '../analysis/connectivity.js';
import { analyzeNaive } from '../analysis/naive.js';
import { scaleCluster, syntheticCluster } from './analysis.js';

describe('analysis benchmark input', () => {
  const shape = { pods: 120, namespaces: 4, policies: 30, replicas: 6, seed: 11 };

  it('is deterministic for a seed', () => {
    expect(JSON.stringify(syntheticCluster(shape))).toBe(JSON.stringify(syntheticCluster(shape)));
    expect(JSON.stringify(syntheticCluster({ ...shape, seed: 12 }))).not.toBe(JSON.stringify(syntheticCluster(shape)));
  });

  it('has the requested size, and both evaluators agree on it', () => {
    const facts = syntheticCluster(shape);
    expect(facts.pods.length).toBe(120);
    expect(facts.networkPolicies.length).toBe(30);
    const lines = formatConnlist(analyze(facts));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toEqual(formatConnlist(analyzeNaive(facts)));
  });
});

describe('scale benchmark input (issue 12: 10,000 pods, 10,000 policies)', () => {
  const shape = { pods: 300, namespaces: 12, policies: 300, replicas: 5, seed: 2333 };

  it('is deterministic for a seed and has the requested size', () => {
    expect(JSON.stringify(scaleCluster(shape))).toBe(JSON.stringify(scaleCluster(shape)));
    expect(JSON.stringify(scaleCluster({ ...shape, seed: 1 }))).not.toBe(JSON.stringify(scaleCluster(shape)));
    const facts = scaleCluster(shape);
    expect([facts.pods.length, facts.networkPolicies.length]).toEqual([300, 300]);
    const peers = facts.networkPolicies.flatMap((p) => [...(p.spec?.ingress ?? []).flatMap((r) => r.from ?? []), ...(p.spec?.egress ?? []).flatMap((r) => r.to ?? [])]);
    expect(peers.some((p) => p.ipBlock !== undefined)).toBe(true);
    expect(peers.some((p) => p.namespaceSelector !== undefined && p.podSelector !== undefined)).toBe(true);
  });

  it('both evaluators agree on it', () => {
    const facts = scaleCluster(shape);
    const lines = formatConnlist(analyze(facts));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toEqual(formatConnlist(analyzeNaive(facts)));
  });
});
