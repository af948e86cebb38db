import type { StoredObject } from '../api/kubernetes.js';
import { KIND, LABEL_MANAGED_BY, LABEL_WORKLOAD, MANAGED_BY_VALUE } from '../api/constants.js';
import { WorkloadIndex } from './workload-index.js';
import { EXPOSURE_WATCHES, WATCHES, allKeys, podKeys, ownerKeys, podChanged, policyKeys, specOrDeletionChanged, updateKeys, workloadKeys } from './watches.js';

// One segment each, selecting app=<its name>; a workload's egress names its peers.
const workload = (namespace: string, name: string, peers: { namespace: string; name: string }[] = []): StoredObject => ({
  metadata: { namespace, name },
  spec: {
    components: [{ name: 'c', role: 'Model', selector: { matchLabels: { app: name } } }],
    egress: peers.map((p) => ({ from: 'c', to: { workload: { ...p, component: 'c' } } })),
  },
});
const W = [workload('a', 'client', [{ namespace: 'b', name: 'server' }]), workload('b', 'server'), workload('b', 'other'), workload('c', 'lonely')];
// b/edge selects tier=edge; the one pod of namespace b carries app=server and tier=edge, so
// server and edge share it, and other shares nothing.
const edge: StoredObject = { metadata: { namespace: 'b', name: 'edge' }, spec: { components: [{ name: 'c', role: 'Gateway', selector: { matchLabels: { tier: 'edge' } } }] } };
const index = new WorkloadIndex({ podLabelsIn: (ns) => (ns === 'b' ? [{ app: 'server', tier: 'edge' }] : []) });
for (const w of [...W, edge]) index.upsert(w);
const managed = (labels: Record<string, string>, owner?: string): StoredObject => ({
  metadata: { namespace: 'b', name: 'x', labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, ...labels }, ...(owner === undefined ? {} : { ownerReferences: [{ kind: KIND, name: owner, controller: true }] }) },
});

describe('map functions', () => {
  it('workloadKeys: itself, who names it, whom it names, and the workloads it shares a pod with', () => {
    expect(workloadKeys(W[1] as StoredObject, index).sort()).toEqual(['a/client', 'b/edge', 'b/server']);
    expect(workloadKeys(W[2] as StoredObject, index)).toEqual(['b/other']);
    expect(workloadKeys(W[0] as StoredObject, index).sort()).toEqual(['a/client', 'b/server']);
    expect(workloadKeys(W[3] as StoredObject, index)).toEqual(['c/lonely']);
  });

  it('ownerKeys: the controlling AIWorkload, else the workload label, and nothing for objects not ours', () => {
    expect(ownerKeys(managed({}, 'server'))).toEqual(['b/server']);
    expect(ownerKeys(managed({ [LABEL_WORKLOAD]: 'other' }))).toEqual(['b/other']);
    expect(ownerKeys({ metadata: { namespace: 'b', name: 'x', ownerReferences: [{ kind: KIND, name: 'server', controller: true }] } })).toEqual([]);
  });

  it('policyKeys: ours wake their owner; anyone else\'s wakes no reconcile (the exposure loop re-analyses)', () => {
    expect(policyKeys(managed({}, 'server'), index)).toEqual(['b/server']);
    expect(policyKeys({ metadata: { namespace: 'b', name: 'allow-all' } }, index)).toEqual([]);
  });

  it('allKeys', () => {
    expect(allKeys({ metadata: { name: 'ns' } }, index)).toHaveLength(5);
  });
});

describe('which updates matter', () => {
  it('an AIWorkload: spec (generation) or deletion, not status', () => {
    const o: StoredObject = { metadata: { name: 'w', generation: 1 } };
    expect(specOrDeletionChanged(o, { ...o, status: { x: 1 } })).toBe(false);
    expect(specOrDeletionChanged(o, { metadata: { name: 'w', generation: 2 } })).toBe(true);
    expect(specOrDeletionChanged(o, { metadata: { name: 'w', generation: 1, deletionTimestamp: 'now' } })).toBe(true);
  });

  it('a pod: labels, spec or phase', () => {
    const p: StoredObject = { metadata: { name: 'p', labels: { app: 'a' } }, status: { phase: 'Running', podIP: '10.0.0.1' } };
    expect(podChanged(p, { ...p, status: { phase: 'Running', podIP: '10.0.0.2' } })).toBe(false);
    expect(podChanged(p, { ...p, status: { phase: 'Succeeded' } })).toBe(true);
    expect(podChanged(p, { ...p, metadata: { name: 'p', labels: { app: 'b' } } })).toBe(true);
  });

  it('an update maps both the old and the new object: a pod that moved segments wakes both', () => {
    const pods = WATCHES.find((w) => w.resource === 'pods');
    if (pods === undefined) throw new Error('no pods watch');
    const before: StoredObject = { metadata: { namespace: 'b', name: 'p', labels: { app: 'server' } } };
    const after: StoredObject = { metadata: { namespace: 'b', name: 'p', labels: { app: 'other', tier: 'x' } } };
    expect(updateKeys(pods, before, after, index).sort()).toEqual(['b/other', 'b/server']);
    expect(updateKeys(pods, before, before, index)).toEqual([]);
  });

  it('a pod wakes only the workloads whose segments select it, never its whole namespace', () => {
    expect(podKeys({ metadata: { namespace: 'b', name: 'p', labels: { app: 'server' } } }, index)).toEqual(['b/server']);
    expect(podKeys({ metadata: { namespace: 'b', name: 'p', labels: { app: 'nobody' } } }, index)).toEqual([]);
    // The same labels in another namespace select nothing there.
    expect(podKeys({ metadata: { namespace: 'c', name: 'p', labels: { app: 'server' } } }, index)).toEqual([]);
  });

  it('every informer the manager makes has a watch', () => {
    expect([...new Set(WATCHES.map((w) => w.resource))].sort()).toEqual(['aiworkloads', 'bindings', 'endpointslices', 'managed', 'namespaces', 'networkpolicies', 'pods']);
  });
});

describe('exposure watches (what an event may change of the exposure analysis)', () => {
  const map = (resource: string, obj: StoredObject): readonly string[] => EXPOSURE_WATCHES.find((w) => w.resource === resource)?.map(obj, index) ?? ['no such watch'];

  it('a pod: the workloads whose segments select it', () => {
    expect([...map('pods', { metadata: { namespace: 'b', name: 'p', labels: { app: 'server', tier: 'edge' } } })].sort()).toEqual(['b/edge', 'b/server']);
    expect(map('pods', { metadata: { namespace: 'b', name: 'p', labels: { app: 'nobody' } } })).toEqual([]);
  });

  it('a policy: the workloads with a segment pod it selects, none for a policy that selects no segment pod', () => {
    expect([...map('networkpolicies', { metadata: { namespace: 'b', name: 'allow-all' }, spec: { podSelector: {} } })].sort()).toEqual(['b/edge', 'b/server']);
    expect(map('networkpolicies', { metadata: { namespace: 'b', name: 'x' }, spec: { podSelector: { matchLabels: { app: 'other' } } } })).toEqual([]);
    expect(map('networkpolicies', { metadata: { namespace: 'c', name: 'allow-all' }, spec: { podSelector: {} } })).toEqual([]);
  });

  it('a namespace: none beyond the wide ones', () => {
    expect(map('namespaces', { metadata: { name: 'b', labels: { team: 'x' } } })).toEqual([]);
  });
});
