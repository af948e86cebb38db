import { analyze } from '../analysis/analyze.js';
import { formatConnlist } from '../analysis/connectivity.js';
import { analyzeNaive } from '../analysis/naive.js';
import { syntheticCluster } from './analysis.js';

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
