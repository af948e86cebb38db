// The identity-bound segment policies as shipped: manifests/identity-policies.yaml is in the plain
// install and the chart's default render (manifests.test.ts and chart.test.ts compare the rest);
// each policy has a value that turns it off; the opt-in adoption policy is off by default, renders
// as manifests/opt-in/segment-adoption.yaml when turned on (and is refused on a Kubernetes without
// MutatingAdmissionPolicy v1), and that file passes the API server's validation.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubectl, kubectlOk } from '../harness/cluster.js';
import { HELM_INSTALL_HINT, INSTALL_NAMESPACE, type KubeObject, findHelm, objectKey, parseObjects, repoRoot, run, serverWarnings, withoutHelmLabels } from './install-files.js';

const SLOW = 180_000;
const CHART = (): string => path.join(repoRoot(), 'charts', 'bulkhead');
const OPT_IN = (): string => path.join(repoRoot(), 'manifests', 'opt-in', 'segment-adoption.yaml');
const helm = findHelm();
if (helm === undefined) process.stderr.write(`\n[packaging] SKIPPED the identity policy chart tests: no helm binary found.\n[packaging] Install it with: ${HELM_INSTALL_HINT}\n\n`);

const POLICIES: [string, string][] = [
  ['segmentMembership', 'bulkhead-segment-membership'],
  ['segmentIdentity', 'bulkhead-segment-identity'],
  ['identityTokens', 'bulkhead-identity-tokens'],
  ['identityBindings', 'bulkhead-identity-bindings'],
];

const fromFile = (file: string): KubeObject[] => parseObjects(readFileSync(file, 'utf8'), file);
const admissionNames = (objects: KubeObject[]): string[] =>
  objects.filter((o) => o.apiVersion.startsWith('admissionregistration.k8s.io/')).map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('manifests/ identity policies', () => {
  it('ships the four validating policies, each with its binding, and no mutating one', () => {
    const names = admissionNames(fromFile(path.join(repoRoot(), 'manifests', 'identity-policies.yaml')));
    expect(names).toEqual(POLICIES.flatMap(([, p]) => [`ValidatingAdmissionPolicy/${p}`, `ValidatingAdmissionPolicyBinding/${p}`]).sort());
  });

  it('keeps the opt-in adoption policy out of `kubectl apply -f manifests/` (a directory of its own)', () => {
    expect(admissionNames(fromFile(OPT_IN()))).toEqual(['MutatingAdmissionPolicy/bulkhead-segment-adoption', 'MutatingAdmissionPolicyBinding/bulkhead-segment-adoption']);
  });

  it('validates the opt-in file with kubectl apply --dry-run=server --validate=strict', async () => {
    const res = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', OPT_IN()]);
    expect(res.code).toBe(0);
    expect(serverWarnings(res.stderr)).toEqual([]);
    expect(res.stdout.trim().split('\n').sort()).toEqual(['mutatingadmissionpolicy.admissionregistration.k8s.io/bulkhead-segment-adoption', 'mutatingadmissionpolicybinding.admissionregistration.k8s.io/bulkhead-segment-adoption']);
  }, SLOW);
});

(helm === undefined ? describe.skip : describe)('charts/bulkhead identity policy values', () => {
  const bin = helm as string;
  let kubeVersion = '';

  async function template(extra: string[], version = kubeVersion): Promise<{ code: number; objects: KubeObject[]; stderr: string }> {
    const res = await run(bin, ['template', 'bulkhead', CHART(), '--namespace', INSTALL_NAMESPACE, '--kube-version', version, ...extra]);
    return { code: res.code, objects: res.code === 0 ? parseObjects(res.stdout, 'helm template') : [], stderr: res.stderr };
  }

  beforeAll(async () => {
    kubeVersion = (JSON.parse(await kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
  }, SLOW);

  it.each(POLICIES)('admission.%s.enabled=false leaves out %s and its binding, and nothing else', async (value, policy) => {
    const all = admissionNames((await template([])).objects);
    const without = admissionNames((await template(['--set', `admission.${value}.enabled=false`])).objects);
    expect(all.filter((n) => !without.includes(n))).toEqual([`ValidatingAdmissionPolicy/${policy}`, `ValidatingAdmissionPolicyBinding/${policy}`]);
  }, SLOW);

  it('renders the adoption policy only when admission.segmentAdoption.enabled, exactly as manifests/opt-in/ ships it', async () => {
    expect(admissionNames((await template([])).objects).filter((n) => n.startsWith('Mutating'))).toEqual([]);
    const on = (await template(['--set', 'admission.segmentAdoption.enabled=true'])).objects.filter((o) => o.kind.startsWith('MutatingAdmissionPolicy')).map(withoutHelmLabels);
    const byKey = (os: KubeObject[]): Record<string, KubeObject> => Object.fromEntries(os.map((o) => [objectKey(o), o]));
    expect(byKey(on)).toEqual(byKey(fromFile(OPT_IN())));
  }, SLOW);

  it('refuses the adoption policy on a Kubernetes without MutatingAdmissionPolicy v1 (before 1.36), saying why', async () => {
    const res = await template(['--set', 'admission.segmentAdoption.enabled=true'], 'v1.35.0');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('admission.segmentAdoption.enabled needs admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (Kubernetes 1.36 or newer); this is v1.35.0');
  }, SLOW);

  it('reads the identity registry from the release namespace, and lets the release\'s ServiceAccount write it', async () => {
    const res = await run(bin, ['template', 'bulkhead', CHART(), '--namespace', 'platform', '--kube-version', kubeVersion, '--set', 'serviceAccount.name=ops']);
    const objects = parseObjects(res.stdout, 'helm template');
    const binding = objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === 'bulkhead-identity-bindings') as KubeObject & { spec: { paramRef: { namespace: string } } };
    expect(binding.spec.paramRef.namespace).toBe('platform');
    const policy = JSON.stringify(objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'bulkhead-identity-bindings'));
    expect(policy).toContain("'system:serviceaccount:platform:ops'");
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'bulkhead-segment-identity');
    expect(role).toMatchObject({ metadata: { namespace: 'platform' }, rules: [] });
  }, SLOW);

  it('passes the metadata endpoints to the operator and leaves them out of its own egress', async () => {
    const { objects } = await template(['--set-json', 'platform.metadataCidrs=["169.254.169.254/32","fd00:ec2::254/128","10.9.9.9/32"]']);
    const d = objects.find((o) => o.kind === 'Deployment') as KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const args = d.spec.template.spec.containers[0]?.args ?? [];
    expect(args[args.indexOf('--metadata-cidrs') + 1]).toBe('169.254.169.254/32,fd00:ec2::254/128,10.9.9.9/32');
    const np = objects.find((o) => o.kind === 'NetworkPolicy') as KubeObject & { spec: { egress: { to: { ipBlock?: { cidr: string; except?: string[] } }[] }[] } };
    const blocks = np.spec.egress.flatMap((r) => r.to).flatMap((p) => (p.ipBlock === undefined ? [] : [p.ipBlock]));
    expect(blocks).toEqual([{ cidr: '0.0.0.0/0', except: ['169.254.169.254/32', '10.9.9.9/32'] }, { cidr: '::/0', except: ['fd00:ec2::254/128'] }]);
  }, SLOW);
});
