// Kubeconfig files with the certificates embedded, so a file works from any directory.
import { readFile } from 'node:fs/promises';

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
  /** @default "bulkhead-local" */
  cluster?: string;
}

/** buildKubeconfig renders a single-context kubeconfig (YAML) from PEM files on disk. */
export async function buildKubeconfig(spec: KubeconfigSpec): Promise<string> {
  const [ca, cert, key] = await Promise.all([readFile(spec.caFile), readFile(spec.certFile), readFile(spec.keyFile)]);
  return renderKubeconfig({ server: spec.server, user: spec.user, cluster: spec.cluster ?? 'bulkhead-local',
    caData: b64(ca), certData: b64(cert), keyData: b64(key) });
}

export interface KubeconfigData {
  server: string;
  user: string;
  cluster: string;
  caData: string;
  certData: string;
  keyData: string;
}

/** renderKubeconfig is the pure part of buildKubeconfig; every scalar is a quoted YAML string. */
export function renderKubeconfig(d: KubeconfigData): string {
  const q = (s: string): string => JSON.stringify(s);
  const context = `${d.user}@${d.cluster}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(d.cluster)}`,
    '  cluster:',
    `    server: ${q(d.server)}`,
    `    certificate-authority-data: ${q(d.caData)}`,
    'users:',
    `- name: ${q(d.user)}`,
    '  user:',
    `    client-certificate-data: ${q(d.certData)}`,
    `    client-key-data: ${q(d.keyData)}`,
    'contexts:',
    `- name: ${q(context)}`,
    '  context:',
    `    cluster: ${q(d.cluster)}`,
    `    user: ${q(d.user)}`,
    `current-context: ${q(context)}`,
    '',
  ].join('\n');
}

function b64(buf: Buffer): string {
  return buf.toString('base64');
}
