// fetchFeed against loopback HTTPS servers whose CA and certificate (for 127.0.0.1 and localhost)
// are made with openssl for this run: what a good, a conditional and a hostile or broken answer
// each become, and that a refused URL or host is refused before any connection.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generatePki } from '../devcluster/pki.js';
import { type FetchFeedOptions, type FetchFeedResult, fetchFeed, hostAllowed } from './fetch.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const FEED = '{"cidr":"1.10.16.0/20","sblid":"SBL256894"}\n{"type":"metadata","records":1}\n';

let dir: string;
let ca: string;
let otherCa: string;
let server: https.Server;
let plain: http.Server;
let port: number;
let plainPort: number;
let handler: Handler;
/** Every request the HTTPS server saw, and every TCP connection it accepted, in this test. */
let seen: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
let connections: number;
let plainRequests: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bulkhead-fetch-'));
  const [pki, other] = await Promise.all([generatePki(path.join(dir, 'server')), generatePki(path.join(dir, 'other'))]);
  [ca, otherCa] = await Promise.all([readFile(pki.ca.cert, 'utf8'), readFile(other.ca.cert, 'utf8')]);
  const [cert, key] = await Promise.all([readFile(pki.serving.cert), readFile(pki.serving.key)]);
  server = https.createServer({ cert, key }, (req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.on('connection', () => connections++);
  plain = http.createServer((_req, res) => {
    plainRequests++;
    res.end(FEED);
  });
  port = await listen(server);
  plainPort = await listen(plain);
});

