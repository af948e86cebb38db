import type { LabelSelector } from './schema.js';
import { selectorImplies } from './selector-overlap.js';

describe('selectorImplies', () => {
  it.each([
    ['more labels imply fewer', { matchLabels: { app: 'minio', bucket: 'tx' } }, { matchLabels: { app: 'minio' } }, true],
    ['fewer labels do not imply more', { matchLabels: { app: 'minio' } }, { matchLabels: { app: 'minio', bucket: 'tx' } }, false],
    ['identical selectors', { matchLabels: { app: 'a' } }, { matchLabels: { app: 'a' } }, true],
    ['different values are disjoint', { matchLabels: { app: 'a' } }, { matchLabels: { app: 'b' } }, false],
    ['different keys can overlap but need not', { matchLabels: { app: 'a' } }, { matchLabels: { job: 'b' } }, false],
    ['a value implies In with it', { matchLabels: { tier: 'gpu' } }, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gpu', 'cpu'] }] }, true],
    ['In implies a wider In', { matchExpressions: [{ key: 't', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In does not imply a narrower In', { matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }] }, { matchExpressions: [{ key: 't', operator: 'In', values: ['a'] }] }, false],
    ['a value implies Exists', { matchLabels: { t: 'x' } }, { matchExpressions: [{ key: 't', operator: 'Exists' }] }, true],
    ['Exists does not imply a value', { matchExpressions: [{ key: 't', operator: 'Exists' }] }, { matchLabels: { t: 'x' } }, false],
    ['a value outside NotIn implies it', { matchLabels: { t: 'x' } }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y'] }] }, true],
    ['a value inside NotIn contradicts it', { matchLabels: { t: 'y' } }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y'] }] }, false],
    ['an absent key implies NotIn', { matchLabels: { a: 'b' }, matchExpressions: [{ key: 't', operator: 'DoesNotExist' }] }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y'] }] }, true],
    ['NotIn more implies NotIn less', { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y', 'z'] }] }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y'] }] }, true],
    ['NotIn less does not imply NotIn more', { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y'] }] }, { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['y', 'z'] }] }, false],
    ['a selector that matches nothing implies nothing', { matchLabels: { t: 'x' }, matchExpressions: [{ key: 't', operator: 'In', values: ['y'] }] }, { matchLabels: { a: 'b' } }, false],
    ['DoesNotExist does not imply Exists', { matchExpressions: [{ key: 't', operator: 'DoesNotExist' }] }, { matchExpressions: [{ key: 't', operator: 'Exists' }] }, false],
  ] as [string, LabelSelector, LabelSelector, boolean][])('%s', (_name, narrow, wide, expected) => {
    expect(selectorImplies(narrow, wide)).toBe(expected);
  });
});

describe('validateSpec refuses components that provably share pods', () => {
  const component = (name: string, matchLabels: Record<string, string>): unknown => ({ name, selector: { matchLabels } });

  it('names the narrower component, its field and the wider one', async () => {
    const { validateSpec } = await import('./validate.js');
    const r = validateSpec({ components: [component('pipeline', { app: 'minio' }), component('data', { app: 'minio', bucket: 'tx' })] });
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => p.field)).toEqual(['spec.components[1].selector']);
    expect(problems[0]?.message).toContain('also selected by component pipeline (components[0]), so component data would get both segments');
  });

  it('reports identical selectors once', async () => {
    const { validateSpec } = await import('./validate.js');
    const r = validateSpec({ components: [component('a', { app: 'x' }), component('b', { app: 'x' })] });
    expect(r.ok ? [] : r.problems.map((p) => p.field)).toEqual(['spec.components[1].selector']);
  });

  it('accepts selectors on different keys (the live check names pods that carry both)', async () => {
    const { validateSpec } = await import('./validate.js');
    expect(validateSpec({ components: [component('a', { app: 'x' }), component('b', { job: 'y' })] }).ok).toBe(true);
  });
});
