// EHLO and HELO (RFC 5321 §4.1.1.1): name the client, reset any transaction, and for EHLO list the extensions
// this session offers now (STARTTLS until TLS is up; AUTH only once it is, RFC 4954 §4 / RFC 8314).

import { reply, Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';

// A domain or an address literal; we are lenient about what clients call themselves, but not about bytes.
const HELO_NAME = /^[\x21-\x7e\u{80}-\u{10ffff}]{1,255}$/u;

function greet(session: SmtpSession, args: string, esmtp: boolean): VerbResult {
  const name = args.trim();
  if (!HELO_NAME.test(name)) return answer(Replies.syntax(esmtp ? 'EHLO needs a domain or address literal' : 'HELO needs a domain'));
  // RFC 2920 §3.1: EHLO/HELO end a pipelining group. A client that did not wait for this reply (nor, with
  // no greeting delay, likely for the greeting) is an early talker: spamware, or a smuggling attempt.
  if (session.connection.hasPipelinedInput()) return answer(Replies.improperPipelining());
  session.resetTransaction();
  session.helo = name;
  session.esmtp = esmtp;
  session.phase = 'ready';
  const host = session.listener.hostname;
  if (!esmtp) return answer(reply(250, undefined, host));
  const lines = [
    `${host} greets ${name}`,
    'PIPELINING',
    `SIZE ${session.limits.maxMessageBytes}`,
    '8BITMIME',
    'SMTPUTF8',
    'ENHANCEDSTATUSCODES',
    'CHUNKING',
    'DSN',
  ];
  if (session.listener.tls === 'starttls' && !session.tls) lines.push('STARTTLS');
  if (session.authOffered() && !session.account) lines.push('AUTH PLAIN LOGIN');
  return answer(reply(250, undefined, ...lines));
}

export const ehlo = (session: SmtpSession, args: string): VerbResult => greet(session, args, true);
export const helo = (session: SmtpSession, args: string): VerbResult => greet(session, args, false);
