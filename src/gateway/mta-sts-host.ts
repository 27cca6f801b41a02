// Hosting our own MTA-STS policy (RFC 8461 §3.2): an HTTPS listener answering
// `GET https://mta-sts.<domain>/.well-known/mta-sts.txt` for each accepted domain with the policy text, using
// the gateway's certificates (the one whose names cover `mta-sts.<domain>`, chosen by SNI). Anything else
// gets 404 (405 for other methods); there are no redirects (RFC 8461 §3.3 forbids following them). The
// `_mta-sts` TXT record to publish carries an id derived from the policy text, so it changes exactly when
// the policy does.

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { SecureContext } from 'node:tls';
import { generateMtaStsPolicy, generateMtaStsRecord } from '../transport/mta-sts/generate.js';
import type { MtaStsMode } from '../transport/mta-sts/types.js';

export const MTA_STS_PATH = '/.well-known/mta-sts.txt';

export interface MtaStsHostingSettings {
  host: string;
  port: number;
  mode: MtaStsMode;
  /** MX patterns for the policy (host names or `*.domain`). */
  mx: string[];
  maxAgeSeconds: number;
}

export interface MtaStsHosting {
  /** The policy file served. */
  policy: string;
  /** `v=STSv1; id=…` to publish at `_mta-sts.<domain>` for every domain. */
  record: string;
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** The policy text and its TXT record; throws a TypeError naming the setting when the policy is invalid. */
export function mtaStsPolicyAndRecord(settings: Pick<MtaStsHostingSettings, 'mode' | 'mx' | 'maxAgeSeconds'>): { policy: string; record: string } {
  const policy = generateMtaStsPolicy({ mode: settings.mode, mx: settings.mx, maxAge: settings.maxAgeSeconds });
  if (!policy.ok) throw new TypeError(`mtaStsHosting.${policy.error.field === 'maxAge' ? 'maxAgeSeconds' : policy.error.field}: ${policy.error.message}`);
  const id = createHash('sha256').update(policy.value).digest('hex').slice(0, 20);
  const record = generateMtaStsRecord({ id });
  if (!record.ok) throw new TypeError(`mtaStsHosting: ${record.error.message}`);
  return { policy: policy.value, record: record.value };
}

/** Starts the HTTPS listener for `domains` (accepted domains, lower case). */
export async function startMtaStsHosting(
  settings: MtaStsHostingSettings,
  domains: readonly string[],
  tls: { key: string; cert: string; contextFor?: (servername: string) => SecureContext },
): Promise<MtaStsHosting> {
  const { policy, record } = mtaStsPolicyAndRecord(settings);
  const hosts = new Set(domains.map((d) => `mta-sts.${d.toLowerCase()}`));
  const contextFor = tls.contextFor;
  const server: Server = createServer(
    {
      // The default certificate without SNI; with SNI the one whose names cover mta-sts.<domain>.
      key: tls.key,
      cert: tls.cert,
      ...(contextFor === undefined ? {} : { SNICallback: (name: string, done: (error: Error | null, context?: SecureContext) => void) => done(null, contextFor(name)) }),
      minVersion: 'TLSv1.2',
    },
    (request, response) => {
      const host = (request.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
      const path = (request.url ?? '').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      } else if (path !== MTA_STS_PATH || !hosts.has(host)) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      } else {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(policy), 'cache-control': 'max-age=300' });
        response.end(request.method === 'HEAD' ? undefined : policy);
      }
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : { host: settings.host, port: settings.port };
  return {
    policy,
    record,
    address,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
