// The AIWorkload the benchmarks apply, cache and change: 5 components (gateway, model, features,
// data, train) selected by `app: <component>-<i>`, 3 flows, and a Role for the model (12 generated
// objects). One definition, so the convergence, scale and cache figures are about the same object.

export const BENCH_COMPONENTS = ['gateway', 'model', 'features', 'data', 'train'] as const;
const ROLES = ['Gateway', 'Model', 'FeatureStore', 'Dataset', 'Training'] as const;

export interface BenchSpecOptions {
  /** The model's port; a one-field change moves it. @default 8001 */
  modelPort?: number;
  /** Whether the model gets a Role (permissions on one ConfigMap). @default true */
  withRole?: boolean;
}

/** The spec of benchmark workload `i`. */
export function benchSpec(i: number, opts: BenchSpecOptions = {}): unknown {
  const withRole = opts.withRole ?? true;
  return {
    components: BENCH_COMPONENTS.map((name, j) => ({
      name,
      role: ROLES[j],
      selector: { matchLabels: { app: `${name}-${i}` } },
      ports: j === 4 ? undefined : [{ name: 'p', port: j === 1 ? (opts.modelPort ?? 8001) : 8000 + j }],
      permissions: withRole && j === 1 ? [{ resource: 'configmaps', names: [`weights-${i}`], verbs: ['get'] }] : undefined,
    })),
    flows: [
      { from: 'gateway', to: 'model', ports: ['p'] },
      { from: 'model', to: 'features', ports: ['p'] },
      { from: 'train', to: 'data', ports: ['p'] },
    ],
  };
}
