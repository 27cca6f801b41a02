// ARC-Authentication-Results (RFC 8617 §4.1.1): reading an AAR's instance and contents, and building a new
// AAR from this hop's Authentication-Results (§5.1 step 1). Parsing of the results themselves is
// src/auth/auth-results; what is here works on raw text and never throws.

import { fieldValue, type HeaderField } from '../../core/message/headers.js';
import { parseArcAuthenticationResults } from '../auth-results/index.js';
import type { ArcAuthResultsView } from './types.js';

/** `i=N;` must open an AAR value (RFC 8617 §4.1.1: "i=" then ";" before the authserv-id). */
const AAR_INSTANCE = /^[ \t\r\n]*i[ \t\r\n]*=[ \t\r\n]*([^;\s]*)[ \t\r\n]*;/;

/** The i= text of an AAR field when the value opens with `i=...;`, else undefined. */
export function aarInstanceTag(field: HeaderField): string | undefined {
  return AAR_INSTANCE.exec(fieldValue(field).toString('latin1'))?.[1];
}

/** Reads an AAR for reporting: authserv-id and results when it parses, the raw text always. */
export function viewAar(field: HeaderField): ArcAuthResultsView {
  const raw = unfold(fieldValue(field).toString('utf8'));
  const parsed = parseArcAuthenticationResults(raw);
  if (parsed.ok) return { authservId: parsed.value.authservId, results: parsed.value.results, raw };
  // The results did not parse; the authserv-id usually still can be read.
  const rest = raw.replace(AAR_INSTANCE, '');
  const id = authservIdOf(rest);
  return { authservId: id ?? '', raw, parseError: parsed.error.message };
}

/** An empty view, for instances whose AAR is missing. */
export function missingAar(): ArcAuthResultsView {
  return { authservId: '', raw: '' };
}

/** Folding removed, whitespace runs made one space, trimmed: the form relaxed canonicalization sees. */
export function unfold(text: string): string {
  return text.replace(/[ \t\r\n]+/g, ' ').trim();
}

/**
 * Splits an Authentication-Results value at its top-level semicolons (not inside comments or quoted
 * strings): the first piece is the authserv-id (with optional version), the rest are resinfos. Each piece is
 * unfolded and trimmed; empty pieces are dropped except the first.
 */
export function splitAuthResults(value: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ';') {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  return pieces.map(unfold).filter((piece, i) => i === 0 || piece !== '');
}

/** The authserv-id of an A-R value: the first word before the first top-level `;`, comments removed. */
export function authservIdOf(value: string): string | undefined {
  const head = splitAuthResults(value)[0] ?? '';
  const word = stripComments(head).trim().split(/\s+/)[0] ?? '';
  return word === '' ? undefined : word.replace(/^"(.*)"$/, '$1');
}

function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/**
 * This hop's results for `authservId`: every Authentication-Results field with that authserv-id
 * (case-insensitive), in message order, split into single resinfos (RFC 8617 §4.1.1: the AAR is a copy of
 * them). `none` entries are left out. Fields are given top first.
 */
export function collectAuthResults(fields: readonly HeaderField[], authservId: string): string[] {
  const wanted = authservId.toLowerCase();
  const results: string[] = [];
  for (const field of fields) {
    if (field.lowerName !== 'authentication-results') continue;
    // latin1: the results are copied into the AAR byte for byte.
    const value = fieldValue(field).toString('latin1');
    if (authservIdOf(value)?.toLowerCase() !== wanted) continue;
    for (const piece of splitAuthResults(value).slice(1)) if (piece.toLowerCase() !== 'none') results.push(piece);
  }
  return results;
}

/** The `arc=` result among resinfos (the first one: headers are given top first, so the newest), lower case. */
export function arcResultOf(results: readonly string[]): string | undefined {
  for (const result of results) {
    const match = /^arc[ \t]*=[ \t]*([A-Za-z]+)/i.exec(result);
    if (match) return (match[1] as string).toLowerCase();
  }
  return undefined;
}
