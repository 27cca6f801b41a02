// Laying out the header fields a sealer writes (RFC 8617 §4.1), and the `arc=` entry for
// Authentication-Results (RFC 8617 §7.1). Two layouts: folded at 78 columns with b= last (the default), or
// the suite's standardized single line, tags in alphabetical order joined by "; " (NOTES.md: the ValiMail
// sign suite's expected b= values were computed over that form, since the ARC-Seal signs the AMS as written).

import { unfold } from './aar.js';
import type { ArcValidationResult } from './types.js';

/** Folded lines stay within this many characters (RFC 5322 §2.1.1 SHOULD). */
const FOLD_WIDTH = 78;

export type ArcTag = readonly [name: string, value: string];

/** A signature field before and after its b= value is known. */
export interface SignedFieldLayout {
  /** The field (name, colon, value) with b= empty: the bytes that get signed. */
  unsigned: string;
  /** The complete field with b= filled in. */
  complete(b: string): string;
}

/**
 * Lays out `Name: tag=value; ...` with a b= tag. `fold: false` keeps the tags in the order given on one
 * line; `fold: true` moves b= last, folds between tags (and inside h= after a colon) and folds the base64.
 * Either way the unsigned form is exactly the complete form with the b= value removed (RFC 6376 §3.7).
 */
export function layoutSignedField(name: string, tags: readonly ArcTag[], fold: boolean): SignedFieldLayout {
  if (!fold) {
    const render = (b: string): string => `${name}: ${tags.map(([tag, value]) => `${tag}=${tag === 'b' ? b : value}`).join('; ')}`;
    return { unsigned: render(''), complete: render };
  }
  const others = tags.filter(([tag]) => tag !== 'b').map(([tag, value]) => `${tag}=${value}`);
  let out = `${name}:`;
  let column = out.length;
  for (const text of [...others.map((t) => `${t};`), 'b=']) {
    if (column + 1 + text.length <= FOLD_WIDTH) {
      out += ` ${text}`;
      column += 1 + text.length;
      continue;
    }
    out += '\r\n';
    column = 0;
    // A long h= folds after its colons; anything else goes on its own line whatever its length.
    for (const piece of text.startsWith('h=') ? text.split(/(?<=:)/) : [text]) {
      if (column > 1 && column + piece.length > FOLD_WIDTH) {
        out += '\r\n';
        column = 0;
      }
      if (column === 0) {
        out += ' ';
        column = 1;
      }
      out += piece;
      column += piece.length;
    }
  }
  const unsigned = out;
  return { unsigned, complete: (b) => unsigned + foldBase64(b, column) };
}

/** Appends a base64 value, folding it at FOLD_WIDTH (FWS is allowed anywhere in b=, RFC 6376 §3.5). */
function foldBase64(value: string, startColumn: number): string {
  let out = '';
  let column = startColumn;
  let pos = 0;
  while (pos < value.length) {
    const room = FOLD_WIDTH - column;
    if (room <= 0) {
      out += '\r\n ';
      column = 1;
      continue;
    }
    const piece = value.slice(pos, pos + room);
    out += piece;
    pos += piece.length;
    column += piece.length;
  }
  return out;
}

/**
 * The ARC-Authentication-Results field: `i=N; authserv-id; result; result` (RFC 8617 §4.1.1), or
 * `i=N; authserv-id; none` when this hop recorded no result. Folded: one result per line.
 */
export function layoutAar(instance: number, authservId: string, results: readonly string[], fold: boolean): string {
  const items = results.length > 0 ? results.map(unfold) : ['none'];
  const separator = fold ? ';\r\n ' : '; ';
  return `ARC-Authentication-Results: i=${instance}; ${authservId}${fold ? ';\r\n ' : '; '}${items.join(separator)}`;
}

/**
 * The `arc=` resinfo for this hop's Authentication-Results (RFC 8617 §7.1, RFC 8601 §2.7): the chain status,
 * a comment with the reason when it is not pass, and header.oldest-pass when the chain passes with changes.
 */
export function formatAuthResultsArc(result: ArcValidationResult): string {
  if (result.cv === 'pass') {
    const newest = result.instances[result.instances.length - 1];
    const comment = newest === undefined ? '' : ` (i=${newest.instance} d=${newest.domain})`;
    return `arc=pass${comment}${result.oldestPass ? ` header.oldest-pass=${result.oldestPass}` : ''}`;
  }
  if (result.cv === 'none') return 'arc=none';
  const where = result.failedInstance === undefined ? '' : ` i=${result.failedInstance}`;
  return `arc=fail (${result.reason}${where})`;
}
