// A real HTTPS server for tests on 127.0.0.1 (OS-chosen port): one certificate per host name chosen by SNI,
// and one scripted answer per host (status, Content-Type, body, chunked or not, delays, redirects), so the
// real HttpsFetcher can be tested over TLS. Records every request. stop() closes every connection.

import { createServer, type Server } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface TestHttpsRoute {
  status?: number;
  /** Content-Type header; null sends none. Default text/plain. */
  contentType?: string | null;
  body?: string | Buffer;
  /** Send without Content-Length (chunked transfer encoding). */
  chunked?: boolean;
  /** Extra headers (e.g. Location). */
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Send the headers, then never finish the body. */
  stallBody?: boolean;
}

export interface TestHttpsHost {
  certPem: string;
  keyPem: string;
  /** Intermediate certificates sent after the leaf. */
  chainPem?: string;
}

export class TestHttpsServer {
  /** Every request: the SNI/Host host name and the path. */
  readonly requests: { host: string; path: string }[] = [];
  readonly routes = new Map<string, TestHttpsRoute | ((req: IncomingMessage, res: ServerResponse) => void)>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /**
   * Starts a server. `hosts` maps a host name to its certificate; `fallback` is served to any other name (and
   * to clients without SNI).
   */
  static async start(hosts: Record<string, TestHttpsHost>, fallback: TestHttpsHost): Promise<TestHttpsServer> {
    const contexts = new Map<string, SecureContext>();
    const context = (h: TestHttpsHost): SecureContext => createSecureContext({ key: h.keyPem, cert: h.chainPem ? `${h.certPem}${h.chainPem}` : h.certPem });
    for (const [name, host] of Object.entries(hosts)) contexts.set(name.toLowerCase(), context(host));
    const server = createServer({
      key: fallback.keyPem,
      cert: fallback.certPem,
      SNICallback: (servername, callback) => callback(null, contexts.get(servername.toLowerCase()) ?? context(fallback)),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const instance = new TestHttpsServer(server, port);
    server.on('connection', (socket: Socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined); // Clients that refuse our certificate are part of the tests.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => instance.handle(req, res));
    return instance;
  }

  /** Closes the server and every open connection. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    this.requests.push({ host, path: req.url ?? '' });
    const route = this.routes.get(host);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no route\n');
      return;
    }
    if (typeof route === 'function') {
      route(req, res);
      return;
    }
    const answer = (): void => {
      const body = typeof route.body === 'string' ? Buffer.from(route.body) : (route.body ?? Buffer.alloc(0));
      const headers: Record<string, string | number> = { ...route.headers };
      if (route.contentType !== null) headers['content-type'] = route.contentType ?? 'text/plain';
      if (!route.chunked && !route.stallBody) headers['content-length'] = body.length;
      res.writeHead(route.status ?? 200, headers);
      if (route.stallBody) {
        res.write(body.subarray(0, Math.min(10, body.length)));
        return;
      }
      if (route.chunked) {
        for (let i = 0; i < body.length; i += 4096) res.write(body.subarray(i, i + 4096));
        res.end();
      } else res.end(body);
    };
    if (route.delayMs) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, route.delayMs);
      this.timers.add(timer);
    } else answer();
  }
}
