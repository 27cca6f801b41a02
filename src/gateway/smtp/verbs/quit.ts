// QUIT (RFC 5321 §4.1.1.10): 221 and close. Anything the client pipelined after it is ignored.

import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function quit(_session: SmtpSession, _args: string): VerbResult {
  return answer(Replies.bye());
}
