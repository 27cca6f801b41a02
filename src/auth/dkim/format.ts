// Authentication-Results entries for DKIM (RFC 8601 §2.7.1, RFC 6008 for header.b).

import type { DkimSignatureResult, DkimVerifyResult } from './types.js';

/** A property value as a token, or as a quoted-string when it holds characters a token may not (RFC 2045 §5.1). */
function pvalue(value: string): string {
  if (/^[A-Za-z0-9!#$%&'*+\-.^_`{|}~@]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A comment with `(`, `)` and `\` escaped. */
function comment(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')})`;
}

/**
 * Formats one signature's result as an Authentication-Results method entry:
 * `dkim=pass header.d=example.com header.s=sel header.b=AbCdEf12`, with a `(reason: detail)` comment when
 * the result is not pass. header.i is added when the signature has i=.
 */
export function formatAuthResultsDkim(sig: DkimSignatureResult): string {
  const parts = [`dkim=${sig.result}`];
  if (sig.result !== 'pass') parts.push(comment(`${sig.reason}${sig.detail ? `: ${sig.detail}` : ''}`));
  if (sig.domain) parts.push(`header.d=${pvalue(sig.domain)}`);
  if (sig.identity) parts.push(`header.i=${pvalue(sig.identity)}`);
  if (sig.selector) parts.push(`header.s=${pvalue(sig.selector)}`);
  if (sig.headerB) parts.push(`header.b=${pvalue(sig.headerB)}`);
  return parts.join(' ');
}

/** All DKIM entries for a message: one per signature, or `dkim=none` when it has none. */
export function formatAuthResultsDkimAll(result: DkimVerifyResult): string[] {
  if (result.signatures.length === 0) {
    return [result.error ? `dkim=permerror ${comment(`${result.error.reason}: ${result.error.detail}`)}` : 'dkim=none'];
  }
  return result.signatures.map(formatAuthResultsDkim);
}
