// AUTH PLAIN (RFC 4616) and AUTH LOGIN (draft-murchison-sasl-login) over TLS only (RFC 4954 §4, RFC 8314):
// without TLS the reply is 538 5.7.11 and no credentials are read. Failures are counted; after
// maxAuthFailures the session ends with 421. A "*" line cancels (RFC 4954 §4).

import { reply, Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';
import { publish } from '../events.js';

/** Longest decoded SASL response we read (user, password, authzid): real credentials are far shorter. */
export const MAX_SASL_RESPONSE_BYTES = 2048;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decode(text: string): Buffer | undefined {
  const t = text.trim();
  if (!BASE64.test(t)) return undefined;
  const bytes = Buffer.from(t, 'base64');
  return bytes.length <= MAX_SASL_RESPONSE_BYTES ? bytes : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function utf8(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

export async function auth(session: SmtpSession, args: string): Promise<VerbResult> {
  if (session.account) return answer(reply(503, '5.5.1', 'Already authenticated'));
  if (!session.listener.auth || session.runtime.accounts.size === 0) return answer(Replies.authUnavailable());
  if (!session.tls) return answer(reply(538, '5.7.11', 'Encryption required for requested authentication mechanism'));
  const [mechanism = '', initial, extra] = args.trim().split(/ +/);
  if (extra !== undefined) return answer(Replies.syntax('Syntax: AUTH <mechanism> [initial-response]'));
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      if (initial === undefined) return { reply: reply(334, undefined, ''), next: { kind: 'line', handler: (line) => plain(session, line) } };
      return plain(session, initial);
    case 'LOGIN':
      if (initial === undefined) return askPassword(session, undefined);
      return askPassword(session, initial);
    default:
      return answer(Replies.authMechanism());
  }
}

/** PLAIN: base64 of `authzid NUL authcid NUL password`; "=" is an empty initial response. */
async function plain(session: SmtpSession, line: string): Promise<VerbResult> {
  if (line.trim() === '*') return answer(Replies.authCancelled());
  const bytes = line.trim() === '=' ? Buffer.alloc(0) : decode(line);
  const text = bytes && utf8(bytes);
  if (text === undefined) return answer(reply(501, '5.5.2', 'Invalid base64 or UTF-8 in SASL response'));
  const parts = text.split('\0');
  if (parts.length !== 3) return answer(reply(501, '5.5.2', 'PLAIN response must be authzid NUL authcid NUL password'));
  const [authzid, username, password] = parts as [string, string, string];
  // We do not let one login act for another: the authorization identity must be empty or the same.
  if (authzid !== '' && authzid.toLowerCase() !== username.toLowerCase()) return answer(failed(session, username));
  return login(session, username, password);
}

/** LOGIN: 334 "Username:", then 334 "Password:", each answered in base64. */
function askPassword(session: SmtpSession, initialUser: string | undefined): VerbResult {
  const withUser = (encoded: string): VerbResult => {
    if (encoded.trim() === '*') return answer(Replies.authCancelled());
    const bytes = decode(encoded);
    const username = bytes && utf8(bytes);
    if (username === undefined) return answer(reply(501, '5.5.2', 'Invalid base64 or UTF-8 in SASL response'));
    return {
      reply: reply(334, undefined, Buffer.from('Password:').toString('base64')),
      next: {
        kind: 'line',
        handler: (line) => {
          if (line.trim() === '*') return Promise.resolve(answer(Replies.authCancelled()));
          const pw = decode(line);
          const password = pw && utf8(pw);
          if (password === undefined) return Promise.resolve(answer(reply(501, '5.5.2', 'Invalid base64 or UTF-8 in SASL response')));
          return login(session, username, password);
        },
      },
    };
  };
  if (initialUser !== undefined) return withUser(initialUser);
  return {
    reply: reply(334, undefined, Buffer.from('Username:').toString('base64')),
    next: { kind: 'line', handler: (line) => Promise.resolve(withUser(line)) },
  };
}

async function login(session: SmtpSession, username: string, password: string): Promise<VerbResult> {
  const account = await session.runtime.accounts.authenticate(username, password);
  if (!account) return answer(failed(session, username));
  session.account = account;
  publish({ type: 'auth', listener: session.listener.name, ip: session.client.ip, username: account.username, ok: true });
  return answer(Replies.authOk());
}

function failed(session: SmtpSession, username: string) {
  publish({ type: 'auth', listener: session.listener.name, ip: session.client.ip, username: username.slice(0, 100), ok: false });
  return session.authFailed();
}
