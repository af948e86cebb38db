// Shared by the packaging suites: reads the install YAML the way kubectl does, keys objects, and
// strips what only Helm adds so that the chart's render can be compared with manifests/.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { kubectlOk, waitFor } from '../harness/cluster.js';

export const repoRoot = (): string => process.env['BULKHEAD_ROOT'] ?? process.cwd();

/** The namespace manifests/ installs into, and the chart's documented default. */
export const INSTALL_NAMESPACE = 'bulkhead-system';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface SourcedObject {
  /** Path relative to the repository root. */
  file: string;
  object: KubeObject;
}

/** objectKey identifies an object the way the API server does (group/kind, namespace, name). */
export function objectKey(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${o.kind}.${group}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** parseObjects reads every non-empty YAML document of `text`. */
export function parseObjects(text: string, source: string): KubeObject[] {
  return (loadAll(text))
    .filter((d) => d !== null && d !== undefined)
    .map((d, i) => {
      const o = d as Partial<KubeObject>;
      if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
        throw new Error(`${source}: document ${i} is not a Kubernetes object`);
      }
      return o as KubeObject;
    });
}

/**
 * yamlFilesOf lists a directory's files in the order `kubectl apply -f DIR` visits them: sorted by
 * name, only .yaml, .yml and .json.
 */
export function yamlFilesOf(dir: string): string[] {
  const abs = path.join(repoRoot(), dir);
  return readdirSync(abs)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** installObjects is what `kubectl apply -f crds/ -f manifests/` sends, in order. */
export function installObjects(): SourcedObject[] {
  return [...yamlFilesOf('crds'), ...yamlFilesOf('manifests')].flatMap((file) =>
    parseObjects(readFileSync(path.join(repoRoot(), file), 'utf8'), file).map((object) => ({ file, object })),
  );
}

/** Labels only Helm puts on the chart's objects; manifests/ has none of them. */
const HELM_ONLY_LABELS: Record<string, string | undefined> = {
  'helm.sh/chart': undefined, // any value
  'app.kubernetes.io/managed-by': 'Helm',
};

function stripLabels(labels: Record<string, string> | undefined): void {
  if (labels === undefined) return;
  for (const [k, v] of Object.entries(HELM_ONLY_LABELS)) {
    if (k in labels && (v === undefined || labels[k] === v)) delete labels[k];
  }
}

/** withoutHelmLabels returns a copy of `o` without Helm's own labels (object and pod template). */
export function withoutHelmLabels(o: KubeObject): KubeObject {
  const copy = structuredClone(o);
  stripLabels(copy.metadata.labels);
  if (copy.metadata.labels !== undefined && Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  const template = (copy['spec'] as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
  stripLabels(template?.metadata?.labels);
  return copy;
}

/**
 * serverWarnings are kubectl's stderr lines minus the one about a missing last-applied annotation,
 * which only says that an object (the install namespace) was created by another client and is no
 * finding about the files.
 */
export function serverWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('kubectl.kubernetes.io/last-applied-configuration'));
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** run executes a binary without a shell; it does not throw on a non-zero exit. */
export function run(bin: string, args: readonly string[], env: Record<string, string> = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 120_000, maxBuffer: 64 * 2 ** 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`${bin} ${args.join(' ')}: ${err.message}`));
        return;
      }
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
}

/** The helm version the repository tests with, and how CI gets it (no release download needed). */
export const HELM_VERSION = 'v3.22.0';
export const HELM_INSTALL_HINT =
  `GOTOOLCHAIN=local GOBIN="$HOME/.cache/bulkhead/helm-${HELM_VERSION}" go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION}` +
  ' (about 3 minutes from the Go module proxy), or put helm on PATH, or set BULKHEAD_HELM=/path/to/helm';

/**
 * findHelm returns a helm v3 binary: $BULKHEAD_HELM, else the cached build in
 * ~/.cache/bulkhead/helm-<version>/helm, else `helm` on PATH; undefined when there is none.
 */
export function findHelm(): string | undefined {
  const explicit = process.env['BULKHEAD_HELM'];
  if (explicit !== undefined && explicit !== '') return existsSync(explicit) ? explicit : undefined;
  return cachedHelm() ?? helmOnPath();
}

/** The cached build of HELM_VERSION, else the newest other cached v3 build. */
function cachedHelm(): string | undefined {
  const cacheRoot = path.join(os.homedir(), '.cache', 'bulkhead');
  const cached = path.join(cacheRoot, `helm-${HELM_VERSION}`, 'helm');
  if (existsSync(cached)) return cached;
  if (!existsSync(cacheRoot)) return undefined;
  return readdirSync(cacheRoot)
    .filter((d) => d.startsWith('helm-v3.'))
    .sort()
    .reverse()
    .map((d) => path.join(cacheRoot, d, 'helm'))
    .find((p) => existsSync(p));
}

function helmOnPath(): string | undefined {
  return (process.env['PATH'] ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'helm'))
    .find((candidate) => existsSync(candidate));
}

/**
 * Applies the install's own namespace file (exactly what users apply) and waits until the
 * namespace is Active: server-side dry runs of namespaced objects need it to exist, and a previous
 * suite may have left it terminating.
 */
export async function ensureInstallNamespace(): Promise<void> {
  await waitFor(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot(), yamlFilesOf('manifests')[0] as string)]);
    return (await kubectlOk(['get', 'namespace', INSTALL_NAMESPACE, '-o', 'jsonpath={.status.phase}'])) === 'Active';
  }, { timeoutMs: 60_000, description: `namespace ${INSTALL_NAMESPACE} to be Active` });
}
