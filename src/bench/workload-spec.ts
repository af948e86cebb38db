// The AIWorkload the benchmarks apply, cache and change: 5 components (gateway, model, features,
// data, train) selected by `app: <component>-<i>`, 3 flows, and a Role for the model (12 generated
// objects). One definition, so the convergence, scale and cache figures are about the same object.
// The threat feed benchmark also gives the gateway an egress to the internet (a CIDR peer), which
// is what a feed's networks are carved out of.

export const BENCH_COMPONENTS = ['gateway', 'model', 'features', 'data', 'train'] as const;
const ROLES = ['Gateway', 'Model', 'FeatureStore', 'Dataset', 'Training'] as const;

export interface BenchSpecOptions {
  /** The model's port; a one-field change moves it. @default 8001 */
  modelPort?: number;
  /** Whether the model gets a Role (permissions on one ConfigMap). @default true */
  withRole?: boolean;
  /** Whether the gateway may reach 0.0.0.0/0 on port 443 (a CIDR egress). @default false */
  internetEgress?: boolean;
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
    ...(opts.internetEgress === true ? { egress: [{ from: 'gateway', to: { cidr: '0.0.0.0/0' }, ports: [443] }] } : {}),
  };
}
