import { isSubset } from './status.js';

describe('isSubset', () => {
  test.each([
    ['equal scalars', { a: 1 }, { a: 1 }, true],
    ['extra live keys are fine', { a: 1 }, { a: 1, b: 2 }, true],
    ['a different scalar', { a: 1 }, { a: 2 }, false],
    ['lists match element by element', { l: [1, 2] }, { l: [1, 2] }, true],
    ['a longer live list differs', { l: [1] }, { l: [1, 2] }, false],
    // The API server omits empty omitempty fields: a NetworkPolicy applied with `ingress: []`
    // reads back without `ingress`. That must count as converged, or every resync writes.
    ['an empty desired list matches an absent field', { spec: { ingress: [] } }, { spec: {} }, true],
    ['an empty desired map matches an absent field', { metadata: { annotations: {} } }, { metadata: {} }, true],
    ['an empty desired list does not match a non-empty one', { spec: { ingress: [] } }, { spec: { ingress: [{}] } }, false],
    ['a desired field missing live differs', { spec: { ingress: [{ from: [] }] } }, { spec: {} }, false],
  ])('%s', (_name, desired, live, want) => {
    expect(isSubset(desired, live)).toBe(want);
  });
});
