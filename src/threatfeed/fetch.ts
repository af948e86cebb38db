// The HTTPS fetcher of threat feeds: one GET of a feed URL, conditional on the validators of the
// last good fetch, to a result the controller turns into a status condition. A feed decides which
// networks every AIWorkload in its scope can reach, so the fetcher trusts the network as little as
// it can:
// - https only, certificate verification always on; a CA bundle given replaces the system CAs;
// - only hosts on an allow-list, checked before any connection and again for every redirect
//   (at most MAX_REDIRECTS, never to http);
// - one deadline for the whole fetch, redirects and body included, and a cap on the decoded body
//   that aborts the transfer as soon as it is exceeded, so a hostile or broken server costs at
//   most the cap in memory and the timeout in time;
// - a 2xx with an empty body is a failure: a feed server that answers nothing must never empty
//   the blocklist in force.
// Nothing here throws: every failure is a result with a reason and a one-line message naming the
// host, which never quotes the response body.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from 'node:http';
import * as https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { HTTPS_URL } from '../api/threatfeed.js';

/** The whole fetch, redirects and body included. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** The decoded body: Spamhaus DROP is about 100 KiB and FireHOL level 1 under 1 MiB. */
export const DEFAULT_MAX_FEED_BYTES = 8 * 1024 * 1024;
/** Redirects followed; one more is a failure. */
export const MAX_REDIRECTS = 3;

export interface FetchFeedOptions {
  /** The feed URL: https:// only, in the form HTTPS_URL (src/api/threatfeed.ts) takes. */
  url: string;
  /** A PEM bundle of the CAs to verify the server with, instead of the system CAs. */
  ca?: string | undefined;
  /**
   * Host names (case-insensitive) the fetch may connect to, each either `host` (any port) or
   * `host:port` (that port only; 443 is the port of a URL without one). Empty: none.
   */
  allowedHosts: readonly string[];
  /** @default DEFAULT_FETCH_TIMEOUT_MS */
  timeoutMs?: number;
  /** Cap on the decoded body in bytes. @default DEFAULT_MAX_FEED_BYTES */
  maxBytes?: number;
  /** The ETag of the last good fetch, sent as If-None-Match. */
  etag?: string | undefined;
  /** The Last-Modified of the last good fetch, sent as If-Modified-Since. */
  lastModified?: string | undefined;
  /** Aborts the fetch (reason 'Aborted'), as on shutdown. */
  signal?: AbortSignal;
}

export type FetchFeedResult =
  | { kind: 'changed'; body: string; etag?: string; lastModified?: string; bytes: number }
  | { kind: 'notModified' }
  | { kind: 'failed'; reason: FetchFailure; message: string };

/** Why a fetch failed: the reason of the status condition. 'Aborted': the caller's signal fired. */
export type FetchFailure =
  | 'InvalidURL'
  | 'HostNotAllowed'
  | 'Timeout'
  | 'TooLarge'
  | 'HTTPStatus'
  | 'TLS'
  | 'Network'
  | 'EmptyBody'
  | 'Redirect'
  | 'Encoding'
  | 'Aborted';

type Failed = Extract<FetchFeedResult, { kind: 'failed' }>;
/** What one request gives: a result, or where to go next. */
type Step = FetchFeedResult | { kind: 'redirect'; location: string };

interface Request {
  url: URL;
  opts: FetchFeedOptions;
  deadline: Deadline;
  maxBytes: number;
}

/** Fetches a feed; never throws. */
export async function fetchFeed(opts: FetchFeedOptions): Promise<FetchFeedResult> {
  const url = feedUrl(opts.url);
  if (typeof url === 'string') return { kind: 'failed', reason: 'InvalidURL', message: url };
  if (!hostAllowed(url, opts.allowedHosts)) return failed('HostNotAllowed', url, 'the host is not among the allowed feed hosts');
  const badCa = opts.ca === undefined ? undefined : caBundleProblem(opts.ca);
  if (badCa !== undefined) return failed('TLS', url, badCa);
  const deadline = new Deadline(opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS, opts.signal);
  try {
    return await follow({ url, opts, deadline, maxBytes: opts.maxBytes ?? DEFAULT_MAX_FEED_BYTES });
  } catch (err) {
    // Not expected: every known failure is a result already; this keeps the promise of no throw.
    return failed('Network', url, errorText(err));
  } finally {
    deadline.clear();
  }
}

/** The URL when it is one a feed may have; otherwise why not. */
function feedUrl(text: string): URL | string {
  const why = `not an https:// URL with a host (no user information, no IPv6 literal): ${quoteShort(text)}`;
  if (!HTTPS_URL.test(text)) return why;
  try {
    return new URL(text);
  } catch {
    return why;
  }
}

