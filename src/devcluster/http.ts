// A minimal HTTP(S) JSON client for health checks and the etcd gRPC gateway; the cluster harness
// avoids the Kubernetes client library so that it also works before any CRD or client exists.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

export interface ClientTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  tls?: ClientTls;
  /** @default 5000 */
  timeoutMs?: number;
  /** Content type of a `body`. @default application/json */
  contentType?: string;
}

/** request sends one request; a JSON `body` is serialised. Network errors reject. */
export function request(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const tls = opts.tls === undefined ? {} : {
    ca: readFileSync(opts.tls.caFile),
    cert: readFileSync(opts.tls.certFile),
    key: readFileSync(opts.tls.keyFile),
  };
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers: payload === undefined ? {} : { 'content-type': opts.contentType ?? 'application/json' },
      timeout: opts.timeoutMs ?? 5000,
      // No connection pool: a pooled keep-alive socket must not outlive a short CLI run.
      agent: false,
      ...tls,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000}ms: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}
