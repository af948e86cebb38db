import { computeStatus, isSubset, jsonEqual } from './status.js';

const applied = { kind: 'applied' as const, audit: false, components: [{ name: 'a' }], consentPending: [], identityDrift: [], exposed: [], ceiling: [] };

describe('computeStatus', () => {
  test('applied: Ready, not Reconciling, not Stalled, observedGeneration advanced', () => {
    const s = computeStatus(undefined, applied, 3, 't1');
    expect(s.observedGeneration).toBe(3);
    expect(s.componentCount).toBe(1);
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Applied'],
      ['Reconciling', 'False', 'Converged'],
      ['Stalled', 'False', 'Converged'],
    ]);
  });

  test('lastTransitionTime changes only when the status does', () => {
    const first = computeStatus(undefined, applied, 1, 't1');
    const again = computeStatus(first, applied, 2, 't2');
    expect(again.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('t1');
    const invalid = computeStatus(again, { kind: 'invalid', message: 'spec.x: bad' }, 3, 't3');
    expect(invalid.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', lastTransitionTime: 't3' });
    expect(invalid.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', message: 'spec.x: bad' });
    // The last good per-component status is kept while the spec is invalid.
    expect(invalid.components).toEqual(applied.components);
  });

  test('a transient failure keeps observedGeneration and the conditions it says nothing about', () => {
    const ok = computeStatus(undefined, { ...applied, exposed: ['a: x can reach y'] }, 4, 't1');
    const err = computeStatus(ok, { kind: 'failed', refused: false, message: 'apply NetworkPolicy ns/w-a failed: timed out' }, 5, 't2');
    expect(err.observedGeneration).toBe(4);
    expect(err.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'ApplyFailed'],
      ['Reconciling', 'True', 'Retrying'],
      ['Stalled', 'False', 'Retrying'],
      ['Exposed', 'True', 'UndeclaredPeerCanConnect'],
    ]);
    expect(err.conditions?.find((c) => c.type === 'Ready')?.message).toBe('apply NetworkPolicy ns/w-a failed: timed out');
    // The last good per-component status is kept.
    expect(err.components).toEqual(applied.components);
  });

  test('a refused write is Stalled, final for the generation: observedGeneration advances', () => {
    const ok = computeStatus(undefined, applied, 4, 't1');
    const message = 'apply NetworkPolicy ns/w-a refused: 403 Forbidden: networkpolicies.networking.k8s.io "w-a" is forbidden';
    const refused = computeStatus(ok, { kind: 'failed', refused: true, message }, 4, 't2');
    expect(refused.observedGeneration).toBe(4);
    expect(refused.conditions?.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime])).toEqual([
      ['Ready', 'False', 'ApplyFailed', 't2'],
      ['Reconciling', 'False', 'ApplyFailed', 't1'],
      ['Stalled', 'True', 'ApplyFailed', 't2'],
    ]);
    expect(refused.conditions?.find((c) => c.type === 'Stalled')?.message).toBe(message);
  });

  test('conditions whose cause is gone are dropped', () => {
    const pending = computeStatus(undefined, { ...applied, consentPending: ['a: b/c/d has not declared'] }, 1, 't1');
    expect(pending.conditions?.find((c) => c.type === 'ConsentPending')?.status).toBe('True');
    expect(computeStatus(pending, applied, 1, 't2').conditions?.find((c) => c.type === 'ConsentPending')).toBeUndefined();
  });

  test('permissions outside the ceiling: not Ready, Stalled, naming the permission', () => {
    const s = computeStatus(undefined, { ...applied, ceiling: ['model: get secrets/weights'] }, 1, 't');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PermissionsOutsideCeiling' });
    expect(s.conditions?.find((c) => c.type === 'Stalled')?.message).toContain('model: get secrets/weights');
  });
});

describe('isSubset', () => {
  test('maps may have extra keys, lists must match element by element', () => {
    expect(isSubset({ a: 1, m: { x: 'y' } }, { a: 1, b: 2, m: { x: 'y', z: 'w' } })).toBe(true);
    expect(isSubset({ l: [{ a: 1 }] }, { l: [{ a: 1, b: 2 }] })).toBe(true);
    expect(isSubset({ l: [{ a: 1 }] }, { l: [{ a: 1 }, { a: 2 }] })).toBe(false);
    expect(isSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(isSubset({ a: { b: 1 } }, { a: null })).toBe(false);
  });
  test('jsonEqual ignores key order and undefined', () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1, c: undefined })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('isSubset and fields the API server omits', () => {
  // The API server drops empty omitempty fields: a NetworkPolicy applied with `ingress: []` reads
  // back without `ingress`. That must count as converged, or every resync re-applies it.
  it('an empty desired list or map matches an absent live field, not a non-empty one', () => {
    expect(isSubset({ spec: { ingress: [] } }, { spec: {} })).toBe(true);
    expect(isSubset({ metadata: { annotations: {} } }, { metadata: {} })).toBe(true);
    expect(isSubset({ spec: { ingress: [] } }, { spec: { ingress: [{}] } })).toBe(false);
    expect(isSubset({ spec: { ingress: [{ from: [] }] } }, { spec: {} })).toBe(false);
  });
});