/** Whether the URL's host, and port, are on the allow-list (see FetchFeedOptions.allowedHosts). */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port === '' ? '443' : url.port;
  return allowedHosts.some((entry) => {
    const [name, entryPort] = splitHostPort(entry.trim().toLowerCase());
    return name === host && (entryPort === undefined || entryPort === port);
  });
}

function splitHostPort(entry: string): [string, string | undefined] {
  const colon = entry.lastIndexOf(':');
  return colon < 0 ? [entry, undefined] : [entry.slice(0, colon), entry.slice(colon + 1)];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Why a CA bundle cannot be used; undefined when it can. Node skips what it cannot read in `ca`
 * without a word, so a broken bundle would only show as every server failing verification.
 */
function caBundleProblem(ca: string): string | undefined {
  const blocks = ca.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'the CA bundle holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  const unreadable = blocks.findIndex((block) => !parses(block));
  return unreadable < 0 ? undefined : `certificate ${unreadable + 1} of the CA bundle does not parse`;
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

async function follow(first: Request): Promise<FetchFeedResult> {
  let request = first;
  for (let redirects = 0; ; redirects++) {
    const step = await requestOnce(request);
    if (step.kind !== 'redirect') return step;
    if (redirects === MAX_REDIRECTS) return failed('Redirect', request.url, `more than ${MAX_REDIRECTS} redirects`);
    const next = redirectTarget(request.url, step.location, request.opts.allowedHosts);
    if (typeof next === 'string') return failed('Redirect', request.url, next);
    request = { ...request, url: next };
  }
}

/** The next URL of a redirect, when it may be followed; otherwise why not, naming the target. */
function redirectTarget(from: URL, location: string, allowedHosts: readonly string[]): URL | string {
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    return `redirected to ${quoteShort(location)}, which is not a URL`;
  }
  const named = `redirected to ${quoteShort(target.href)}`;
  if (target.protocol !== 'https:') return `${named}: not https`;
  if (typeof feedUrl(target.href) === 'string') return `${named}: not an https:// URL a feed may have`;
  if (!hostAllowed(target, allowedHosts)) return `${named}: the host is not among the allowed feed hosts`;
  return target;
}

async function requestOnce(request: Request): Promise<Step> {
  let res: IncomingMessage;
  try {
    res = await send(request);
  } catch (err) {
    return transportFailure(err, request);
  }
  try {
    return await answer(res, request);
  } finally {
    res.destroy();
  }
}

/** Sends the GET; resolves with the response head, rejects on a connection, TLS or abort error. */
function send({ url, opts, deadline }: Request): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'GET',
      headers: requestHeaders(opts),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      rejectUnauthorized: true,
      // One connection per fetch, closed after it: fetches are minutes apart, and a pooled socket
      // would outlive a CA bundle that changed.
      agent: false,
      signal: deadline.signal,
    });
    // Kept for the life of the request: an error after the response head (an abort mid-body)
    // reaches the body reader through the response, and must not go unhandled here.
    req.on('error', reject);
    req.once('response', resolve);
    req.end();
  });
}

