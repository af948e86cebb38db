/**
 * The operator's HTTP endpoints (node:http, no framework):
 *   GET /metrics  Prometheus text from the given registry
 *   GET /healthz  200 while the process can serve HTTP (liveness)
 *   GET /readyz   200 when the readiness callback says so, else 503 with the reason
 * One listener serves all three, or the metrics and the probes get a listener each.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Why not ready; shown in the 503 body. */
  reason?: string;
}

export interface ReadinessInputs {
  /** True once every informer cache has synced. */
  cachesSynced: () => boolean;
  /**
   * Names of the watched collections whose list or watch is failing now (the API server cannot be
   * reached). Any name makes the replica not ready until the watches are back.
   */
  disconnected?: () => string[];
  /**
   * Present when leader election is on. A replica is ready when it leads, or when it follows and
   * has observed the lease at least once (so it knows who leads and can take over).
   */
  election?: {
    isLeader: () => boolean;
    hasObservedLease: () => boolean;
  };
  /**
   * True once the reconcile workers run. A replica that leads (or runs without election) is
   * ready only then: synced caches with nobody reconciling do no work.
   */
  working?: () => boolean;
}

/** readinessCheck combines cache sync and election state into the /readyz callback. */
export function readinessCheck(inputs: ReadinessInputs): () => Readiness {
  return () => {
    if (!inputs.cachesSynced()) return { ready: false, reason: 'informer caches not synced' };
    const lost = inputs.disconnected?.() ?? [];
    if (lost.length > 0) return { ready: false, reason: `lost the API server: watches of ${lost.join(', ')} are failing` };
    const e = inputs.election;
    if (e && !e.isLeader()) return e.hasObservedLease() ? { ready: true } : { ready: false, reason: 'leader lease not observed yet' };
    if (inputs.working !== undefined && !inputs.working()) return { ready: false, reason: 'reconcile workers not started' };
    return { ready: true };
  };
}

/** A path the server answers. */
export type Endpoint = '/metrics' | '/healthz' | '/readyz';

export const ALL_ENDPOINTS: readonly Endpoint[] = ['/metrics', '/healthz', '/readyz'];

export interface HealthServerOptions {
  /** Interface to bind. @default '0.0.0.0' */
  host?: string;
  /** Port; 0 picks a free one (read it back from `port`). @default 8080 */
  port?: number;
  registry: Registry;
  ready: () => Readiness;
  /** The paths served; others are 404. @default all three */
  endpoints?: readonly Endpoint[];
}

/** ListenError is a listener that could not be opened, with a message that says which and why. */
export class ListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

const LISTEN_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this host',
};

/** listenError explains a failed listen on host:port serving `what`. */
export function listenError(what: string, host: string, port: number, err: unknown): ListenError {
  const code = (err as { code?: unknown } | undefined)?.code;
  const known = typeof code === 'string' ? LISTEN_PROBLEMS[code] : undefined;
  const why = known !== undefined ? `${known} (${String(code)})` : err instanceof Error ? err.message : String(err);
  return new ListenError(host, port, typeof code === 'string' ? code : undefined, `cannot serve ${what} on ${host}:${port}: ${why}`);
}

export interface HealthServer {
  /** The bound port. */
  readonly port: number;
  readonly host: string;
  /** close stops listening and resolves once every socket is closed. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: HealthServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed\n');
    return;
  }
  const endpoint = (opts.endpoints ?? ALL_ENDPOINTS).find((e) => e === path);
  if (endpoint === undefined) {
    send(res, 404, 'not found\n');
    return;
  }
  await answer(endpoint, res, opts);
}

async function answer(endpoint: Endpoint, res: ServerResponse, opts: HealthServerOptions): Promise<void> {
  switch (endpoint) {
    case '/healthz':
      send(res, 200, 'ok\n');
      return;
    case '/readyz': {
      const r = opts.ready();
      send(res, r.ready ? 200 : 503, r.ready ? 'ok\n' : `not ready: ${r.reason ?? 'unknown'}\n`);
      return;
    }
    case '/metrics':
      send(res, 200, await opts.registry.metrics(), opts.registry.contentType);
  }
}

/** startHealthServer listens and resolves with the bound address. */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = opts.host ?? '0.0.0.0';
  const wanted = opts.port ?? 8080;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => reject(listenError((opts.endpoints ?? ALL_ENDPOINTS).join(', '), host, wanted, err));
    server.once('error', fail);
    server.listen(wanted, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open; these endpoints answer at once, so
        // dropping open connections loses nothing.
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
