// SPF results at the edge: the Received-SPF header (RFC 7208 §9.1) and the `spf=` method of an
// Authentication-Results header (RFC 8601 §2.7.2). Every value is sanitised: no CR/LF or control
// characters from DNS or the SMTP envelope reach a header.

import { formatIp, parseIp } from './ip.js';
import type { SpfCheckInput, SpfResult } from './types.js';

/** Longest free-text problem/comment we put in a header. */
const MAX_COMMENT = 200;

function clean(text: string, max = MAX_COMMENT): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/[^\u0020-\u007e]/g, '?');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function comment(text: string): string {
  return `(${clean(text).replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** A dot-atom-ish token stays bare; anything else becomes a quoted-string (RFC 5322 §3.2.4). */
function value(text: string): string {
  const v = clean(text, 512);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@:]+$/.test(v) && !v.startsWith('.') && !v.endsWith('.')) return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function describe(result: SpfResult, ipText: string, receiver: string | undefined): string {
  const who = receiver ? `${receiver}: ` : '';
  const of = `domain of ${result.sender}`;
  switch (result.result) {
    case 'pass':
      return `${who}${of} designates ${ipText} as permitted sender`;
    case 'fail':
      return `${who}${of} does not designate ${ipText} as permitted sender`;
    case 'softfail':
      return `${who}transitioning ${of} does not designate ${ipText} as permitted sender`;
    case 'neutral':
      return `${who}${ipText} is neither permitted nor denied by ${of}`;
    case 'none':
      return `${who}${of} does not designate permitted sender hosts`;
    case 'temperror':
    case 'permerror':
      return `${who}error in processing during lookup of ${of}: ${result.reason}`;
  }
}

/**
 * The Received-SPF header line (RFC 7208 §9.1), e.g.
 * `Received-SPF: pass (mx.example.org: domain of a@example.com designates 192.0.2.1 as permitted sender)
 * client-ip=192.0.2.1; envelope-from=a@example.com; helo=h.example.com; receiver=mx.example.org;
 * identity=mailfrom; mechanism="ip4:192.0.2.0/24"`. One line, no trailing CRLF; the caller folds it.
 */
export function formatReceivedSpf(result: SpfResult, input: SpfCheckInput, receiver?: string): string {
  const parsed = parseIp(input.ip);
  const ipText = parsed ? formatIp(parsed) : clean(String(input.ip), 64);
  const rcv = receiver ?? input.receiver;
  const pairs: string[] = [`client-ip=${value(ipText)}`];
  pairs.push(`envelope-from=${value(input.sender === '' ? '<>' : input.sender)}`);
  if (input.helo !== '') pairs.push(`helo=${value(input.helo)}`);
  if (rcv) pairs.push(`receiver=${value(rcv)}`);
  pairs.push(`identity=${result.identity}`);
  if (result.mechanism !== undefined) pairs.push(`mechanism=${value(result.mechanism)}`);
  if (result.result === 'permerror' || result.result === 'temperror') pairs.push(`problem=${value(clean(result.detail))}`);
  return `Received-SPF: ${result.result} ${comment(describe(result, ipText, rcv))} ${pairs.join('; ')}`;
}

/**
 * The SPF part of an Authentication-Results header (RFC 8601 §2.7.2): `spf=<result>` with a comment
 * (the reason code, and the deciding mechanism when there is one) and the property
 * `smtp.mailfrom=<sender>` or, for the HELO identity, `smtp.helo=<name>`. No "Authentication-Results:"
 * prefix and no authserv-id: the caller composes the header.
 */
export function formatAuthResultsSpf(result: SpfResult): string {
  const note = result.mechanism !== undefined ? `${result.reason}: ${result.mechanism}` : result.reason;
  const prop =
    result.identity === 'helo'
      ? `smtp.helo=${value(result.domain)}`
      : `smtp.mailfrom=${value(result.sender)}`;
  return `spf=${result.result} ${comment(note)} ${prop}`;
}
