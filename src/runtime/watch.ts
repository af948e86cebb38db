// A watch stream over node:http(s), configured by the kubeconfig like the REST client (rest.ts):
// only KubeConfig.applyToHTTPSOptions is used. client-node 2.x's Watch, which this replaced, aborts
// a stream that sends nothing for 30 s; a quiet collection with bookmarks about once a minute would
// then fail every half minute. Here silence is the informer's to judge (its quiet timeout); the
// stream only bounds the wait for the response headers.
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from './kubeconfig.js';
import { ApiError } from './rest.js';

export interface WatchStreamOptions {
  /** Query parameters (resourceVersion, allowWatchBookmarks, selectors, timeoutSeconds); `watch=true` is added. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Give up when the response headers have not arrived within this many milliseconds (default 30 s). */
  headersTimeoutMs?: number;
}

export interface WatchStream {
  /** stop closes the stream; no event follows, and onDone is called (without an error) if it was not yet. */
  stop(): void;
}

/**
 * watchStream opens `GET path?watch=true` and calls `onEvent` with each event's type and object, in
 * order. `onDone` is called exactly once: without an error when the server ended the stream (its
 * timeoutSeconds) or after `stop()`; with an {@link ApiError} for a non-200 answer (410 Gone for an
 * expired resourceVersion); with the transport's error when the connection failed or was cut
 * mid-stream. Lines that are not JSON are skipped.
 */
export async function watchStream(
  kc: KubeConfig,
  path: string,
  opts: WatchStreamOptions,
  onEvent: (type: string, object: unknown) => void,
  onDone: (err?: unknown) => void,
): Promise<WatchStream> {
  let done = false;
  let stopped = false;
  const finish = (err?: unknown): void => {
    if (done) return;
    done = true;
    onDone(stopped ? undefined : err);
  };
  let req: http.ClientRequest | undefined;
  let headersTimer: NodeJS.Timeout | undefined;
  const stream: WatchStream = {
    stop(): void {
      stopped = true;
      req?.destroy();
      finish();
    },
  };
  try {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const options: https.RequestOptions = {};
    // TLS material, auth headers and the agent for that TLS material.
    await kc.applyToHTTPSOptions(options);
    if (stopped) return stream;
    const transport = url.protocol === 'http:' ? http : https;
    req = transport.request(url, { ...options, method: 'GET', headers: { ...options.headers, Accept: 'application/json' } }, (res) => {
      clearTimeout(headersTimer);
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', finish);
        res.on('end', () => finish(statusError(status, path, Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) deliver(line, onEvent, () => stopped || done);
      });
      res.on('error', finish);
      // A server that ends the stream completes the chunked body; a cut connection does not.
      res.on('close', () => finish(res.complete ? undefined : new Error(`watch ${path}: connection closed mid-stream`)));
    });
    headersTimer = setTimeout(() => req?.destroy(new Error(`watch ${path}: no response within ${opts.headersTimeoutMs ?? 30_000} ms`)), opts.headersTimeoutMs ?? 30_000);
    // TCP keep-alive so that a peer that vanished without a FIN is noticed (client-node 1.x did the same).
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', (err) => {
      clearTimeout(headersTimer);
      finish(err);
    });
    req.on('close', () => clearTimeout(headersTimer));
    req.end();
  } catch (err) {
    finish(err);
  }
  return stream;
}

function deliver(line: string, onEvent: (type: string, object: unknown) => void, over: () => boolean): void {
  if (line.trim() === '' || over()) return;
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line) as { type?: unknown; object?: unknown };
  } catch {
    return; // not an event
  }
  if (typeof event.type === 'string') onEvent(event.type, event.object);
}

function statusError(status: number, path: string, text: string): ApiError {
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const st = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { reason?: string; message?: string };
  return new ApiError(status, st.reason ?? String(status), `watch ${path}: ${status} ${st.message ?? text}`, parsed);
}
