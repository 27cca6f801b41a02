// DATA (RFC 5321 §4.1.1.4): 354 when the transaction has recipients; the connection then reads the message
// with DATA framing (framing/data-reader.ts) and finishes it with `endOfMessage` (message-end.ts).

import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function data(session: SmtpSession, args: string): VerbResult {
  if (args.trim() !== '') return answer(Replies.syntax('DATA takes no argument'));
  if (!session.tx || session.tx.recipients.length === 0) return answer(Replies.noValidRecipients());
  return { reply: Replies.startData(), next: { kind: 'data' } };
}