afterAll(async () => {
  await Promise.all([server, plain].map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  connections = 0;
  plainRequests = 0;
  handler = (_req, res) => res.end(FEED);
});

afterEach(() => {
  // A stalled answer would otherwise hold its socket until the suite ends.
  server.closeAllConnections();
});

async function listen(s: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

const base = (): string => `https://127.0.0.1:${port}`;
const host = (): string => `127.0.0.1:${port}`;

function fetchFrom(pathname: string, more: Partial<FetchFeedOptions> = {}): Promise<FetchFeedResult> {
  return fetchFeed({ url: `${base()}${pathname}`, ca, allowedHosts: ['127.0.0.1'], ...more });
}

/** A failure, with the reason and that its message is one line naming the host. */
function expectFailure(result: FetchFeedResult, reason: string, hostName = host()): string {
  expect(result).toMatchObject({ kind: 'failed', reason });
  const message = result.kind === 'failed' ? result.message : '';
  expect(message.startsWith(`${hostName}: `)).toBe(true);
  expect(message).not.toMatch(/[\r\n]/);
  return message;
}

describe('a good answer', () => {
  it('is the body with its validators and size, fetched with our headers and no conditions', async () => {
    handler = (_req, res) => {
      res.setHeader('ETag', '"v1"');
      res.setHeader('Last-Modified', 'Tue, 01 Dec 2026 05:17:00 GMT');
      res.end(FEED);
    };
    expect(await fetchFrom('/drop_v4.json')).toEqual({
      kind: 'changed',
      body: FEED,
      etag: '"v1"',
      lastModified: 'Tue, 01 Dec 2026 05:17:00 GMT',
      bytes: Buffer.byteLength(FEED),
    });
    expect(seen).toHaveLength(1);
    const headers = seen[0]?.headers ?? {};
    expect(headers['user-agent']).toMatch(/^bulkhead-threatfeed(\/\d+\.\d+\.\d+.*)?$/);
    expect(headers['accept-encoding']).toBe('gzip');
    expect([headers['if-none-match'], headers['if-modified-since']]).toEqual([undefined, undefined]);
  });

  it('leaves out validators the server does not send', async () => {
    expect(await fetchFrom('/')).toEqual({ kind: 'changed', body: FEED, bytes: Buffer.byteLength(FEED) });
  });

  it('is read as UTF-8', async () => {
    const doc = '# Réseau ☃\n1.10.16.0/20\n';
    handler = (_req, res) => res.end(Buffer.from(doc, 'utf8'));
    expect(await fetchFrom('/')).toMatchObject({ kind: 'changed', body: doc, bytes: Buffer.byteLength(doc) });
  });

  it('is fetched from a host allowed by name and port, or by name on its default port', async () => {
    expect(await fetchFrom('/', { allowedHosts: ['LOCALHOST', host()], url: `https://localhost:${port}/` })).toMatchObject({ kind: 'changed' });
    expect(await fetchFrom('/', { allowedHosts: [host()] })).toMatchObject({ kind: 'changed' });
  });
});

describe('a conditional request', () => {
  it('sends the validators and takes 304 as not modified', async () => {
    handler = (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
      res.setHeader('ETag', '"v2"');
      res.end(FEED);
    };
    const lastModified = 'Tue, 01 Dec 2026 05:17:00 GMT';
    expect(await fetchFrom('/', { etag: '"v1"', lastModified })).toEqual({ kind: 'notModified' });
    expect(seen[0]?.headers['if-modified-since']).toBe(lastModified);
    expect(await fetchFrom('/', { etag: '"v0"' })).toMatchObject({ kind: 'changed', etag: '"v2"' });
  });

  it('refuses a 304 to a request without validators: there is nothing it could leave unchanged', async () => {
    handler = (_req, res) => void res.writeHead(304).end();
    expect(expectFailure(await fetchFrom('/'), 'HTTPStatus')).toContain('304');
  });
});

describe('TLS', () => {
  it('refuses a server whose CA is not the one given, or not a system CA', async () => {
    expect(expectFailure(await fetchFrom('/', { ca: otherCa }), 'TLS')).toBe(`${host()}: TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`);
    expectFailure(await fetchFrom('/', { ca: undefined }), 'TLS');
    expect(seen).toEqual([]);
  });

  it('refuses a CA bundle it cannot read, before any connection', async () => {
    expect(expectFailure(await fetchFrom('/', { ca: 'not a certificate' }), 'TLS')).toContain('the CA bundle holds no PEM certificate');
    const broken = `${ca}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`;
    expect(expectFailure(await fetchFrom('/', { ca: broken }), 'TLS')).toContain('certificate 2 of the CA bundle does not parse');
    expect(connections).toBe(0);
  });

  it('takes a bundle of several CAs', async () => {
    expect(await fetchFrom('/', { ca: `${otherCa}\n${ca}` })).toMatchObject({ kind: 'changed' });
  });
});

describe('refused before any connection', () => {
  it.each([
    ['a host not listed', ['localhost', '127.0.0.2']],
    ['the host on another port', [`127.0.0.1:${443}`]],
    ['an empty list', []],
  ])('%s', async (_what, allowedHosts) => {
    expect(expectFailure(await fetchFrom('/', { allowedHosts }), 'HostNotAllowed')).toContain('not among the allowed feed hosts');
    expect(connections).toBe(0);
  });

  it.each([
    'http://127.0.0.1/feed',
    'ftp://127.0.0.1/feed',
    'https://user:pw@127.0.0.1/feed',
    'https://[::1]/feed',
    'https://127.0.0.1:99999/feed',
    'https://127.0.0.1/a b',
    'not a url',
    '',
  ])('an invalid URL: %j', async (url) => {
    const result = await fetchFeed({ url, ca, allowedHosts: ['127.0.0.1'] });
    expect(result).toMatchObject({ kind: 'failed', reason: 'InvalidURL', message: expect.stringContaining('not an https:// URL') });
    expect(connections).toBe(0);
  });
});

describe('allowedHosts', () => {
  const url = (text: string): URL => new URL(text);
  it.each([
    ['https://127.0.0.1:8443/x', ['127.0.0.1'], true],
    ['https://127.0.0.1:8443/x', ['127.0.0.1:8443'], true],
    ['https://127.0.0.1:8443/x', ['127.0.0.1:9443'], false],
    ['https://127.0.0.1/x', ['127.0.0.1:443'], true],
    ['https://127.0.0.1/x', ['127.0.0.1:8443'], false],
    ['https://WWW.Spamhaus.org/drop/drop_v4.json', ['www.spamhaus.ORG'], true],
    ['https://www.spamhaus.org/', ['spamhaus.org'], false],
    ['https://spamhaus.org.evil.example/', ['spamhaus.org'], false],
    ['https://www.spamhaus.org/', [' www.spamhaus.org '], true],
    ['https://www.spamhaus.org/', [], false],
  ] as const)('%s with %j: %s', (text, allowed, expected) => {
    expect(hostAllowed(url(text), allowed)).toBe(expected);
  });
});

describe('a server too slow', () => {
  it('times out when it sends no answer, or stalls in the body', async () => {
    handler = () => undefined;
    const started = Date.now();
    expect(expectFailure(await fetchFrom('/', { timeoutMs: 200 }), 'Timeout')).toContain('no complete response within 0.2 s');
    handler = (_req, res) => res.write('1.10.16.0/20\n');
    expectFailure(await fetchFrom('/', { timeoutMs: 200 }), 'Timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('is given up when the caller aborts', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = fetchFrom('/', { signal: controller.signal });
    await until(() => seen.length === 1);
    controller.abort();
    expectFailure(await pending, 'Aborted');
    expectFailure(await fetchFrom('/', { signal: controller.signal }), 'Aborted');
  });
});

describe('a body too large', () => {
  it('is stopped as soon as it passes the cap, not read to its end', async () => {
    const chunk = Buffer.alloc(16 * 1024, '1');
    const total = 64 * 1024 * 1024;
    let written = 0;
    const closed = new Promise<void>((resolve) => {
      handler = (_req, res) => {
        res.on('close', resolve);
        const pump = (): void => {
          while (written < total && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      };
    });
    expect(expectFailure(await fetchFrom('/', { maxBytes: 64 * 1024 }), 'TooLarge')).toContain('larger than 65536 bytes');
    await closed;
    // What the socket buffers took before the client hung up, far from the whole body.
    expect(written).toBeLessThan(total / 4);
  });

  it('is refused on its Content-Length', async () => {
    handler = (_req, res) => {
      res.setHeader('Content-Length', String(1024 * 1024));
      res.write('1.10.16.0/20\n');
    };
    expectFailure(await fetchFrom('/', { maxBytes: 1024 }), 'TooLarge');
  });

  it('is measured decoded: a small gzip of a large body is too large', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, '\n'));
    expect(bomb.length).toBeLessThan(100 * 1024);
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(bomb);
    expectFailure(await fetchFrom('/', { maxBytes: 1024 * 1024 }), 'TooLarge');
  });

  it('is taken up to the cap itself', async () => {
    expect(await fetchFrom('/', { maxBytes: Buffer.byteLength(FEED) })).toMatchObject({ kind: 'changed', body: FEED });
  });
});

describe('an answer that would empty the blocklist', () => {
  it.each([
    ['an empty body', (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end()],
    ['only whitespace', (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end(' \r\n\t\n')],
    ['204 No Content', (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.writeHead(204).end()],
  ])('is refused: %s', async (_what, answer) => {
    handler = answer;
    expect(expectFailure(await fetchFrom('/'), 'EmptyBody')).toContain('the blocklist in force is kept');
  });

  it('is refused when cut short', async () => {
    handler = (req, res) => {
      res.setHeader('Content-Length', '1000');
      res.write('1.10.16.0/20\n', () => req.socket.destroy());
    };
    expectFailure(await fetchFrom('/'), 'Network');
  });
});

describe('an error status', () => {
  it.each([500, 404, 206])('is refused with its code: %d, without the body', async (status) => {
    handler = (_req, res) => res.writeHead(status, 'Whatever The Server Says').end('<html>stack trace</html>');
    const message = expectFailure(await fetchFrom('/'), 'HTTPStatus');
    expect(message).toContain(`HTTP ${status} ${http.STATUS_CODES[status] ?? ''}`);
    expect(message).not.toContain('stack trace');
    expect(message).not.toContain('Whatever');
  });
});

describe('redirects', () => {
  const redirecting = (routes: Record<string, string>): Handler => (req, res) => {
    const location = routes[req.url ?? ''];
    if (location === undefined) return void res.end(FEED);
    res.writeHead(302, { Location: location }).end();
  };
  const paths = (): string[] => seen.map((s) => s.url);

  it('are followed to an allowed host, absolute or relative, up to three', async () => {
    handler = redirecting({ '/1': `https://localhost:${port}/2`, '/2': '/3', '/3': '4' });
    const allowedHosts = ['127.0.0.1', 'localhost'];
    expect(await fetchFrom('/1', { allowedHosts })).toMatchObject({ kind: 'changed', body: FEED });
    expect(paths()).toEqual(['/1', '/2', '/3', '/4']);
    expect(seen.map((s) => s.headers.host)).toEqual([host(), `localhost:${port}`, `localhost:${port}`, `localhost:${port}`]);
  });

  it('carry the validators to the next request', async () => {
    handler = redirecting({ '/old': '/new' });
    await fetchFrom('/old', { etag: '"v1"' });
    expect(seen.map((s) => s.headers['if-none-match'])).toEqual(['"v1"', '"v1"']);
  });

  it('are refused past three', async () => {
    handler = redirecting({ '/1': '/2', '/2': '/3', '/3': '/4', '/4': '/5' });
    expect(expectFailure(await fetchFrom('/1'), 'Redirect')).toContain('more than 3 redirects');
    expect(paths()).toEqual(['/1', '/2', '/3', '/4']);
  });

  it('are refused to a host not allowed, naming it, without going there', async () => {
    handler = redirecting({ '/1': `https://localhost:${port}/2` });
    const message = expectFailure(await fetchFrom('/1'), 'Redirect');
    expect(message).toContain(`redirected to "https://localhost:${port}/2": the host is not among the allowed feed hosts`);
    expect(paths()).toEqual(['/1']);
  });

  it('are refused to http, even to an allowed host', async () => {
    handler = redirecting({ '/1': `http://127.0.0.1:${plainPort}/feed` });
    expect(expectFailure(await fetchFrom('/1'), 'Redirect')).toContain(`redirected to "http://127.0.0.1:${plainPort}/feed": not https`);
    expect(plainRequests).toBe(0);
  });

  it('are refused to a URL a feed may not have', async () => {
    handler = redirecting({ '/1': `https://user@127.0.0.1:${port}/2` });
    expect(expectFailure(await fetchFrom('/1'), 'Redirect')).toContain('not an https:// URL a feed may have');
    expect(paths()).toEqual(['/1']);
  });
});

describe('gzip', () => {
  it('is asked for and decoded', async () => {
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip', ETag: '"z"' }).end(gzipSync(FEED));
    expect(await fetchFrom('/')).toEqual({ kind: 'changed', body: FEED, etag: '"z"', bytes: Buffer.byteLength(FEED) });
  });

  it('is refused when corrupt or cut short', async () => {
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(Buffer.from('not gzip at all'));
    expect(expectFailure(await fetchFrom('/'), 'Encoding')).toContain('the gzip body does not decode');
    const whole = gzipSync(FEED);
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(whole.subarray(0, whole.length - 8));
    expectFailure(await fetchFrom('/'), 'Encoding');
  });

  it('is the only encoding taken', async () => {
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'br' }).end('xx');
    expect(expectFailure(await fetchFrom('/'), 'Encoding')).toContain('unsupported Content-Encoding "br"');
  });
});

/** Polls a condition with a deadline, instead of sleeping for a fixed time. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
