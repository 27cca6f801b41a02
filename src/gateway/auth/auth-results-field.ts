// Authentication-Results fields that claim our authserv-id. RFC 8601 §5: a border MTA that adds the field
// must remove (or rename) any existing instance carrying its own authserv-id, or a sender could forge our
// verdict; fields from other authserv-ids stay (they are simply not trusted). The authserv-id is read
// leniently so that a field the full parser refuses (a forged one often is broken on purpose) is still
// recognised as claiming our name.

import { fieldValue, parseHeaderBlock } from '../../core/message/headers.js';
import { findHeaderEnd } from '../../core/message/split.js';

/** Nested comments skipped before the authserv-id; deeper nesting is not a name we could match anyway. */
const MAX_COMMENT_DEPTH = 16;

/** Cheap test on the header text: any field named Authentication-Results at all (most messages have none). */
const HAS_AUTH_RESULTS = /(?:^|\n)authentication-results[ \t]*:/i;

/** An authserv-id for comparison: lower case, trailing dot dropped (it is a domain name in practice). */
export function canonicalAuthservId(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The authserv-id an Authentication-Results value starts with (RFC 8601 §2.2: CFWS, then a token or a
 * quoted-string), or undefined when there is none. Comments before it are skipped; never throws.
 */
export function authservIdOf(value: string): string | undefined {
  let i = 0;
  for (;;) {
    while (i < value.length && /[ \t\r\n]/.test(value[i] as string)) i++;
    if (value[i] !== '(') break;
    let depth = 0;
    for (; i < value.length; i++) {
      const c = value[i];
      if (c === '\\') i++;
      else if (c === '(' && ++depth > MAX_COMMENT_DEPTH) return undefined;
      else if (c === ')' && --depth === 0) {
        i++;
        break;
      }
    }
    if (depth !== 0) return undefined;
  }
  if (value[i] === '"') {
    const end = value.indexOf('"', i + 1);
    return end === -1 ? undefined : value.slice(i + 1, end);
  }
  const match = /^[^ \t\r\n;()"]+/.exec(value.slice(i, i + 512));
  return match?.[0];
}

/**
 * Removes every Authentication-Results field whose authserv-id is `authservId` (case-insensitive, trailing
 * dot ignored) from the message's header; the rest of the message is kept byte for byte. Returns the
 * message (the same Buffer when nothing was removed) and how many fields went. Linear in the header size.
 */
export function removeAuthResultsClaiming(data: Buffer, authservId: string): { data: Buffer; removed: number } {
  const end = findHeaderEnd(data);
  const block = end === -1 ? data : data.subarray(0, end);
  if (!HAS_AUTH_RESULTS.test(block.toString('latin1'))) return { data, removed: 0 };
  const ours = canonicalAuthservId(authservId);
  const pieces: Buffer[] = [];
  let kept = 0;
  let removed = 0;
  for (const field of parseHeaderBlock(block)) {
    if (field.lowerName !== 'authentication-results') continue;
    const id = authservIdOf(fieldValue(field).toString('latin1'));
    if (id === undefined || canonicalAuthservId(id) !== ours) continue;
    const start = field.raw.byteOffset - block.byteOffset;
    // The field's own CRLF goes with it (the last field of a body-less message may have none).
    const stop = Math.min(start + field.raw.length + 2, block.length);
    pieces.push(data.subarray(kept, start));
    kept = stop;
    removed++;
  }
  if (removed === 0) return { data, removed };
  pieces.push(data.subarray(kept));
  return { data: Buffer.concat(pieces), removed };
}
