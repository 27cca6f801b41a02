// NOOP (RFC 5321 §4.1.1.9) and HELP (§4.1.1.8): harmless, but counted as junk commands.

import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function noop(_session: SmtpSession, _args: string): VerbResult {
  return answer(Replies.ok());
}

export function help(_session: SmtpSession, _args: string): VerbResult {
  return answer(Replies.help());
}
