import { buildCrd } from '../api/crd.js';
import { type Finding, type Status, canonicalJson, checkAdmission, checkCeiling, checkCni, checkCrd, checkLease, checkServer, checkThreatFeeds, exitCode, formatFindings } from './check-rules.js';

const established = (crd: Record<string, unknown>): Record<string, unknown> => ({ ...crd, status: { conditions: [{ type: 'Established', status: 'True' }] } });

/** The finding has this status and its detail says this. */
function verdict(f: Finding, status: Status, text: string): void {
  expect([f.status, f.detail.includes(text) ? text : f.detail]).toEqual([status, text]);
}

describe('bulkhead check rules', () => {
  it('the API server must have ValidatingAdmissionPolicy v1', () => {
    expect(checkServer({ gitVersion: 'v1.37.2', major: '1', minor: '37' }, 'https://k').status).toBe('ok');
    verdict(checkServer({ gitVersion: 'v1.29.4', major: '1', minor: '29' }, 'https://k'), 'fail', 'needs 1.30 or newer');
    expect(checkServer({ gitVersion: 'v1.31.0-eks', major: '1', minor: '31+' }, 'https://k').status).toBe('ok');
  });

  it('compares CRD schemas by content, not key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
    const crd = buildCrd();
    expect(checkCrd(established(JSON.parse(JSON.stringify(crd)) as Record<string, unknown>), crd, 'v1alpha1').status).toBe('ok');
    expect(checkCrd(undefined, crd, 'v1alpha1')).toMatchObject({ status: 'fail', detail: 'aiworkloads.bulkhead.dev is not installed (kubectl apply --server-side -f crds/)' });
    verdict(checkCrd(JSON.parse(JSON.stringify(crd)) as unknown, crd, 'v1alpha1'), 'fail', 'not Established');
    const older = JSON.parse(JSON.stringify(crd)) as { spec: { versions: { schema: { openAPIV3Schema: { description: string } } }[] } };
    (older.spec.versions[0] as (typeof older.spec.versions)[number]).schema.openAPIV3Schema.description = 'an older release';
    verdict(checkCrd(established(older), crd, 'v1alpha1'), 'warn', 'another schema');
    verdict(checkCrd(established(older), crd, 'v1beta1'), 'fail', 'does not serve v1beta1');
  });

  it('an admission policy counts only when it fails closed and a binding denies with it', () => {
    const policy = { spec: { failurePolicy: 'Fail' } };
    const binding = { spec: { policyName: 'bulkhead-no-escalation', validationActions: ['Deny'] } };
    expect(checkAdmission('bulkhead-no-escalation', policy, binding).status).toBe('ok');
    expect(checkAdmission('bulkhead-no-escalation', undefined, binding).detail).toContain('is not installed: an AIWorkload can grant permissions its author does not hold');
    expect(checkAdmission('bulkhead-no-escalation', { spec: { failurePolicy: 'Ignore' } }, binding).detail).toContain('failurePolicy Ignore, not Fail');
    expect(checkAdmission('bulkhead-no-escalation', policy, undefined).detail).toContain('enforces nothing');
    expect(checkAdmission('bulkhead-no-escalation', policy, { spec: { policyName: 'bulkhead-no-escalation', validationActions: ['Audit', 'Warn'] } }).status).toBe('fail');
    expect(checkAdmission('bulkhead-no-escalation', policy, { spec: { policyName: 'other', validationActions: ['Deny'] } }).detail).toContain('points at other');
  });

  it('the ceiling warns on wildcards and verbs that would be the operator own privilege', () => {
    expect(checkCeiling({ rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'] }] })).toEqual({ check: 'ceiling', status: 'ok', detail: 'bulkhead-grantable: get configmaps,secrets' });
    verdict(checkCeiling({}), 'ok', 'grants nothing');
    expect(checkCeiling(undefined).status).toBe('fail');
    const wide = checkCeiling({ rules: [{ apiGroups: ['*'], resources: ['secrets'], verbs: ['get', 'escalate'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] });
    verdict(wide, 'warn', '"*" in apiGroups; verbs escalate; nonResourceURLs');
  });

  it('the operator is alive while its Lease is held and renewed within twice its duration', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    const lease = (renewTime: string | undefined, holderIdentity = 'pod-a'): unknown => ({ spec: { holderIdentity, leaseDurationSeconds: 15, ...(renewTime ? { renewTime } : {}) } });
    expect(checkLease(lease('2026-11-26T11:59:50.000000Z'), 'ns/l', now)).toEqual({ check: 'operator', status: 'ok', detail: 'pod-a leads (Lease ns/l renewed 10 s ago)' });
    verdict(checkLease(lease('2026-11-26T11:59:00.000000Z'), 'ns/l', now), 'fail', 'last renewed 60 s ago (lease 15 s)');
    verdict(checkLease(lease(undefined), 'ns/l', now), 'fail', 'renewed never');
    verdict(checkLease(lease('2026-11-26T11:59:50Z', ''), 'ns/l', now), 'fail', 'held by nobody');
    expect(checkLease(undefined, 'ns/l', now).status).toBe('warn');
  });

  it('knows NetworkPolicy-enforcing CNIs by their DaemonSets', () => {
    const ds = (namespace: string, name: string): unknown => ({ metadata: { namespace, name } });
    expect(checkCni([ds('kube-system', 'kube-proxy'), ds('kube-system', 'cilium')])).toMatchObject({ status: 'ok', detail: 'NetworkPolicy enforcement by kube-system/cilium' });
    verdict(checkCni([ds('kube-system', 'kube-flannel-ds')]), 'warn', 'among 1 DaemonSets');
    // A name that merely ends like an agent is not one.
    expect(checkCni([ds('apps', 'not-cilium-x')]).status).toBe('warn');
  });

  it('fails only on failures, and prints a summary', () => {
    const findings = [
      { check: 'a', status: 'ok' as const, detail: 'fine' },
      { check: 'bb', status: 'warn' as const, detail: 'hmm' },
    ];
    expect(exitCode(findings)).toBe(0);
    expect(exitCode([...findings, { check: 'c', status: 'fail' as const, detail: 'no' }])).toBe(1);
    expect(formatFindings(findings)).toBe('ok    a   fine\nWARN  bb  hmm\n\n1 ok, 1 warnings, 0 failed\n');
  });
});

describe('checkThreatFeeds', () => {
  const feed = (name: string, ready?: { status: string; reason: string; message: string }): unknown => ({ metadata: { name }, status: ready === undefined ? {} : { conditions: [{ type: 'Ready', ...ready }] } });

  it('is ok with no feed, or every feed in force and read', () => {
    expect(checkThreatFeeds([])).toEqual({ check: 'threatfeeds', status: 'ok', detail: '0 ThreatFeed(s), each in force and read' });
    expect(checkThreatFeeds([feed('drop', { status: 'True', reason: 'InForce', message: '' })]).status).toBe('ok');
  });

  it('warns while a source fails and its last good set is kept, naming the feed and the condition', () => {
    const f = checkThreatFeeds([feed('drop', { status: 'False', reason: 'FetchTimeout', message: 'feeds.example.com: no answer; keeping the last good set' }), feed('ok', { status: 'True', reason: 'InForce', message: '' })]);
    expect(f).toEqual({ check: 'threatfeeds', status: 'warn', detail: 'drop: FetchTimeout: feeds.example.com: no answer; keeping the last good set' });
  });

  it('fails while a feed has no set in force or was never read', () => {
    expect(checkThreatFeeds([feed('drop', { status: 'False', reason: 'NoSetInForce', message: 'x' })]).status).toBe('fail');
    expect(checkThreatFeeds([feed('new')])).toEqual({ check: 'threatfeeds', status: 'fail', detail: 'new: NotRead: the operator has not read it yet' });
  });
});
