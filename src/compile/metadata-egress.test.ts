// The cloud metadata endpoints are carved out of every CIDR egress unless the component asks for
// them: one test per address family with the default list (--metadata-cidrs), the operator's own
// list instead of the defaults, and every sample with CIDR egress as rendered.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { METADATA_ADDRESSES } from '../api/constants.js';
import type { AIWorkloadSpec } from '../api/types.js';
import { validateSpec } from '../api/validate.js';
import { compile } from './compile.js';
import { type CompileFacts, DEFAULT_PLATFORM, type PlatformConfig } from './facts.js';
import type { NetworkPolicy } from './objects.js';
import { metadataWithin } from './peers.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function spec(raw: unknown): AIWorkloadSpec {
  const r = validateSpec(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const facts = (platform: PlatformConfig = DEFAULT_PLATFORM): CompileFacts => ({ platform, workloads: new Map() });

/** The ipBlocks of component `api`'s egress to each of `cidrs`, compiled with `platform`. */
function blocks(cidrs: string[], opts: { allowMetadataAccess?: boolean; platform?: PlatformConfig } = {}): NetworkPolicy['spec']['egress'] {
  const s = spec({
    components: [{ name: 'api', selector: { matchLabels: { app: 'api' } }, ...(opts.allowMetadataAccess === true ? { allowMetadataAccess: true } : {}) }],
    egress: cidrs.map((cidr) => ({ from: 'api', to: { cidr }, ports: [443] })),
  });
  const np = compile({ name: 'w', namespace: 'ns', spec: s }, facts(opts.platform)).objects.find((o) => o.kind === 'NetworkPolicy') as NetworkPolicy;
  return np.spec.egress.filter((r) => r.to.some((p) => p.ipBlock !== undefined));
}

const exceptOf = (egress: NetworkPolicy['spec']['egress'], cidr: string): string[] | undefined =>
  egress.flatMap((r) => r.to).find((p) => p.ipBlock?.cidr === cidr)?.ipBlock?.except;

test('the default list is the six endpoints of the issue, IPv4 and IPv6', () => {
  expect(DEFAULT_PLATFORM.metadataAddresses).toEqual([...METADATA_ADDRESSES]);
  expect([...METADATA_ADDRESSES].sort()).toEqual(['100.100.100.200/32', '169.254.169.254/32', '169.254.170.23/32', 'fd00:ec2::23/128', 'fd00:ec2::254/128', 'fd20:ce::254/128']);
});

test('IPv4: every IPv4 metadata endpoint inside a CIDR egress is excepted, and only those inside', () => {
  const egress = blocks(['0.0.0.0/0', '169.254.0.0/16', '100.64.0.0/10', '10.0.0.0/8']);
  // AWS/Azure/GCP/OCI instance metadata, the EKS Pod Identity agent, Alibaba Cloud.
  expect(exceptOf(egress, '0.0.0.0/0')).toEqual(['169.254.169.254/32', '169.254.170.23/32', '100.100.100.200/32']);
  expect(exceptOf(egress, '169.254.0.0/16')).toEqual(['169.254.169.254/32', '169.254.170.23/32']);
  expect(exceptOf(egress, '100.64.0.0/10')).toEqual(['100.100.100.200/32']);
  expect(exceptOf(egress, '10.0.0.0/8')).toBeUndefined();
  expect(exceptOf(blocks(['0.0.0.0/0'], { allowMetadataAccess: true }), '0.0.0.0/0')).toBeUndefined();
});

test('IPv6: every IPv6 metadata endpoint inside a CIDR egress is excepted, and only those inside', () => {
  const egress = blocks(['::/0', 'fd00:ec2::/32', 'fd20::/16', '2001:db8::/32']);
  // AWS instance metadata and the EKS Pod Identity agent, GCP's IPv6 metadata server.
  expect(exceptOf(egress, '::/0')).toEqual(['fd00:ec2::254/128', 'fd00:ec2::23/128', 'fd20:ce::254/128']);
  expect(exceptOf(egress, 'fd00:ec2::/32')).toEqual(['fd00:ec2::254/128', 'fd00:ec2::23/128']);
  expect(exceptOf(egress, 'fd20::/16')).toEqual(['fd20:ce::254/128']);
  expect(exceptOf(egress, '2001:db8::/32')).toBeUndefined();
  expect(exceptOf(blocks(['::/0'], { allowMetadataAccess: true }), '::/0')).toBeUndefined();
});

test('the list is operator configuration: another list replaces the defaults', () => {
  const platform: PlatformConfig = { ...DEFAULT_PLATFORM, metadataAddresses: ['169.254.169.254/32', '10.9.9.9/32'] };
  expect(exceptOf(blocks(['0.0.0.0/0', '10.0.0.0/8'], { platform }), '0.0.0.0/0')).toEqual(['169.254.169.254/32', '10.9.9.9/32']);
  expect(exceptOf(blocks(['10.0.0.0/8'], { platform }), '10.0.0.0/8')).toEqual(['10.9.9.9/32']);
  expect(exceptOf(blocks(['::/0'], { platform }), '::/0')).toBeUndefined();
});

test('a CIDR egress wholly inside a configured endpoint gets no rule and is reported, never opened', () => {
  const platform: PlatformConfig = { ...DEFAULT_PLATFORM, metadataAddresses: ['10.9.9.0/24'] };
  const s = spec({ components: [{ name: 'api', selector: { matchLabels: { app: 'api' } } }], egress: [{ from: 'api', to: { cidr: '10.9.9.9/32' }, ports: [80] }] });
  const result = compile({ name: 'w', namespace: 'ns', spec: s }, facts(platform));
  const np = result.objects.find((o) => o.kind === 'NetworkPolicy') as NetworkPolicy;
  expect(np.spec.egress.flatMap((r) => r.to).filter((p) => p.ipBlock !== undefined)).toEqual([]);
  expect(result.components[0]?.unresolvedPeers).toEqual([
    { kind: 'unresolved', peer: 'cidr/10.9.9.9/32', message: '10.9.9.9/32 lies within the cloud metadata endpoint 10.9.9.0/24 (operator configuration --metadata-cidrs); set allowMetadataAccess: true on the component to allow it' },
  ]);
});

describe('every sample with CIDR egress, as rendered', () => {
  const samples = readdirSync(path.join(repo, 'samples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => {
    const doc = load(readFileSync(path.join(repo, 'samples', f), 'utf8')) as { metadata: { name: string; namespace: string }; spec: unknown };
    return { file: f, namespace: doc.metadata.namespace, name: doc.metadata.name, spec: spec(doc.spec) };
  });
  const withCidr = samples.filter((s) => (s.spec.egress ?? []).some((e) => e.to.cidr !== undefined));

  test('there are such samples, with CIDR egress in both families', () => {
    const cidrs = withCidr.flatMap((s) => (s.spec.egress ?? []).flatMap((e) => (e.to.cidr === undefined ? [] : [e.to.cidr])));
    expect(cidrs).toEqual(expect.arrayContaining(['0.0.0.0/0', '::/0']));
  });

  test.each(withCidr.map((s) => [s.file, s] as const))('%s: each ipBlock leaves out every endpoint inside it', (_file, s) => {
    const all = new Map(samples.map((w) => [`${w.namespace}/${w.name}`, w]));
    const objects = compile(s, { platform: DEFAULT_PLATFORM, workloads: all }).objects.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
    let checked = 0;
    for (const np of objects) {
      const component = s.spec.components.find((c) => `${s.name}-${c.name}` === np.metadata.name);
      for (const peer of np.spec.egress.flatMap((r) => r.to)) {
        if (peer.ipBlock === undefined || component?.allowMetadataAccess === true) continue;
        checked++;
        expect([np.metadata.name, peer.ipBlock.cidr, peer.ipBlock.except ?? []]).toEqual([np.metadata.name, peer.ipBlock.cidr, expect.arrayContaining(metadataWithin(peer.ipBlock.cidr, METADATA_ADDRESSES))]);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
