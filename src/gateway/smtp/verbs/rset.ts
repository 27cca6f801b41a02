// RSET (RFC 5321 §4.1.1.5): abort the transaction, keep the session (HELO, TLS, AUTH).

import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function rset(session: SmtpSession, args: string): VerbResult {
  if (args.trim() !== '') return answer(Replies.syntax('RSET takes no argument'));
  session.resetTransaction();
  return answer(Replies.ok());
}
