// The local cluster's PKI, made with the openssl command: one CA that both signs the API server's
// serving certificate and authenticates clients (the API server maps a client certificate's CN to
// the user name and its O entries to groups), plus the service-account token key pair.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertKeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertKeyPair;
  /** Serving certificate for 127.0.0.1, localhost and the in-cluster kubernetes service names. */
  serving: CertKeyPair;
  /** Client certificate for user `admin` in group system:masters (bypasses RBAC). */
  admin: CertKeyPair;
  /** RSA key pair that signs and verifies service-account tokens. */
  serviceAccount: { privateKey: string; publicKey: string };
}

/** pkiPaths names the files generatePki writes under `dir`. */
export function pkiPaths(dir: string): Pki {
  const pair = (name: string): CertKeyPair => ({ cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) });
  return {
    dir,
    ca: pair('ca'),
    serving: pair('apiserver'),
    admin: pair('admin'),
    serviceAccount: { privateKey: path.join(dir, 'sa.key'), publicKey: path.join(dir, 'sa.pub') },
  };
}

const SERVING_NAMES = [
  'IP:127.0.0.1',
  'IP:10.96.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

// A config of our own keeps the system openssl.cnf (whose v3_ca section would mark every
// certificate as a CA) out of the way; every extension is given explicitly below.
const OPENSSL_CONFIG = '[req]\ndistinguished_name = dn\n[dn]\n';

/** generatePki writes a fresh CA, serving and admin certificates and the SA key pair into `dir`. */
export async function generatePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pki = pkiPaths(dir);
  await writeFile(configPath(dir), OPENSSL_CONFIG);
  await openssl(['req', '-config', configPath(dir), '-x509', ...newKey(pki.ca.key), '-out', pki.ca.cert,
    '-days', '3650', '-subj', '/CN=bulkhead-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  await Promise.all([
    signLeaf(pki, pki.serving, '/CN=kube-apiserver', [
      '-addext', `subjectAltName=${SERVING_NAMES.join(',')}`,
      '-addext', 'extendedKeyUsage=serverAuth',
    ]),
    mintClientCert(pki, pki.admin, 'admin', ['system:masters']),
    (async (): Promise<void> => {
      await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', pki.serviceAccount.privateKey]);
      await openssl(['pkey', '-in', pki.serviceAccount.privateKey, '-pubout', '-out', pki.serviceAccount.publicKey]);
    })(),
  ]);
  return pki;
}

// Names and groups become parts of an openssl -subj string, where '/', '=', '+' and '\' are syntax.
const SUBJECT_VALUE = /^[A-Za-z0-9:._@-]+$/;

/**
 * mintClientCert writes a client certificate for user `name` with `groups` as O entries, signed
 * by the cluster CA, to `out`.
 */
export async function mintClientCert(pki: Pki, out: CertKeyPair, name: string, groups: readonly string[]): Promise<CertKeyPair> {
  for (const value of [name, ...groups]) {
    if (!SUBJECT_VALUE.test(value)) throw new Error(`user or group "${value}" must match ${SUBJECT_VALUE.source}`);
  }
  const subject = `/CN=${name}${groups.map((g) => `/O=${g}`).join('')}`;
  await signLeaf(pki, out, subject, ['-addext', 'extendedKeyUsage=clientAuth']);
  return out;
}

async function signLeaf(pki: Pki, out: CertKeyPair, subject: string, extensions: string[]): Promise<void> {
  await openssl(['req', '-config', configPath(pki.dir), '-x509', ...newKey(out.key), '-out', out.cert,
    '-days', '3650', '-subj', subject, '-CA', pki.ca.cert, '-CAkey', pki.ca.key,
    '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    ...extensions]);
}

// ECDSA P-256 keys: generated in milliseconds, so tests can mint users freely.
function newKey(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

function configPath(dir: string): string {
  return path.join(dir, 'openssl.cnf');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.slice(0, 1).join(' ')} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}
