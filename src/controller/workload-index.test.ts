import type { StoredObject } from '../api/kubernetes.js';
import { peerWorkloads } from '../compile/live-facts.js';
import { WorkloadIndex } from './workload-index.js';

const workload = (namespace: string, name: string, selectors: object[], extra: object = {}): StoredObject => ({
  metadata: { namespace, name },
  spec: { components: selectors.map((selector, i) => ({ name: `c${i}`, role: 'Model', selector })), ...extra },
});

describe('WorkloadIndex', () => {
  it('validates each version of an object once, and again only when the informer replaces it', () => {
    const index = new WorkloadIndex();
    const w = workload('ns', 'w', [{ matchLabels: { app: 'a' } }]);
    index.upsert(w);
    for (let i = 0; i < 10; i++) expect(index.validation(w).ok).toBe(true);
    index.upsert(w);
    expect(index.validations).toBe(1);
    const changed = { ...w, spec: { components: [] } };
    index.upsert(changed);
    expect(index.validation(changed).ok).toBe(false);
    expect(index.validations).toBe(2);
  });

  it('keeps the same peers as peerWorkloads computes from the list, through adds, updates and deletes', () => {
    const index = new WorkloadIndex();
    const objs = [
      workload('a', 'one', [{ matchLabels: { app: 'a' } }]),
      workload('a', 'bad', []),
      { ...workload('b', 'going', [{ matchLabels: { app: 'b' } }]), metadata: { namespace: 'b', name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' } },
      workload('b', 'two', [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }]),
    ];
    for (const o of objs) index.upsert(o);
    expect(index.peerWorkloads()).toEqual(peerWorkloads(objs));
    index.remove(objs[0] as StoredObject);
    expect(index.peerWorkloads()).toEqual(peerWorkloads(objs.slice(1)));
    expect(index.keysIn('a')).toEqual(['a/bad']);
  });

  it('finds the segments that select a pod by its labels, matchExpressions-only selectors included', () => {
    const index = new WorkloadIndex();
    index.upsert(workload('ns', 'model', [{ matchLabels: { app: 'model', tier: 'serve' } }]));
    index.upsert(workload('ns', 'any-tier', [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }]));
    index.upsert(workload('other', 'model', [{ matchLabels: { app: 'model', tier: 'serve' } }]));
    expect(index.selecting('ns', { app: 'model', tier: 'serve' }).sort()).toEqual(['ns/any-tier', 'ns/model']);
    expect(index.selecting('ns', { app: 'model' })).toEqual([]);
    expect(index.selecting('ns', { tier: 'x' })).toEqual(['ns/any-tier']);
    index.upsert(workload('ns', 'model', [{ matchLabels: { app: 'renamed' } }]));
    expect(index.selecting('ns', { app: 'model', tier: 'serve' })).toEqual(['ns/any-tier']);
  });

  it('knows who names a workload as a peer, and forgets it when the naming workload changes', () => {
    const index = new WorkloadIndex();
    const egress = { egress: [{ from: 'c0', to: { workload: { namespace: 'b', name: 'server', component: 'c0' } } }] };
    const client = workload('a', 'client', [{ matchLabels: { app: 'c' } }], egress);
    index.upsert(client);
    expect(index.naming('b/server')).toEqual(['a/client']);
    index.upsert({ ...client, spec: { components: [] } });
    expect(index.naming('b/server')).toEqual([]);
  });
});
