// One DNS exchange over TCP (RFC 1035 §4.2.2, RFC 7766): each message is preceded by a two-byte length, so
// no message can exceed 65535 bytes. Frames that do not answer our query are skipped; a server that keeps
// streaming is cut off after MAX_TCP_BYTES.

import { connect } from 'node:net';
import { exchangeWithDeadline, type ExchangeRequest, type ExchangeResult } from './transport.js';
import { formatServer } from './server-list.js';

/** The largest DNS message the two-byte TCP length prefix can describe. */
export const MAX_TCP_MESSAGE = 65_535;

/** Bytes we read from one connection before giving up: a few full-size messages, so a server streaming
 * junk cannot make us buffer without end while the deadline runs. */
export const MAX_TCP_BYTES = 4 * (MAX_TCP_MESSAGE + 2);

/** Sends the query once over a new TCP connection and waits for a matching framed answer. */
export function tcpExchange(request: ExchangeRequest): Promise<ExchangeResult> {
  const { server } = request;
  const label = `tcp ${formatServer(server)}`;
  return exchangeWithDeadline(request, label, (finish) => {
    const socket = connect({ host: server.host, port: server.port });
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let total = 0;
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(request.query.length);
      socket.write(Buffer.concat([prefix, request.query]));
    });
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_TCP_BYTES) {
        finish({ ok: false, reason: 'network', detail: `${label}: more than ${MAX_TCP_BYTES} bytes without an answer` });
        return;
      }
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        if (request.accept(message)) {
          finish({ ok: true, message });
          return;
        }
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: 'network', detail: `${label}: ${error.code ?? error.message}` });
    });
    socket.on('close', () => finish({ ok: false, reason: 'network', detail: `${label}: connection closed without an answer` }));
    return () => socket.destroy();
  });
}
