// The real HTTPS fetcher over node:https: certificate validation always on (system roots plus optional extra
// CAs), no redirects, no connection pooling, a body cap, and connect/total timeouts. Never rejects. The same
// exchange also POSTs (createHttpsPoster, for TLS-RPT reports: RFC 8460 §5.4).

import { request, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { HttpsFetchErrorCode, HttpsFetcher, HttpsFetchRequest, HttpsFetchResult } from '../../core/https/types.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;

/** Resolves a host name to one address (tests point every name at 127.0.0.1). */
export type HostLookup = (hostname: string) => Promise<{ address: string; family: 4 | 6 }>;

export interface NodeHttpsFetcherOptions {
  /** Extra trusted CA certificates (PEM), added to Node's root store, never replacing it. */
  extraCa?: readonly (string | Buffer)[];
  /** Host name resolution; default the system resolver. */
  lookup?: HostLookup;
  /** Connect to this port instead of the URL's (tests serving many hosts on one loopback port). */
  portOverride?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
  /** Ceiling on the connect timeout (default DEFAULT_CONNECT_TIMEOUT_MS); a request may ask for less. */
  connectTimeoutMs?: number;
  /** Ceiling on the total timeout (default DEFAULT_TOTAL_TIMEOUT_MS); a request may ask for less. */
  totalTimeoutMs?: number;
}

/** OpenSSL and Node codes that mean "the certificate did not validate" rather than "TLS broke". */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EPIPE', 'ECONNABORTED']);

/** Creates the real HttpsFetcher. Options are checked here; a bad option is a programmer error and throws. */
export function createHttpsFetcher(options: NodeHttpsFetcherOptions = {}): HttpsFetcher {
  const ca = checkedCaList(options, 'createHttpsFetcher');
  return { fetch: (req) => exchange(req, { method: 'GET', accept: 'text/plain', overflow: 'fail' }, options, ca) };
}

/** How one exchange differs between GET and POST. */
export interface ExchangeShape {
  method: 'GET' | 'POST';
  accept: string;
  body?: { contentType: string; data: Uint8Array };
  /** Past maxBodyBytes: `fail` (too-large) or `truncate` (stop reading, keep the status and what was read). */
  overflow: 'fail' | 'truncate';
}

/** Checks the options shared by the fetcher and the poster; returns the CA list (undefined: Node's roots). */
export function checkedCaList(options: NodeHttpsFetcherOptions, who: string): string[] | undefined {
  for (const [name, value] of [['connectTimeoutMs', options.connectTimeoutMs], ['totalTimeoutMs', options.totalTimeoutMs]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${who}: ${name} must be a positive number`);
  }
  return options.extraCa && options.extraCa.length > 0 ? [...rootCertificates, ...options.extraCa.map(String)] : undefined;
}

/** One HTTPS request and its response, never rejecting: every outcome is an HttpsFetchResult. */
export function exchange(req: HttpsFetchRequest, shape: ExchangeShape, options: NodeHttpsFetcherOptions, ca: string[] | undefined): Promise<HttpsFetchResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ kind: 'error', error: 'bad-url', detail: `not a URL: ${req.url}` });
  }
  if (url.protocol !== 'https:') return Promise.resolve({ kind: 'error', error: 'bad-url', detail: `not https: ${req.url}` });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  // The fetcher's own timeouts are ceilings: a request may ask for less, never for more.
  const connectTimeoutMs = Math.min(req.connectTimeoutMs ?? Infinity, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const totalTimeoutMs = Math.min(req.totalTimeoutMs ?? Infinity, options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS);

  return new Promise<HttpsFetchResult>((resolve) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (result: HttpsFetchResult): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(result);
      client.destroy();
    };
    const failWith = (error: HttpsFetchErrorCode, detail: string): void => finish({ kind: 'error', error, detail });
    const onAbort = (): void => failWith('aborted', 'the caller aborted the fetch');

    const lookup = options.lookup;
    const headers: Record<string, string | number> = { accept: shape.accept, 'user-agent': options.userAgent ?? 'mailflow', connection: 'close' };
    if (shape.body) {
      headers['content-type'] = shape.body.contentType;
      headers['content-length'] = shape.body.data.length;
    }
    const requestOptions: RequestOptions = {
      method: shape.method,
      host: hostname,
      servername: hostname,
      port: options.portOverride ?? (url.port === '' ? 443 : Number(url.port)),
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
      ...(lookup ? { lookup: adaptLookup(lookup) } : {}),
    };
    const client = request(requestOptions, (response) => readBody(response, req.maxBodyBytes, shape.overflow, finish, failWith));
    client.on('error', (err: NodeJS.ErrnoException) => {
      const { error, detail } = classify(err);
      failWith(error, detail);
    });
    client.on('socket', (socket) => {
      const connectTimer = setTimeout(() => failWith('timeout', `no TLS connection within ${connectTimeoutMs} ms`), connectTimeoutMs);
      timers.push(connectTimer);
      socket.once('secureConnect', () => clearTimeout(connectTimer));
    });
    timers.push(setTimeout(() => failWith('timeout', `no complete response within ${totalTimeoutMs} ms`), totalTimeoutMs));
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    client.end(shape.body ? Buffer.from(shape.body.data) : undefined);
  });
}

function readBody(
  response: IncomingMessage,
  maxBodyBytes: number,
  overflow: ExchangeShape['overflow'],
  finish: (result: HttpsFetchResult) => void,
  failWith: (error: HttpsFetchErrorCode, detail: string) => void,
): void {
  const declared = response.headers['content-length'];
  if (overflow === 'fail' && declared !== undefined && Number(declared) > maxBodyBytes) {
    failWith('too-large', `Content-Length ${declared} exceeds ${maxBodyBytes} bytes`);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const respond = (): void => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    finish({ kind: 'response', status: response.statusCode ?? 0, headers, body: new Uint8Array(Buffer.concat(chunks)) });
  };
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBodyBytes) {
      if (overflow === 'fail') {
        failWith('too-large', `body exceeds ${maxBodyBytes} bytes`);
        return;
      }
      // The status is the answer; the rest of the body is not read (finish() closes the connection).
      chunks.push(chunk.subarray(0, chunk.length - (size - maxBodyBytes)));
      respond();
      return;
    }
    chunks.push(chunk);
  });
  response.on('end', () => {
    if (!response.complete) {
      failWith('protocol', 'the response was cut short');
      return;
    }
    respond();
  });
  response.on('error', (err: NodeJS.ErrnoException) => failWith('protocol', err.message));
  response.on('aborted', () => failWith('protocol', 'the response was aborted'));
}

function classify(err: NodeJS.ErrnoException): { error: HttpsFetchErrorCode; detail: string } {
  const code = err.code ?? '';
  const detail = `${code ? `${code}: ` : ''}${err.message}`;
  if (CERTIFICATE_ERRORS.has(code) || code.startsWith('ERR_TLS_CERT')) return { error: 'certificate', detail };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return { error: 'dns', detail };
  if (CONNECT_ERRORS.has(code)) return { error: 'connect', detail };
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/i.test(err.message)) return { error: 'tls', detail };
  if (code === 'ETIMEDOUT') return { error: 'timeout', detail };
  return { error: 'protocol', detail };
}

/** Adapts a promise lookup to the callback form net.connect calls (with or without `all`). */
function adaptLookup(lookup: HostLookup): LookupFunction {
  return (
    hostname: string,
    opts: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    lookup(hostname).then(
      ({ address, family }) => (opts.all === true ? callback(null, [{ address, family }]) : callback(null, address, family)),
      (err: unknown) => {
        const error: NodeJS.ErrnoException = new Error(`lookup ${hostname}: ${String(err)}`);
        error.code = 'ENOTFOUND';
        callback(error, '', 4);
      },
    );
  };
}