function requestHeaders(opts: FetchFeedOptions): Record<string, string> {
  return {
    'User-Agent': userAgent(),
    Accept: '*/*',
    'Accept-Encoding': 'gzip',
    ...(opts.etag !== undefined ? { 'If-None-Match': opts.etag } : {}),
    ...(opts.lastModified !== undefined ? { 'If-Modified-Since': opts.lastModified } : {}),
  };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What a response head says: a redirect, not modified, a status failure, or a body to read. */
async function answer(res: IncomingMessage, request: Request): Promise<Step> {
  const status = res.statusCode ?? 0;
  const location = res.headers.location;
  if (REDIRECT_STATUSES.has(status) && location !== undefined) return { kind: 'redirect', location };
  if (status === 304 && conditional(request.opts)) return { kind: 'notModified' };
  // 206 too: no Range was sent, and a partial feed would drop the networks it leaves out.
  if (status < 200 || status > 299 || status === 206) return failed('HTTPStatus', request.url, `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim());
  return readBody(res, request);
}

/** A 304 to a request without validators has nothing to be "not modified" from. */
const conditional = (opts: FetchFeedOptions): boolean => opts.etag !== undefined || opts.lastModified !== undefined;

/** Signals the cap on the decoded body was exceeded; caught by readBody. */
class TooLarge extends Error {}

async function readBody(res: IncomingMessage, request: Request): Promise<FetchFeedResult> {
  const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzip && encoding !== 'identity') return failed('Encoding', request.url, `unsupported Content-Encoding ${quoteShort(encoding)} (only gzip was accepted)`);
  if (!gzip && Number(res.headers['content-length'] ?? 0) > request.maxBytes) return tooLarge(request);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const collect = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > request.maxBytes) throw new TooLarge();
      chunks.push(chunk);
    }
  };
  try {
    await (gzip ? pipeline(res, createGunzip(), collect) : pipeline(res, collect));
  } catch (err) {
    return bodyFailure(err, request);
  }
  return changed(Buffer.concat(chunks, bytes), res.headers, request.url);
}

function changed(raw: Buffer, headers: IncomingHttpHeaders, url: URL): FetchFeedResult {
  // Lenient UTF-8: networks are ASCII, and a stray byte in a comment must not cost the whole feed.
  const body = raw.toString('utf8');
  if (body.trim() === '') return failed('EmptyBody', url, `the server answered ${raw.length === 0 ? 'an empty body' : 'only whitespace'}: the blocklist in force is kept`);
  const etag = headers.etag;
  const lastModified = headers['last-modified'];
  return { kind: 'changed', body, bytes: raw.length, ...(etag !== undefined ? { etag } : {}), ...(lastModified !== undefined ? { lastModified } : {}) };
}

function bodyFailure(err: unknown, request: Request): Failed {
  if (err instanceof TooLarge) return tooLarge(request);
  if (request.deadline.signal.aborted) return request.deadline.failure(request.url);
  if (isZlibError(err)) return failed('Encoding', request.url, `the gzip body does not decode: ${errorText(err)}`);
  return failed('Network', request.url, `the body was cut short: ${errorText(err)}`);
}

const tooLarge = ({ url, maxBytes }: Request): Failed => failed('TooLarge', url, `the body is larger than ${maxBytes} bytes; the transfer was stopped`);

const isZlibError = (err: unknown): boolean => /^Z_/.test(codeOf(err) ?? '');

// TLS failures: Node's own (ERR_TLS_*, ERR_SSL_*, ERR_OSSL_*) and OpenSSL's certificate
// verification codes (UNABLE_TO_GET_ISSUER_CERT_LOCALLY, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, …).
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH)/;

function transportFailure(err: unknown, request: Request): Failed {
  if (request.deadline.signal.aborted) return request.deadline.failure(request.url);
  const code = codeOf(err) ?? '';
  if (TLS_CODE.test(code)) return failed('TLS', request.url, `TLS: ${errorText(err)}`);
  return failed('Network', request.url, errorText(err));
}

/**
 * One deadline for the whole fetch, and the caller's signal, as one AbortSignal for every request;
 * it remembers which of the two fired, for the reason.
 */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private cause: 'Timeout' | 'Aborted' | undefined;
  private readonly onOuterAbort = (): void => this.abort('Aborted');

  constructor(
    private readonly timeoutMs: number,
    private readonly outer: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => this.abort('Timeout'), timeoutMs);
    if (outer?.aborted === true) this.abort('Aborted');
    outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  failure(url: URL): Failed {
    if (this.cause === 'Aborted') return failed('Aborted', url, 'the fetch was aborted');
    return failed('Timeout', url, `no complete response within ${this.timeoutMs / 1000} s`);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  private abort(cause: 'Timeout' | 'Aborted'): void {
    if (this.cause !== undefined) return;
    this.cause = cause;
    this.controller.abort();
  }
}

const MESSAGE_LENGTH = 300;

/** A failure whose message names the host, on one line and of bounded length, for a condition. */
function failed(reason: FetchFailure, url: URL, what: string): Failed {
  const message = `${url.host}: ${oneLine(what)}`;
  return { kind: 'failed', reason, message: message.length > MESSAGE_LENGTH ? `${message.slice(0, MESSAGE_LENGTH - 1)}…` : message };
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Text from elsewhere (a URL, a header), quoted and cut to a few dozen characters. */
function quoteShort(text: string): string {
  const line = oneLine(text);
  return JSON.stringify(line.length > 100 ? `${line.slice(0, 99)}…` : line);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Node's hint to run with --use-system-ca is advice to whoever runs node, not to a feed's owner.
const NODE_CA_HINT = /; if the root CA is installed locally.*$/;

function errorText(err: unknown): string {
  // Duck-typed: an error of another realm (a VM context, as under jest) is no `instanceof Error`.
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message.replace(NODE_CA_HINT, '') : String(err);
  const code = codeOf(err);
  return code !== undefined && !text.includes(code) ? `${text} (${code})` : text;
}

let cachedUserAgent: string | undefined;

/** bulkhead-threatfeed/<version>, the version from package.json two levels up (src/ and dist/ alike). */
function userAgent(): string {
  cachedUserAgent ??= `bulkhead-threatfeed${packageVersion()}`;
  return cachedUserAgent;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? `/${pkg.version}` : '';
  } catch {
    return '';
  }
}
