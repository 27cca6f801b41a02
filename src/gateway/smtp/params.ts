// ESMTP parameters of MAIL and RCPT: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID and
// NOTIFY/ORCPT (RFC 3461), AUTH= (RFC 4954 §5, accepted and ignored). An unknown or repeated parameter is refused
// (555 / 501): a parameter we do not understand may change what the client expects of us. Never throws.

import type { SmtpReply } from './reply.js';
import { reply, Replies } from './reply.js';

export interface MailParams {
  size?: number;
  body: '7BIT' | '8BITMIME';
  smtputf8: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

export interface RcptParams {
  notify?: string[];
  orcpt?: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reply: SmtpReply };

// esmtp-keyword ["=" esmtp-value] (RFC 5321 §4.1.2); values are printable ASCII without "=" and space,
// or UTF-8 when SMTPUTF8 is in use (RFC 6531 §3.3).
const PARAM = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:=([^\s=\x00-\x1f\x7f]+))?$/u;
/** RFC 3461 §4.4: ENVID at most 100 characters; §4.2: ORCPT at most 500. */
export const MAX_ENVID_CHARS = 100;
export const MAX_ORCPT_CHARS = 500;

function splitParams(text: string): Parsed<Map<string, string | undefined>> {
  const params = new Map<string, string | undefined>();
  if (text === '') return { ok: true, value: params };
  for (const item of text.split(/ +/)) {
    const m = PARAM.exec(item);
    if (!m) return { ok: false, reply: Replies.syntax(`Invalid parameter syntax: ${item.slice(0, 40)}`) };
    const key = m[1]!.toUpperCase();
    if (params.has(key)) return { ok: false, reply: Replies.syntax(`Duplicate ${key} parameter`) };
    params.set(key, m[2]);
  }
  return { ok: true, value: params };
}

/** xtext (RFC 3461 §4): printable ASCII except "+" and "=", with "+XX" hex escapes. */
function isXtext(value: string): boolean {
  return /^(?:[!-*,-<>-~]|\+[0-9A-F]{2})+$/.test(value);
}

/** Parses MAIL FROM parameters. `sizeLimit` is the advertised SIZE. */
export function parseMailParams(text: string, sizeLimit: number): Parsed<MailParams> {
  const split = splitParams(text);
  if (!split.ok) return split;
  const out: MailParams = { body: '7BIT', smtputf8: false };
  for (const [key, value] of split.value) {
    switch (key) {
      case 'SIZE': {
        if (!value || !/^\d{1,20}$/.test(value)) return bad('SIZE needs a number');
        const size = Number(value);
        if (size > sizeLimit) return { ok: false, reply: Replies.messageTooBig() };
        out.size = size;
        break;
      }
      case 'BODY': {
        const body = value?.toUpperCase();
        if (body !== '7BIT' && body !== '8BITMIME') return { ok: false, reply: reply(555, '5.5.4', 'BODY must be 7BIT or 8BITMIME') };
        out.body = body;
        break;
      }
      case 'SMTPUTF8':
        if (value !== undefined) return bad('SMTPUTF8 takes no value');
        out.smtputf8 = true;
        break;
      case 'RET': {
        const ret = value?.toUpperCase();
        if (ret !== 'FULL' && ret !== 'HDRS') return bad('RET must be FULL or HDRS');
        out.ret = ret;
        break;
      }
      case 'ENVID':
        if (!value || value.length > MAX_ENVID_CHARS || !isXtext(value)) return bad('ENVID must be xtext of at most 100 characters');
        out.envid = value;
        break;
      case 'AUTH':
        // RFC 4954 §5: the original submitter; we trust only our own AUTH, so it is read and dropped.
        if (!value) return bad('AUTH needs a value');
        break;
      default:
        return { ok: false, reply: Replies.paramNotRecognized(key) };
    }
  }
  return { ok: true, value: out };
}

const NOTIFY_VALUES = new Set(['SUCCESS', 'FAILURE', 'DELAY']);

/** Parses RCPT TO parameters. */
export function parseRcptParams(text: string): Parsed<RcptParams> {
  const split = splitParams(text);
  if (!split.ok) return split;
  const out: RcptParams = {};
  for (const [key, value] of split.value) {
    switch (key) {
      case 'NOTIFY': {
        const items = (value ?? '').toUpperCase().split(',');
        const never = items.length === 1 && items[0] === 'NEVER';
        if (!never && (items.some((v) => !NOTIFY_VALUES.has(v)) || new Set(items).size !== items.length)) {
          return bad('NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY');
        }
        out.notify = items;
        break;
      }
      case 'ORCPT': {
        // addr-type ";" xtext (RFC 3461 §4.2), e.g. rfc822;user@example.com
        if (!value || value.length > MAX_ORCPT_CHARS) return bad('ORCPT too long or empty');
        const semi = value.indexOf(';');
        if (semi <= 0 || !/^[A-Za-z0-9-]+$/.test(value.slice(0, semi)) || !isXtext(value.slice(semi + 1))) {
          // RFC 6533 utf-8-addr-xtext is also allowed under SMTPUTF8: accept printable UTF-8 after the type.
          if (semi <= 0 || /[\s\x00-\x1f]/.test(value.slice(semi + 1))) return bad('ORCPT must be addr-type;xtext');
        }
        out.orcpt = value;
        break;
      }
      default:
        return { ok: false, reply: Replies.paramNotRecognized(key) };
    }
  }
  return { ok: true, value: out };
}

function bad(text: string): { ok: false; reply: SmtpReply } {
  return { ok: false, reply: Replies.syntax(text) };
}
