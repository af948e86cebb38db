// The hostile table against the real API server and operator: each malformed or hostile update of
// a working AIWorkload is refused by the API server with a message naming the field, or accepted
// and reported Stalled by the operator naming the field; either way every object generated from
// the last valid spec stays in place, untouched (same uid).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dump } from 'js-yaml';
import { deleteNamespace, freshNamespace, kubectl, kubectlOk, waitFor } from '../harness/cluster.js';
import { HOSTILE_CASES, baseSpec } from './hostile-cases.js';
import { SLOW, type RunningOperator, getWorkload, reportedCondition, startOperator } from './support.js';

const KINDS = ['networkpolicy', 'serviceaccount', 'role', 'rolebinding'];

describe('hostile AIWorkloads against the real control plane', () => {
  let ns = '';
  let operator: RunningOperator | undefined;
  let before = '';

  const object = (spec: unknown): string => dump({ apiVersion: 'bulkhead.dev/v1alpha1', kind: 'AIWorkload', metadata: { name: 'target', namespace: ns }, spec });
  /** `kind/name uid resourceVersion` of every generated object. */
  const snapshot = async (): Promise<string> =>
    kubectlOk(['-n', ns, 'get', KINDS.join(','), '-l', 'bulkhead.dev/workload=target', '-o',
      'jsonpath={range .items[*]}{.kind}/{.metadata.name} {.metadata.uid} {.metadata.resourceVersion}{"\\n"}{end}']);

  beforeAll(async () => {
    ns = await freshNamespace('hostile');
    operator = await startOperator();
    await kubectlOk(['apply', '-f', '-'], { input: object(baseSpec()) });
    expect((await reportedCondition(ns, 'target', 'Ready'))?.status).toBe('True');
    before = await snapshot();
    expect(before.trim().split('\n')).toHaveLength(8);
  }, SLOW);

  afterAll(async () => {
    await operator?.stop();
    if (ns !== '') await deleteNamespace(ns);
  }, SLOW);

  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const spec = baseSpec();
    c.mutate(spec);
    const res = await kubectl(['apply', '-f', '-'], { input: object(spec) });
    if (c.by === 'api') {
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(c.field);
      // The stored spec is still the valid one.
      expect((await getWorkload(ns, 'target')).spec).toEqual(expect.objectContaining(baseSpec()));
    } else {
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const stalled = await reportedCondition(ns, 'target', 'Stalled');
      expect(stalled).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
      expect(stalled?.message).toContain(c.field);
      // Back to the valid spec for the next case.
      await kubectlOk(['apply', '-f', '-'], { input: object(baseSpec()) });
      await waitFor(async () => (await reportedCondition(ns, 'target', 'Ready'))?.status === 'True', { description: 'Ready again' });
    }
    expect(await snapshot()).toBe(before);
  }, SLOW);
});
