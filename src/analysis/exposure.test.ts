import { findExposure, findExposures, type Segment } from './exposure.js';
import type { NetworkPolicy, Workload } from '../api/kubernetes.js';
import type { ClusterFacts } from './types.js';

function deploy(ns: string, name: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []): Workload {
  return { kind: 'Deployment', metadata: { name, namespace: ns }, spec: { template: { metadata: { labels }, spec: { containers: [{ ports }] } } } };
}

function np(ns: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

// A segment "model" in ml-prod that should be reachable only from the gateway on grpc (9000).
const segmentPolicy = np('ml-prod', 'fraud-model', {
  podSelector: { matchLabels: { app: 'model' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 'grpc' }] }],
  egress: [],
});
const world = (extra: NetworkPolicy[]): ClusterFacts => ({
  namespaces: [{ metadata: { name: 'ml-prod' } }, { metadata: { name: 'other' } }],
  pods: [],
  workloads: [
    deploy('ml-prod', 'model', { app: 'model' }, [{ name: 'grpc', containerPort: 9000 }, { name: 'metrics', containerPort: 9090 }]),
    deploy('ml-prod', 'gw', { app: 'gw' }),
    deploy('ml-prod', 'notebook', { app: 'notebook' }),
    deploy('other', 'scraper', { app: 'scraper' }),
  ],
  networkPolicies: [segmentPolicy, ...extra],
});
const segment: Segment = {
  namespace: 'ml-prod',
  podSelector: { matchLabels: { app: 'model' } },
  declaredIngress: [{ from: [{ podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 'grpc' }] }],
};

