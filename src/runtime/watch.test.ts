// watchStream against a loopback HTTP server that plays the API server's watch endpoint.
import { afterEach, describe, expect, it } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from './kubeconfig.js';
import { classifyError } from './rest.js';
import { watchStream } from './watch.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server | undefined;

async function serve(handler: Handler): Promise<KubeConfig> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify({
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
    users: [{ name: 'u', user: { token: 'secret' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  }));
  return kc;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

interface Seen {
  events: Array<[string, unknown]>;
  done: Promise<unknown>;
  onEvent: (type: string, object: unknown) => void;
  onDone: (err?: unknown) => void;
  doneCalls: number;
}

function recorder(): Seen {
  let resolveDone: (err: unknown) => void = () => undefined;
  const seen: Seen = {
    events: [],
    done: new Promise((resolve) => (resolveDone = resolve)),
    onEvent: (type, object) => seen.events.push([type, object]),
    onDone: (err) => {
      seen.doneCalls++;
      resolveDone(err);
    },
    doneCalls: 0,
  };
  return seen;
}

const line = (type: string, name: string): string => `${JSON.stringify({ type, object: { metadata: { name } } })}\n`;

describe('watchStream', () => {
  it('delivers events in order across chunk boundaries, with auth and query, and ends cleanly', async () => {
    let asked: http.IncomingMessage | undefined;
    const kc = await serve((req, res) => {
      asked = req;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const text = line('ADDED', 'a') + 'not json\n' + line('MODIFIED', 'a') + line('BOOKMARK', 'b');
      res.write(text.slice(0, 7));
      res.write(text.slice(7, 60));
      res.end(text.slice(60));
    });
    const seen = recorder();
    await watchStream(kc, '/api/v1/configmaps', { query: { resourceVersion: '12', labelSelector: undefined } }, seen.onEvent, seen.onDone);
    expect(await seen.done).toBeUndefined();
    expect(seen.events.map(([t]) => t)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK']);
    expect(asked?.url).toBe('/api/v1/configmaps?watch=true&resourceVersion=12');
    expect(asked?.headers.authorization).toBe('Bearer secret');
  });

  it('ends with an ApiError the informer reads as gone for a 410', async () => {
    const kc = await serve((_req, res) => {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
    });
    const seen = recorder();
    await watchStream(kc, '/api/v1/pods', {}, seen.onEvent, seen.onDone);
    const err = await seen.done;
    expect(classifyError(err)).toBe('gone');
    expect((err as Error).message).toContain('too old resource version');
  });

  it('ends with an error when the connection is cut mid-stream', async () => {
    const kc = await serve((_req, res) => {
      res.writeHead(200);
      res.write(line('ADDED', 'a'), () => res.socket?.destroy());
    });
    const seen = recorder();
    await watchStream(kc, '/api/v1/pods', {}, seen.onEvent, seen.onDone);
    const err = await seen.done;
    // Not toBeInstanceOf(Error): node's errors come from another realm than jest's test context.
    expect(classifyError(err)).toBe('retryable');
    expect(String(err)).toMatch(/aborted|ECONNRESET|closed mid-stream/);
    expect(seen.events).toHaveLength(1);
  });

  it('stays open while the server is quiet and, stopped, calls onDone once without an error', async () => {
    let opened: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const kc = await serve((_req, res) => {
      res.writeHead(200);
      res.write(line('ADDED', 'a'), opened);
    });
    const seen = recorder();
    const stream = await watchStream(kc, '/api/v1/pods', { headersTimeoutMs: 50 }, seen.onEvent, seen.onDone);
    await open;
    // Quiet for longer than the headers timeout: a stream that answered is not timed out.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen.doneCalls).toBe(0);
    stream.stop();
    stream.stop();
    expect(await seen.done).toBeUndefined();
    expect(seen.doneCalls).toBe(1);
  });

  it('gives up when no response arrives within the headers timeout', async () => {
    const kc = await serve(() => undefined);
    const seen = recorder();
    await watchStream(kc, '/api/v1/pods', { headersTimeoutMs: 100 }, seen.onEvent, seen.onDone);
    expect(String(await seen.done)).toContain('no response within 100 ms');
  });
});
