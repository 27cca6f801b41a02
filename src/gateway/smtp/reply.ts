// SMTP replies are data: a code, an enhanced status code (RFC 3463) and text lines, formatted on the wire in one
// place. The fixed replies the session gives are listed here so docs/gateway-smtp.md can point at one table.

export interface SmtpReply {
  /** Three-digit reply code (RFC 5321 §4.2). */
  code: number;
  /** Enhanced status code `class.subject.detail` (RFC 3463), omitted only for 220/221 greetings and 334/354. */
  enhanced?: string;
  /** One or more text lines (multi-line replies: EHLO keywords). */
  lines: string[];
  /** Close the connection after sending this reply. */
  close?: boolean;
}

/** Builds a reply. */
export function reply(code: number, enhanced: string | undefined, ...lines: string[]): SmtpReply {
  return { code, enhanced, lines: lines.length ? lines : [''] };
}

/** Same reply, closing the connection after it is sent. */
export function closing(r: SmtpReply): SmtpReply {
  return { ...r, close: true };
}

/** True for 4xx and 5xx replies. */
export function isError(r: SmtpReply): boolean {
  return r.code >= 400;
}

// Text can never carry a CR or LF onto the wire: a policy text with one would inject a reply line.
const UNSAFE_TEXT = /[\r\n\x00]/g;

/**
 * Formats a reply for the wire: `code-text` continuation lines and a final `code text` line, each ending in
 * CRLF (RFC 5321 §4.2.1), the enhanced code in front of each line's text (RFC 2034 §4).
 */
export function formatReply(r: SmtpReply): string {
  const prefix = r.enhanced ? `${r.enhanced} ` : '';
  let out = '';
  const last = r.lines.length - 1;
  for (let i = 0; i <= last; i++) {
    const text = (r.lines[i] ?? '').replace(UNSAFE_TEXT, ' ');
    out += `${r.code}${i === last ? ' ' : '-'}${prefix}${text}\r\n`;
  }
  return out;
}

/** The fixed replies. Policy decisions bring their own codes and text (see policy/decision.ts). */
export const Replies = {
  ok: () => reply(250, '2.0.0', 'OK'),
  senderOk: () => reply(250, '2.1.0', 'Sender OK'),
  recipientOk: () => reply(250, '2.1.5', 'Recipient OK'),
  queued: (id: string) => reply(250, '2.0.0', `OK queued as ${id}`),
  bye: () => closing(reply(221, '2.0.0', 'Bye')),
  startData: () => reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  readyTls: () => reply(220, '2.0.0', 'Ready to start TLS'),
  vrfy: () => reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
  help: () => reply(214, '2.0.0', 'See RFC 5321 (https://www.rfc-editor.org/rfc/rfc5321)'),
  authOk: () => reply(235, '2.7.0', 'Authentication successful'),

  syntax: (what: string) => reply(501, '5.5.4', what),
  badSequence: (what: string) => reply(503, '5.5.1', what),
  unknownCommand: () => reply(500, '5.5.2', 'Command not recognized'),
  notImplemented: () => reply(502, '5.5.1', 'Command not implemented'),
  lineTooLong: () => reply(500, '5.5.2', 'Line too long'),
  invalidUtf8: () => reply(500, '5.5.2', 'Invalid UTF-8 in command'),
  paramNotRecognized: (name: string) => reply(555, '5.5.4', `${name} parameter not recognized`),
  needSmtputf8: () => reply(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8'),
  badAddress: (what: string) => reply(553, '5.1.3', what),
  badSenderAddress: (what: string) => reply(553, '5.1.7', what),
  sourceRoute: () => reply(553, '5.1.3', 'Source routes are not accepted'),
  routingCharacters: () => reply(550, '5.1.3', 'Routing characters (% ! @) in the local part are not accepted'),
  tooManyRecipients: () => reply(452, '4.5.3', 'Too many recipients'),
  messageTooBig: () => reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  headerTooBig: () => reply(552, '5.3.4', 'Message header exceeds fixed maximum size'),
  bareLineEnding: () => reply(554, '5.6.0', 'Bare CR or LF in message data not accepted; lines must end with CRLF'),
  noValidRecipients: () => reply(554, '5.5.1', 'No valid recipients'),
  tooManyHops: () => reply(554, '5.4.6', 'Too many Received header fields: mail loop'),
  localError: () => reply(451, '4.3.0', 'Temporary local problem, try again later'),
  policyTimeout: () => reply(451, '4.4.3', 'Policy check timed out, try again later'),
  tlsRequired: () => reply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authRequired: () => reply(530, '5.7.0', 'Authentication required'),
  authFailed: () => reply(535, '5.7.8', 'Authentication credentials invalid'),
  authCancelled: () => reply(501, '5.0.0', 'Authentication cancelled'),
  authMechanism: () => reply(504, '5.5.4', 'Unrecognized authentication mechanism'),
  authUnavailable: () => reply(503, '5.5.1', 'AUTH not available'),
  improperPipelining: () => closing(reply(554, '5.5.0', 'Improper command pipelining')),

  greeting: (host: string) => reply(220, undefined, `${host} ESMTP mailflow`),
  tooManyErrors: () => closing(reply(421, '4.7.0', 'Too many errors, closing connection')),
  tooManyBadCommands: () => closing(reply(421, '4.7.0', 'Too many unrecognized commands, closing connection')),
  tooManyCommands: () => closing(reply(421, '4.7.0', 'Too many commands without mail, closing connection')),
  tooManyRecipientsFlood: () => closing(reply(421, '4.5.3', 'Too many recipients, closing connection')),
  tooManyAuthFailures: () => closing(reply(421, '4.7.0', 'Too many authentication failures, closing connection')),
  tooManyMessages: () => closing(reply(421, '4.7.0', 'Too many messages in one session, closing connection')),
  notSmtp: () => closing(reply(421, '4.7.0', 'This is an SMTP server, not HTTP; closing connection')),
  idleTimeout: () => closing(reply(421, '4.4.2', 'Idle timeout, closing connection')),
  sessionTimeout: () => closing(reply(421, '4.4.2', 'Session time limit reached, closing connection')),
  tooManyConnectionsFromIp: () => closing(reply(421, '4.7.0', 'Too many connections from your address, try again later')),
  tooManyConnections: () => closing(reply(421, '4.3.2', 'Too many connections, try again later')),
  shuttingDown: () => closing(reply(421, '4.3.2', 'Service shutting down, try again later')),
} as const;
