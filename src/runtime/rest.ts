// A small REST client for the Kubernetes API over node:https, configured by the kubeconfig
// (kubeconfig.ts: credentials, CA, proxy-free). It is the operator's and the CLI's one client:
// subresources, server-side apply, dry-run and label-selected lists are plain requests, and the
// raw JSON keeps every field's name (generated typed clients rename some).
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from './kubeconfig.js';
import type { RateLimiter } from './rate-limit.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Abort after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** A Kubernetes API error with its HTTP status and the Status object's reason and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isForbidden = (err: unknown): boolean => err instanceof ApiError && err.status === 403;
export const isInvalid = (err: unknown): boolean => err instanceof ApiError && err.status === 422;

/**
 * What a failed request means for the caller, in one place (client-go's `errors.IsX` family):
 * `refused` will not succeed by retrying alone (authentication, RBAC or admission said no, or the
 * object is invalid); `conflict` and `not-found` mean the world changed under a cached read;
 * `gone` an expired resourceVersion; anything else (timeouts, connection errors, 429, 5xx) is
 * `retryable`.
 */
export type ErrorClass = 'refused' | 'conflict' | 'not-found' | 'gone' | 'retryable';

const CLASS_BY_STATUS: Readonly<Record<number, ErrorClass>> = { 400: 'refused', 401: 'refused', 403: 'refused', 404: 'not-found', 405: 'refused', 409: 'conflict', 410: 'gone', 422: 'refused' };

export function classifyError(err: unknown): ErrorClass {
  return err instanceof ApiError ? (CLASS_BY_STATUS[err.status] ?? 'retryable') : 'retryable';
}

/**
 * The API server's own words for a failed request: `403 Forbidden: <the Status message>`, without
 * the request line; for an error that never reached a Status (a timeout), its message.
 */
export function serverMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const body = err.body as { message?: unknown } | undefined;
  const words = typeof body?.message === 'string' && body.message !== '' ? body.message : err.message;
  return `${err.status} ${err.reason}: ${words}`;
}

export interface RestClient {
  request<T = unknown>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** The server URL, for logs. */
  readonly server: string;
}

function queryString(query: RequestOptions['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

export interface RestClientOptions {
  /** Every request waits for it first (the operator's --kube-api-qps / --kube-api-burst). */
  limiter?: RateLimiter;
}

export function createRestClient(kc: KubeConfig, clientOpts: RestClientOptions = {}): RestClient {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const base = new URL(cluster.server);
  const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 32 };
  let agent: http.Agent | undefined;

  return {
    server: cluster.server,
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      await clientOpts.limiter?.take();
      const options: https.RequestOptions = {
        method,
        hostname: base.hostname,
        port: base.port,
        path: `${base.pathname.replace(/\/$/, '')}${path}${queryString(opts.query)}`,
        headers: { Accept: 'application/json' },
      };
      await kc.applyToHTTPSOptions(options);
      if (agent === undefined) {
        agent = base.protocol === 'https:'
          ? new https.Agent({ ...agentOptions, ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized })
          : new http.Agent(agentOptions);
      }
      options.agent = agent;
      let payload: string | undefined;
      if (opts.body !== undefined) {
        payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        options.headers = { ...options.headers, 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
      }
      const transport = base.protocol === 'https:' ? https : http;
      return new Promise<T>((resolve, reject) => {
        const req = transport.request(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(parsed as T);
              return;
            }
            const st = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { reason?: string; message?: string };
            reject(new ApiError(status, st.reason ?? String(status), `${method} ${path}: ${status} ${st.message ?? text}`, parsed));
          });
        });
        req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
  };
}
