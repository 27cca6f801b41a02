// The listeners: a TCP server per configured listener (inbound MX, submission with STARTTLS, implicit TLS),
// connection limits per client IP and in total (421 at connect), and graceful shutdown. Start them with
// `startSmtpGateway(config, { sink })`.

import { createServer, type Server, type Socket } from 'node:net';
import type { GatewayConfig } from '../config-types.js';
import { SmtpConnection, normalizeIp } from './connection.js';
import { parseProxyHeader, PROXY_V1_MAX_BYTES, PROXY_V2_MAX_BYTES, type ProxyHeaderResult } from './framing/proxy-header.js';
import { networkContains, parseIp } from '../../auth/spf/ip.js';
import { formatReply, Replies } from './reply.js';
import { createGatewayRuntime, resolveListener, type GatewayDeps, type GatewayRuntime, type ResolvedListener } from './runtime.js';
import { publish } from './events.js';

/** How long `close()` lets sessions finish before it drops them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export class SmtpListener {
  readonly listener: ResolvedListener;
  private readonly server: Server;
  private readonly connections = new Set<SmtpConnection>();
  private readonly perIp = new Map<string, number>();
  private closing = false;

  constructor(
    listener: ResolvedListener,
    private readonly runtime: GatewayRuntime,
  ) {
    this.listener = listener;
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  /** Binds the port; resolves with the bound address (port 0 picks one). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listener.port, this.listener.host, () => {
        this.server.removeListener('error', reject);
        resolve(this.address);
      });
    });
  }

  get address(): { host: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') return { host: this.listener.host, port: this.listener.port };
    return { host: a.address, port: a.port };
  }

  /** Sessions open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const proxy = this.listener.proxyProtocol;
    if (proxy === undefined) {
      this.admit(socket, { ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 }, false);
      return;
    }
    // Behind a proxy: only trusted proxies may connect, and the first bytes must name the real client.
    const peer = normalizeIp(socket.remoteAddress ?? '');
    const peerAddress = parseIp(peer);
    if (peerAddress === undefined || !proxy.trusted.some((net) => networkContains(net, peerAddress))) {
      publish({ type: 'refused', listener: this.listener.name, ip: peer, reason: 'proxy-untrusted' });
      socket.destroy();
      return;
    }
    void readProxyHeader(socket, proxy.timeoutMs).then((header) => {
      if (header.kind === 'error') {
        publish({ type: 'refused', listener: this.listener.name, ip: peer, reason: 'proxy-header', detail: header.reason });
        socket.destroy();
        return;
      }
      this.admit(socket, header.client ?? { ip: peer, port: socket.remotePort ?? 0 }, true);
    });
  }

  /** Takes a connection from `client` (the peer, or the client a trusted proxy named) into a session. */
  private admit(socket: Socket, client: { ip: string; port: number }, proxied: boolean): void {
    const ip = normalizeIp(client.ip);
    const limits = this.runtime.limits;
    const refuse = (reason: 'per-ip' | 'total' | 'shutting-down') => {
      publish({ type: 'refused', listener: this.listener.name, ip, reason });
      const reply = reason === 'per-ip' ? Replies.tooManyConnectionsFromIp() : reason === 'total' ? Replies.tooManyConnections() : Replies.shuttingDown();
      // On an implicit-TLS port a plaintext 421 would be noise: just close.
      if (this.listener.tls === 'implicit') socket.destroy();
      else socket.end(formatReply(reply));
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    if (this.closing) return refuse('shutting-down');
    if (this.connections.size >= limits.maxConnections) return refuse('total');
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= limits.maxConnectionsPerIp) return refuse('per-ip');
    this.perIp.set(ip, fromIp + 1);
    const connection = new SmtpConnection(socket, this.runtime, this.listener, proxied ? { ip, port: client.port } : undefined);
    this.connections.add(connection);
    publish({ type: 'connect', listener: this.listener.name, ip, port: client.port, ...(proxied ? { via: normalizeIp(socket.remoteAddress ?? '') } : {}) });
    void connection.closed.then(() => {
      this.connections.delete(connection);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    });
    connection.start();
    // readProxyHeader paused the socket (and put back what followed the header).
    if (proxied) socket.resume();
  }

  /**
   * Stops accepting, asks every session to end (421 once its current command or message is done), and drops
   * those still open after `graceMs`. Resolves when all are closed.
   */
  async close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.shutdown();
    const all = Promise.all([...this.connections].map((c) => c.closed));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of this.connections) c.destroy();
        resolve();
      }, graceMs);
    });
    await Promise.race([all, timeout]);
    clearTimeout(timer);
    for (const c of this.connections) c.destroy();
    await Promise.all([...this.connections].map((c) => c.closed));
    await stopped;
  }
}

export interface SmtpGateway {
  runtime: GatewayRuntime;
  listeners: SmtpListener[];
  /** The listener with this name (default names are the roles). */
  listener(name: string): SmtpListener;
  close(graceMs?: number): Promise<void>;
}

/**
 * Compiles the config and starts every listener in it. Throws a TypeError naming the bad setting, or the
 * listen error (EADDRINUSE, EACCES) after closing the listeners already started.
 */
export async function startSmtpGateway(config: GatewayConfig, deps: GatewayDeps): Promise<SmtpGateway> {
  const runtime = createGatewayRuntime(config, deps);
  const resolved = config.listeners.map((l) => resolveListener(l, runtime));
  const names = new Set<string>();
  for (const l of resolved) {
    if (names.has(l.name)) throw new TypeError(`listeners: duplicate name ${l.name} (give each listener a name)`);
    names.add(l.name);
  }
  const listeners: SmtpListener[] = [];
  try {
    for (const l of resolved) {
      const listener = new SmtpListener(l, runtime);
      await listener.listen();
      listeners.push(listener);
    }
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close(0)));
    throw error;
  }
  return {
    runtime,
    listeners,
    listener(name: string) {
      const found = listeners.find((l) => l.listener.name === name);
      if (!found) throw new Error(`no listener named ${name}`);
      return found;
    },
    close: async (graceMs?: number) => {
      await Promise.all(listeners.map((l) => l.close(graceMs)));
    },
  };
}

/**
 * Reads the PROXY header from the first bytes of `socket`; resolves with it (the socket paused, the bytes after
 * the header put back) or with an error for a malformed header, a timeout or a close.
 */
function readProxyHeader(socket: Socket, timeoutMs: number): Promise<Exclude<ProxyHeaderResult, { kind: 'incomplete' }>> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: Exclude<ProxyHeaderResult, { kind: 'incomplete' }>) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const result = parseProxyHeader(buffered);
      if (result.kind === 'incomplete') {
        if (buffered.length > Math.max(PROXY_V1_MAX_BYTES, PROXY_V2_MAX_BYTES)) finish({ kind: 'error', reason: 'no complete PROXY header in the first bytes' });
        return;
      }
      if (result.kind === 'ok') {
        socket.pause();
        if (buffered.length > result.consumed) socket.unshift(buffered.subarray(result.consumed));
      }
      finish(result);
    };
    const onClose = () => finish({ kind: 'error', reason: 'closed before the PROXY header' });
    const timer = setTimeout(() => finish({ kind: 'error', reason: `no PROXY header within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
