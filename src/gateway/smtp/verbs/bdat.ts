// BDAT (RFC 3030 CHUNKING): `BDAT <size> [LAST]`. The chunk's octets follow the command at once, so they are
// always read, in every phase (a refusal comes after them, never in the middle: unread octets would run as
// commands). No dot transparency; the bare CR/LF rule of DATA applies across chunks. Replies: 250 per chunk,
// the queue reply after LAST, 552 once the message is over SIZE, 554 5.5.1 without valid recipients, 503 when
// there is no transaction.

import { reply, Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';
import { endOfMessage } from './message-end.js';

const BDAT_ARGS = /^(\d{1,15})(?: +(LAST))? *$/i;

export function bdat(session: SmtpSession, args: string): VerbResult {
  const m = BDAT_ARGS.exec(args);
  // Without a size we cannot know where the chunk ends: the only safe answer is to close.
  if (!m) return answer({ ...Replies.syntax('Syntax: BDAT <size> [LAST]'), close: true });
  const size = Number(m[1]);
  const last = m[2] !== undefined;
  if (session.phase !== 'mail' && session.phase !== 'rcpt' && session.phase !== 'bdat') {
    return { next: { kind: 'bdat', size, done: () => Promise.resolve(Replies.badSequence('Need MAIL and RCPT before BDAT')) } };
  }
  const state = session.bdatState();
  state.last = last;
  session.phase = 'bdat';
  return { next: { kind: 'bdat', size, into: state.guard, done: () => endOfChunk(session) } };
}

/** After the chunk's octets were read. */
async function endOfChunk(session: SmtpSession): Promise<ReturnType<typeof reply>> {
  const state = session.bdatState();
  if (session.tx!.recipients.length === 0) {
    session.resetTransaction();
    return Replies.noValidRecipients();
  }
  if (!state.last) {
    if (state.collector.failed === 'too-big') {
      session.resetTransaction();
      return Replies.messageTooBig();
    }
    return reply(250, '2.0.0', `${state.collector.byteCount} octets received`);
  }
  state.guard.finish();
  return endOfMessage(session, state.collector.finish());
}
