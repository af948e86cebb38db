// Issue 13, "supply chain of Bulkhead itself". `make sbom` writes a CycloneDX SBOM that the
// CycloneDX JSON schema accepts (CycloneDX's own validator) and that names every runtime
// dependency of package.json at the version package-lock.json pins, and no development-only
// package. hack/audit-signatures.sh (CI runs it after npm ci) verifies registry signatures where
// the registry publishes signing keys, says plainly when it does not, and fails otherwise.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { repoRoot, run } from './install-files.js';

interface Component {
  type: string;
  name: string;
  group?: string;
  version: string;
  purl: string;
  scope?: string;
}
interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { component: Component };
  components: Component[];
}
interface PackageJson {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface Lockfile {
  packages: Record<string, { version?: string; dev?: boolean }>;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const fullName = (c: Component): string => (c.group !== undefined && c.group !== '' ? `${c.group}/${c.name}` : c.name);
const purl = (name: string, version: string): string => `pkg:npm/${name.replace('@', '%40')}@${version}`;

describe('make sbom', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bulkhead-sbom-'));
  const file = path.join(dir, 'bulkhead.cdx.json');
  const pkg = read<PackageJson>(path.join(repoRoot(), 'package.json'));
  const lock = read<Lockfile>(path.join(repoRoot(), 'package-lock.json'));
  let bom: Bom;
  let text: string;

  beforeAll(async () => {
    // -o node_modules: never let make reinstall the dependencies in the middle of a test run.
    const res = await run('make', ['-s', '-o', 'node_modules', 'sbom', `SBOM=${file}`]);
    if (res.code !== 0) throw new Error(`make sbom exited ${res.code}: ${res.stderr}`);
    expect(res.stdout).toMatch(new RegExp(`sbom: CycloneDX 1\\.\\d+, \\d+ components, in ${file}`));
    text = readFileSync(file, 'utf8');
    bom = JSON.parse(text) as Bom;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes CycloneDX JSON that the CycloneDX schema accepts', async () => {
    expect(bom.bomFormat).toBe('CycloneDX');
    const version = Object.values(Spec.Version).find((v) => String(v) === bom.specVersion);
    expect(version).toBeDefined();
    const errors: unknown = await new Validation.JsonStrictValidator(version as Spec.Version).validate(text);
    expect(errors).toBeNull();
    // The validator is not a pushover: a component without its required type is refused.
    const broken = JSON.parse(text) as { components: Partial<Component>[] };
    delete broken.components[0]?.type;
    expect(await new Validation.JsonStrictValidator(version as Spec.Version).validate(JSON.stringify(broken))).not.toBeNull();
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('describes Bulkhead itself, whatever the folder it was built in', () => {
    expect(bom.metadata.component).toMatchObject({ name: pkg.name, version: pkg.version, purl: purl(pkg.name, pkg.version) });
  });

  it('names every runtime dependency of package.json at the version the lockfile pins', () => {
    const byName = new Map(bom.components.map((c) => [`${fullName(c)}@${c.version}`, c]));
    for (const name of Object.keys(pkg.dependencies)) {
      const pinned = lock.packages[`node_modules/${name}`]?.version;
      expect([name, pinned]).toEqual([name, expect.any(String)]);
      const c = byName.get(`${name}@${pinned as string}`);
      expect([name, c?.purl, c?.scope]).toEqual([name, purl(name, pinned as string), 'required']);
    }
  });

  it('leaves out packages only development needs', () => {
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
    expect(devOnly).toEqual(expect.arrayContaining(['jest', 'typescript', '@cyclonedx/cyclonedx-library']));
    expect(bom.components.map(fullName).filter((n) => devOnly.includes(n))).toEqual([]);
  });
});

describe('hack/audit-signatures.sh', () => {
  const script = (): string => path.join(repoRoot(), 'hack', 'audit-signatures.sh');
  /** A loopback registry that answers -/npm/v1/keys with `status` and `body`, and 404 for anything else. */
  let keysAnswer: { status: number; body: string } = { status: 404, body: '{}' };
  let server: Server;
  let registry: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = req.url === '/-/npm/v1/keys' ? keysAnswer : { status: 404, body: '{}' };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    registry = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  const audit = (reg: string): ReturnType<typeof run> => run('bash', [script()], { npm_config_registry: reg, npm_config_fetch_retries: '0' });

  it('says plainly that nothing was checked, and passes, when the registry publishes no signing keys', async () => {
    keysAnswer = { status: 404, body: '{}' };
    const res = await audit(registry);
    expect(res.stdout).toContain(`NOT CHECKED: the npm registry in use (${registry}) publishes no signing keys`);
    expect(res.stdout).toContain('GET -/npm/v1/keys: status 404');
    expect(res.code).toBe(0);
  }, 60_000);

  it('runs npm audit signatures, and fails with it, when the registry publishes keys its packages do not verify against', async () => {
    keysAnswer = { status: 200, body: JSON.stringify({ keys: [{ keyid: 'SHA256:test', keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: 'AAAA' }] }) };
    const res = await audit(registry);
    expect(res.stdout).toContain(`${registry} publishes signing keys; verifying every installed package`);
    expect(res.code).not.toBe(0);
  }, 120_000);

  it('fails when the registry cannot be asked', async () => {
    const res = await audit('http://127.0.0.1:9/');
    expect(res.stderr).toContain('FAILED: cannot read the signing keys of http://127.0.0.1:9/');
    expect(res.code).toBe(1);
  }, 60_000);

  it('passes on the registry this machine uses, saying which of the two it did', async () => {
    const res = await run('bash', [script()]);
    process.stderr.write(`[supply-chain] ${res.stdout.split('\n')[0] ?? ''}\n`);
    expect(res.stdout).toMatch(/NOT CHECKED: the npm registry in use .* publishes no signing keys|verifying every installed package/);
    expect(res.code).toBe(0);
  }, 120_000);
});