describe('findExposure', () => {
  it('reports nothing when the policies allow exactly what was declared', () => {
    expect(findExposure(world([]), segment)).toEqual([]);
  });

  it('an allow-all ingress policy added in the namespace exposes the segment to everyone, naming the policy', () => {
    const allowAll = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}] });
    const findings = findExposure(world([allowAll]), segment);
    const bySource = new Map(findings.map((f) => [f.source.id, f]));
    expect([...bySource.keys()].sort()).toEqual([
      '0.0.0.0-255.255.255.255[External]',
      'ml-prod/gw[Deployment]',
      'ml-prod/notebook[Deployment]',
      'other/scraper[Deployment]',
    ]);
    for (const f of findings) {
      expect(f.target.id).toBe('ml-prod/model[Deployment]');
      expect(f.policies).toEqual(['ml-prod/allow-all']);
      expect(f.unisolated).toBe(false);
    }
    // The gateway was declared on grpc: only what goes beyond it is excess.
    const gw = bySource.get('ml-prod/gw[Deployment]');
    expect(gw?.excess.has('TCP', 9000)).toBe(false);
    expect(gw?.excess.has('TCP', 9090)).toBe(true);
    expect(bySource.get('ml-prod/notebook[Deployment]')?.excess.isAll()).toBe(true);
    // Removing the policy clears the exposure.
    expect(findExposure(world([]), segment)).toEqual([]);
  });

  it('a narrower extra policy exposes only the peers and ports it admits', () => {
    const metrics = np('ml-prod', 'allow-metrics', {
      podSelector: { matchLabels: { app: 'model' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }], ports: [{ port: 'metrics' }] }],
    });
    const findings = findExposure(world([metrics]), segment);
    expect(findings.map((f) => [f.source.id, f.excess.toString(), f.policies])).toEqual([['other/scraper[Deployment]', 'TCP 9090', ['ml-prod/allow-metrics']]]);
  });

  it('honours the source egress: a peer that may not send is not exposed', () => {
    const allowAll = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}] });
    const scraperDeny = np('other', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const sources = findExposure(world([allowAll, scraperDeny]), segment).map((f) => f.source.id);
    expect(sources).not.toContain('other/scraper[Deployment]');
    expect(sources).toContain('ml-prod/notebook[Deployment]');
  });

  it('a segment no policy isolates is exposed to everyone, flagged unisolated', () => {
    const facts = { ...world([]), networkPolicies: [] };
    const findings = findExposure(facts, segment);
    expect(findings.length).toBe(4);
    expect(findings.every((f) => f.unisolated && f.policies.length === 0)).toBe(true);
  });

  describe('egress', () => {
    // The same segment, declared with one way out: the gateway on 8080.
    const declaredOut: Segment = { ...segment, declaredEgress: [{ to: [{ podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 8080 }] }] };
    const allowAllOut = np('ml-prod', 'allow-all-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] });

    it('is not checked without declaredEgress, and reports nothing when only the declaration allows', () => {
      expect(findExposure(world([allowAllOut]), segment)).toEqual([]);
      expect(findExposure(world([]), declaredOut)).toEqual([]);
    });

    it('an allow-all egress policy gives the segment a way out, to the outside world and every peer', () => {
      const findings = findExposure(world([allowAllOut]), declaredOut);
      expect(findings.every((f) => f.direction === 'Egress' && f.source.id === 'ml-prod/model[Deployment]')).toBe(true);
      const byTarget = new Map(findings.map((f) => [f.target.id, f]));
      expect([...byTarget.keys()].sort()).toEqual([
        '0.0.0.0-255.255.255.255[External]',
        'ml-prod/gw[Deployment]',
        'ml-prod/notebook[Deployment]',
        'other/scraper[Deployment]',
      ]);
      expect(byTarget.get('0.0.0.0-255.255.255.255[External]')?.excess.isAll()).toBe(true);
      expect(byTarget.get('0.0.0.0-255.255.255.255[External]')?.policies).toEqual(['ml-prod/allow-all-egress']);
      // The gateway on 8080 was declared: only the rest is excess.
      expect(byTarget.get('ml-prod/gw[Deployment]')?.excess.has('TCP', 8080)).toBe(false);
      expect(byTarget.get('ml-prod/gw[Deployment]')?.excess.has('TCP', 8081)).toBe(true);
    });

    it('a destination whose ingress refuses the segment is not a way out', () => {
      const otherDenies = np('other', 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
      const targets = findExposure(world([allowAllOut, otherDenies]), declaredOut).map((f) => f.target.id);
      expect(targets).not.toContain('other/scraper[Deployment]');
      expect(targets).toContain('0.0.0.0-255.255.255.255[External]');
    });

    it('a narrower egress policy opens only its range, split where the ipBlock cuts the address space', () => {
      const toS3 = np('ml-prod', 'to-s3', { podSelector: { matchLabels: { app: 'model' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '52.216.0.0/15' } }], ports: [{ port: 443 }] }] });
      const findings = findExposure(world([toS3]), declaredOut);
      expect(findings.map((f) => [f.direction, f.source.id, f.target.id, f.excess.toString(), f.policies])).toEqual([
        ['Egress', 'ml-prod/model[Deployment]', '52.216.0.0-52.217.255.255[External]', 'TCP 443', ['ml-prod/to-s3']],
      ]);
    });

    describe('dual stack', () => {
      const V6_WORLD = '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]';
      const toV6 = np('ml-prod', 'to-v6', { podSelector: { matchLabels: { app: 'model' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }] });

      it('reports an allow-egress-to-::/0 policy in Dual, which IPv4 mode cannot see', () => {
        const findings = findExposure(world([toV6]), declaredOut, { ipFamilies: 'Dual' });
        expect(findings.map((f) => [f.direction, f.source.id, f.target.id, f.excess.toString(), f.policies])).toEqual([
          ['Egress', 'ml-prod/model[Deployment]', V6_WORLD, 'All Connections', ['ml-prod/to-v6']],
        ]);
        expect(findExposure(world([toV6]), declaredOut)).toEqual([]);
      });

      it('a declared IPv6 destination is not exposure; the rest of IPv6 space is', () => {
        // As in the controller, the segment's own policy (which cuts the address space) is in the facts.
        const egress = [{ to: [{ ipBlock: { cidr: '2001:db8::/32' } }] }];
        const own = np('ml-prod', 'model-out', { podSelector: { matchLabels: { app: 'model' } }, policyTypes: ['Egress'], egress });
        const findings = findExposure(world([own, toV6]), { ...segment, declaredEgress: egress }, { ipFamilies: 'Dual' });
        expect(findings.map((f) => f.target.id)).toEqual(['::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External]', '2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]']);
      });

      it('lists the IPv4 world first and the IPv6 world after every in-cluster peer', () => {
        const findings = findExposure(world([allowAllOut]), declaredOut, { ipFamilies: 'Dual' });
        expect(findings.map((f) => f.target.id)).toEqual([
          '0.0.0.0-255.255.255.255[External]',
          'ml-prod/gw[Deployment]',
          'ml-prod/notebook[Deployment]',
          'other/scraper[Deployment]',
          V6_WORLD,
        ]);
      });
    });

    it('lists ingress findings before egress ones', () => {
      const allowAllIn = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}] });
      const directions = findExposure(world([allowAllIn, allowAllOut]), declaredOut).map((f) => f.direction);
      expect(directions.indexOf('Egress')).toBeGreaterThan(directions.lastIndexOf('Ingress'));
      expect(new Set(directions)).toEqual(new Set(['Ingress', 'Egress']));
    });
  });

  it('findExposures over several segments gives what findExposure gives for each', () => {
    const allowAll = np('ml-prod', 'allow-all', { podSelector: {}, ingress: [{}], egress: [{}], policyTypes: ['Ingress', 'Egress'] });
    const gw: Segment = { namespace: 'ml-prod', podSelector: { matchLabels: { app: 'gw' } }, declaredIngress: [], declaredEgress: [{ to: [{ podSelector: { matchLabels: { app: 'model' } } }] }] };
    const segments = [segment, gw, { ...segment, declaredEgress: [] }];
    const facts = world([allowAll]);
    const summary = (fs: ReturnType<typeof findExposure>): string[] => fs.map((f) => `${f.direction} ${f.source.id} -> ${f.target.id}: ${f.excess.toString()} via ${f.policies.join(',')}`);
    const together = findExposures(facts, segments).map(summary);
    expect(together).toEqual(segments.map((s) => summary(findExposure(facts, s))));
    expect(together.every((f) => f.length > 0)).toBe(true);
    expect(findExposures(facts, [])).toEqual([]);
  });
});
