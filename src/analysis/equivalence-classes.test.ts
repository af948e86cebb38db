import { ClassIndex, classifyEndpoints } from './equivalence-classes.js';
import { buildModel } from './model.js';
import { selectorMatches } from './selectors.js';
import { withDefaults } from './types.js';
import type { LabelSelector, Pod } from '../api/kubernetes.js';

const pod = (ns: string, name: string, labels: Record<string, string>): Pod => ({ kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [] } });

describe('ClassIndex', () => {
  const pods = [
    pod('a', 'web', { app: 'web', tier: 'frontend' }),
    pod('a', 'api', { app: 'api', tier: 'backend' }),
    pod('a', 'db', { app: 'db', tier: 'backend' }),
    pod('b', 'web', { app: 'web', tier: 'frontend' }),
    pod('b', 'bare', {}),
  ];
  const model = buildModel({ namespaces: [], pods, workloads: [], networkPolicies: [] }, withDefaults({}));
  const { classes } = classifyEndpoints(model);
  const index = new ClassIndex(classes);
  const matching = (ns: string, sel: LabelSelector): number[] => classes.flatMap((c, i) => (c.namespace === ns && selectorMatches(sel, c.labels) ? [i] : []));

  it.each<[string, string, LabelSelector]>([
    ['one label', 'a', { matchLabels: { tier: 'backend' } }],
    ['two labels', 'a', { matchLabels: { tier: 'backend', app: 'db' } }],
    ['a label no class has', 'a', { matchLabels: { app: 'ghost' } }],
    ['expressions only', 'a', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] }],
    ['empty', 'b', {}],
    ['another namespace', 'b', { matchLabels: { app: 'web' } }],
  ])('gives every class the selector matches (%s), ascending, in that namespace only', (_name, ns, sel) => {
    const candidates = index.candidates(ns, sel);
    expect(matching(ns, sel).every((i) => candidates.includes(i))).toBe(true);
    expect([...candidates]).toEqual([...candidates].sort((x, y) => x - y));
    expect(candidates.every((i) => classes[i]?.namespace === ns)).toBe(true);
  });

  it('narrows a matchLabels selector to the classes with its rarest pair', () => {
    expect(index.candidates('a', { matchLabels: { tier: 'backend', app: 'db' } }).map((i) => classes[i]?.labels['app'])).toEqual(['db']);
    expect(index.candidates('a', { matchLabels: { app: 'ghost' } })).toEqual([]);
    expect(index.candidates('a', undefined)).toHaveLength(3);
    expect(index.candidates('nowhere', {})).toEqual([]);
  });
});
