// VRFY and EXPN (RFC 5321 §3.5): never confirm or list mailboxes (address harvesting). VRFY gets the 252 the
// RFC recommends; EXPN is not implemented.

import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

export function vrfy(_session: SmtpSession, args: string): VerbResult {
  if (args.trim() === '') return answer(Replies.syntax('VRFY needs an argument'));
  return answer(Replies.vrfy());
}

export function expn(_session: SmtpSession, _args: string): VerbResult {
  return answer(Replies.notImplemented());
}
