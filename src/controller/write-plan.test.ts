import { describe, expect, it } from '@jest/globals';
import type { NetworkPolicy, Role, ServiceAccount } from '../compile/objects.js';
import type { StoredObject } from '../api/kubernetes.js';
import { type LiveObject, describePlan, liveKey, planWrites } from './write-plan.js';

const UID = 'uid-1';
const owner = { uid: UID, controller: true };

const sa = (name: string): ServiceAccount => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'ns', labels: { team: 'a' } },
  automountServiceAccountToken: false,
});

const role = (name: string, verbs: string[]): Role => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, namespace: 'ns', labels: {} },
  rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['w'], verbs }],
});

/** What the cache holds after an apply: the desired fields plus what the API server adds. */
const cached = (obj: ServiceAccount | Role | NetworkPolicy, ownerReferences = [owner]): LiveObject => ({
  kind: obj.kind,
  obj: { ...obj, metadata: { ...obj.metadata, uid: `live-${obj.metadata.name}`, resourceVersion: '7', ownerReferences } } as StoredObject,
});

const liveOf = (...objs: LiveObject[]): Map<string, LiveObject> => new Map(objs.map((l) => [liveKey(l.kind, l.obj.metadata.name), l]));

const policy = (except?: string[]): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'w-job', namespace: 'ns', labels: {} },
  spec: {
    podSelector: { matchLabels: { app: 'job' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [],
    egress: [{ to: [{ ipBlock: except === undefined ? { cidr: '0.0.0.0/0' } : { cidr: '0.0.0.0/0', except } }], ports: [{ protocol: 'TCP', port: 443 }] }],
  },
});

describe('planWrites: fields the operator stopped writing', () => {
  it('rewrites a NetworkPolicy whose ipBlock still carries an except the desired one has dropped (a threat feed entry removed)', () => {
    const plan = planWrites([policy()], liveOf(cached(policy(['203.0.113.0/24']))), UID);
    expect(describePlan(plan)).toEqual(['update NetworkPolicy w-job']);
  });

  it('rewrites a Role whose rule still carries a field the desired one lacks', () => {
    const desired = role('w-a', ['get']);
    const live = { ...desired, rules: desired.rules.map((r) => ({ ...r, nonResourceURLs: ['/metrics'] })) } as Role;
    expect(describePlan(planWrites([desired], liveOf(cached(live)), UID))).toEqual(['update Role w-a']);
  });

  it('still calls a NetworkPolicy converged when the API server omitted its empty lists', () => {
    const live = policy(['203.0.113.0/24']);
    const { ingress: _omitted, ...spec } = live.spec;
    expect(describePlan(planWrites([policy(['203.0.113.0/24'])], liveOf(cached({ ...live, spec } as NetworkPolicy)), UID))).toEqual([]);
  });
});

describe('planWrites', () => {
  it('plans nothing when the cache already shows every desired field (idle resync)', () => {
    const desired = [sa('w-a'), role('w-a', ['get'])];
    const plan = planWrites(desired, liveOf(...desired.map((o) => cached(o))), UID);
    expect(describePlan(plan)).toEqual([]);
  });

  it('creates what is missing, updates what drifted, then prunes what it owns and no longer wants', () => {
    const desired = [sa('w-a'), role('w-a', ['get'])];
    const live = liveOf(cached(role('w-a', ['get', 'delete'])), cached(sa('w-old')));
    expect(describePlan(planWrites(desired, live, UID))).toEqual(['create ServiceAccount w-a', 'update Role w-a', 'delete ServiceAccount w-old']);
  });

  it('never prunes an object it does not control, even if labelled for the workload', () => {
    const live = liveOf(cached(sa('w-foreign'), []), cached(sa('w-other'), [{ uid: 'someone-else', controller: true }]));
    expect(planWrites([], live, UID).prune).toEqual([]);
  });
});
