// Reading the `from` clause of a Received header field (RFC 5321 §4.4) in the forms real MTAs write, for the
// trusted-hop walk: which IP and HELO name the writing host saw. Only the `from` clause (and `by`, for the
// report) is read; the rest of the field is free-form in practice.
//
//   Postfix   from helo.example (rdns.example [192.0.2.1]) by mx.example (Postfix) with ESMTPS id X; date
//             from helo.example (unknown [IPv6:2001:db8::1]) by ...
//   Sendmail  from helo.example (user@rdns.example [192.0.2.1] (may be forged)) by mx (8.15.2/8.15.2) ...
//   Exchange  from EXCH01.contoso.com (10.0.0.1) by EXCH02.contoso.com (10.0.0.2) with Microsoft SMTP Server ...
//             from NAM11.outbound.protection.outlook.com (mail-co1.outlook.com [40.107.220.41]) by ...
//   Gmail     from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com ...
//   Exim      from rdns.example ([192.0.2.1] helo=helo.example) by mx.example with esmtps ...
//   literal   from [192.0.2.1] (rdns.example [192.0.2.1]) by ...
//
// Never throws: a field that does not fit gives `{ ok: false }` with a reason.

import { parseIp } from '../spf/ip.js';

/** A Received field longer than this is not read (real ones are a few hundred characters). */
export const MAX_RECEIVED_LENGTH = 4096;

export interface ReceivedHop {
  /** The client IP the writing host recorded, as given (IPv6 without the `IPv6:` prefix). */
  ip: string;
  /** The HELO/EHLO name it recorded, '' when the field does not say. */
  helo: string;
  /** The reverse-DNS name it recorded, when it did (`unknown` is dropped). */
  rdns?: string;
  /** The host that wrote the field (the `by` clause), when given. */
  by?: string;
}

export type ReceivedParse =
  | { ok: true; value: ReceivedHop }
  | { ok: false; reason: 'too-long' | 'no-from-clause' | 'no-ip'; detail: string };

/** Words that end the `from` clause (RFC 5321 §4.4 Stamp, and the common extensions). */
const CLAUSE_END = /^(?:by|via|with|id|for)$/i;

/**
 * Parses the `from` clause of a Received field value (after `Received:`, folded or not). Returns the client
 * IP and HELO name the writing host recorded, or why they could not be read. RFC 5321 §4.4.
 */
export function parseReceived(value: string): ReceivedParse {
  if (value.length > MAX_RECEIVED_LENGTH) return { ok: false, reason: 'too-long', detail: `the field is longer than ${MAX_RECEIVED_LENGTH} characters` };
  const text = value.replace(/\r?\n[ \t]+/g, ' ').replace(/[\r\n]/g, ' ');
  const semicolon = lastTopLevelSemicolon(text);
  const tokens = tokenize(semicolon < 0 ? text : text.slice(0, semicolon));
  const fromAt = tokens.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'from');
  const byAt = tokens.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'by');
  const by = byAt >= 0 ? tokens[byAt + 1] : undefined;
  const byName = by !== undefined && by.kind === 'word' ? stripDot(by.text) : undefined;
  if (fromAt < 0) return { ok: false, reason: 'no-from-clause', detail: 'the field has no `from` clause (a local or internal hop)' };

  // The clause: the HELO word (or domain literal), then comments, until the next clause keyword.
  let helo = '';
  const comments: string[] = [];
  for (let i = fromAt + 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'word' && CLAUSE_END.test(token.text)) break;
    if (token.kind === 'comment') comments.push(token.text);
    else if (helo === '' && comments.length === 0) helo = token.text;
  }
  const rdnsAndIp = readComments(comments);
  let ip = rdnsAndIp.ip;
  const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(helo);
  if (ip === undefined && literal) ip = literal[1];
  const heloName = rdnsAndIp.exim ?? (literal ? helo : stripDot(helo));
  if (ip === undefined || parseIp(ip) === undefined) {
    return { ok: false, reason: 'no-ip', detail: `the \`from\` clause records no client IP address (${clip(text)})` };
  }
  const hop: ReceivedHop = { ip, helo: heloName };
  // Exim writes the reverse-DNS name first and the HELO name as `helo=` when they differ.
  const rdns = rdnsAndIp.exim !== undefined && rdnsAndIp.rdns === undefined && !literal ? stripDot(helo) : rdnsAndIp.rdns;
  if (rdns !== undefined && rdns !== '') hop.rdns = rdns;
  if (byName !== undefined) hop.by = byName;
  return { ok: true, value: hop };
}

type Token = { kind: 'word' | 'comment'; text: string };

/** Splits into words and (nested) comments; quoted strings stay inside words. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        const d = text[j];
        if (d === '\\') j++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      tokens.push({ kind: 'comment', text: text.slice(i + 1, Math.min(j, text.length)) });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t' && text[j] !== '(') j++;
    tokens.push({ kind: 'word', text: text.slice(i, j) });
    i = j;
  }
  return tokens;
}

/** The date follows the last `;` outside comments. */
function lastTopLevelSemicolon(text: string): number {
  let depth = 0;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0) last = i;
  }
  return last;
}

/** The first comment that holds an address: `rdns [ip]`, `[ip] helo=x` (Exim), or a bare `ip` (Exchange). */
function readComments(comments: string[]): { ip?: string; rdns?: string; exim?: string } {
  for (const comment of comments) {
    const bracket = /\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]/i.exec(comment);
    if (bracket) {
      const out: { ip?: string; rdns?: string; exim?: string } = { ip: bracket[1]! };
      const before = comment.slice(0, bracket.index).trim().replace(/^.*@/, '');
      const name = stripDot(before.split(/\s+/).pop() ?? '');
      if (name !== '' && name.toLowerCase() !== 'unknown') out.rdns = name;
      const helo = /\bhelo=([^\s)]+)/i.exec(comment);
      if (helo) out.exim = stripDot(helo[1]!);
      return out;
    }
    const bare = comment.trim().split(/\s+/)[0] ?? '';
    if (parseIp(bare) !== undefined) return { ip: bare };
  }
  return {};
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function clip(text: string): string {
  const flat = text.trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
