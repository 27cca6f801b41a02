// One DNS exchange over UDP (RFC 1035 §4.2.1): a fresh socket per query (a fresh random source port from
// the OS), connected to the server so the kernel drops datagrams from elsewhere; we check the source again
// and let the caller check ID and question. Anything that does not match is ignored until the deadline.

import { createSocket } from 'node:dgram';
import { exchangeWithDeadline, type ExchangeRequest, type ExchangeResult } from './transport.js';
import { formatServer } from './server-list.js';

/** Sends the query once over UDP and waits for a matching datagram, the timeout, an error or the abort. */
export function udpExchange(request: ExchangeRequest): Promise<ExchangeResult> {
  const { server } = request;
  const label = `udp ${formatServer(server)}`;
  return exchangeWithDeadline(request, label, (finish) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: 'network', detail: `${label}: ${error.code ?? error.message}` });
    });
    socket.on('message', (message, remote) => {
      if (remote.address !== server.host || remote.port !== server.port) return;
      if (request.accept(message)) finish({ ok: true, message });
    });
    socket.connect(server.port, server.host, () => {
      socket.send(request.query, (error) => {
        if (error) finish({ ok: false, reason: 'network', detail: `${label}: ${(error as NodeJS.ErrnoException).code ?? error.message}` });
      });
    });
    return () => {
      try {
        socket.close();
      } catch {
        // Already closed after an error: nothing left to release.
      }
    };
  });
}
