// The contract between the session and its verb handlers: a handler gets the session and the argument text and
// returns the reply plus, when the command switches the input mode, what the connection must do next.

import type { SmtpReply } from './reply.js';
import type { SmtpSession } from './session.js';
import type { LineEndingGuard } from './framing/data-reader.js';

export type Next =
  /** Read a message with DATA framing, then call `session.endOfData`. */
  | { kind: 'data' }
  /** Read exactly `size` octets (into the guard, or discarded), then send `done()`'s reply. */
  | { kind: 'bdat'; size: number; into?: LineEndingGuard; done: () => Promise<SmtpReply> }
  /** Send the reply, then start TLS on the socket. */
  | { kind: 'starttls' }
  /** Hand the next line to `handler` instead of the command dispatcher (SASL exchanges). */
  | { kind: 'line'; handler: (line: string) => Promise<VerbResult> };

export interface VerbResult {
  /** Sent now; absent only for BDAT, whose reply follows its chunk. */
  reply?: SmtpReply;
  next?: Next;
}

export type VerbHandler = (session: SmtpSession, args: string) => VerbResult | Promise<VerbResult>;

/** A result that is just a reply. */
export function answer(reply: SmtpReply): VerbResult {
  return { reply };
}
