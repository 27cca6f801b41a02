// STARTTLS (RFC 3207). Refused when TLS is not offered here or already up. Bytes the client sent after the
// command, before the handshake, are the STARTTLS command-injection attack (CVE-2011-0411): we refuse and
// close rather than let plaintext commands run inside the TLS session.

import { reply, Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function starttls(session: SmtpSession, args: string): VerbResult {
  if (args.trim() !== '') return answer(Replies.syntax('STARTTLS takes no argument'));
  if (session.listener.tls !== 'starttls' || !session.runtime.tls) return answer(reply(502, '5.5.1', 'STARTTLS not available'));
  if (session.tls) return answer(reply(503, '5.5.1', 'TLS already active'));
  if (session.connection.hasPipelinedInput()) return answer(Replies.improperPipelining());
  return { reply: Replies.readyTls(), next: { kind: 'starttls' } };
}
