// The straightforward evaluator: every pod against every pod (and every external range), every
// policy re-checked for each pair. It is the reference the class-based evaluator is cross-checked
// against, and the baseline of the benchmark.
import { ConnSet } from './connections.js';
import { toConnectivity, type Connectivity } from './connectivity.js';
import type { IpInterval } from './ip.js';
import { buildModel } from './model.js';
import { pairConnections, type Target } from './policy.js';
import { withDefaults, type AnalysisOptions, type ClusterFacts } from './types.js';

/** analyzeNaive computes the same result as `analyze`, in O(pods² × policies). */
export function analyzeNaive(facts: ClusterFacts, options?: Partial<AnalysisOptions>): Connectivity {
  const opts = withDefaults(options);
  const model = buildModel(facts, opts);
  const n = model.peers.length;
  const byPair = new Map<number, ConnSet>();
  const add = (s: number, d: number, c: ConnSet): void => {
    if (s === d || c.isEmpty()) return;
    const k = s * n + d;
    byPair.set(k, (byPair.get(k) ?? ConnSet.empty()).union(c));
  };
  for (const src of model.endpoints) {
    for (const dst of model.endpoints) {
      if (src.peer === dst.peer) continue;
      add(src.peer, dst.peer, pairConnections(model.policies, src, dst, opts));
    }
    for (const k of model.destinationExternals) {
      const ext: Target = { kind: 'external', range: model.externals[k] as IpInterval };
      add(src.peer, model.firstExternal + k, pairConnections(model.policies, src, ext, opts));
    }
    for (const k of model.sourceExternals) {
      const ext: Target = { kind: 'external', range: model.externals[k] as IpInterval };
      add(model.firstExternal + k, src.peer, pairConnections(model.policies, ext, src, opts));
    }
  }
  return toConnectivity(model, byPair);
}
