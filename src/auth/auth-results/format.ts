// Writing Authentication-Results (RFC 8601 §2.2) as a folded header field. Values are quoted when they
// are not tokens; comments are escaped; no CR, LF or control character from a caller's data reaches the
// header except the folding we add.

import type { AuthResultEntry, AuthResultProp, FormatAuthResultsOptions } from './types.js';

/** Longest comment text we write; longer ones are cut (a comment is for people, not parsers). */
const MAX_COMMENT = 200;
const DEFAULT_LINE_LENGTH = 78;
/** RFC 5322 §2.1.1: no line may exceed 998 characters; a longer unbreakable value is an error. */
const HARD_LINE_LIMIT = 998;

const KEYWORD = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** RFC 2045 token: no space, controls or tspecials ()<>@,;:\"/[]?= */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~A-Za-z0-9]+$/;
/** RFC 8601 pvalue also allows `[local-part "@"] domain-name` bare (dot-atom local part). */
const ADDRESS = /^(?:[!#$%&'*+\-/=?^_`{|}~A-Za-z0-9]+(?:\.[!#$%&'*+\-/=?^_`{|}~A-Za-z0-9]+)*)?@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** A programmer gave format something that cannot be written: a method, result or ptype that is not a keyword. */
export class AuthResultsFormatError extends Error {
  readonly code = 'auth-results-bad-keyword';
  constructor(message: string) {
    super(message);
    this.name = 'AuthResultsFormatError';
  }
}

function flat(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

function keyword(what: string, text: string): string {
  if (!KEYWORD.test(text)) throw new AuthResultsFormatError(`${what} '${flat(text).slice(0, 40)}' is not a keyword (letters, digits, hyphens)`);
  return text.toLowerCase();
}

/** A token stays bare; anything else becomes a quoted-string. */
export function formatValue(text: string, allowAddress = false): string {
  const v = flat(text);
  if (TOKEN.test(v) || (allowAddress && ADDRESS.test(v))) return v;
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function formatComment(text: string): string {
  let v = flat(text).replace(/\s+/g, ' ').trim();
  if (v.length > MAX_COMMENT) v = `${v.slice(0, MAX_COMMENT - 3)}...`;
  return `(${v.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** Property names: keywords, plus `_` as some servers use (`policy.is_org`). */
const PROPERTY = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;

function formatProp(p: AuthResultProp): string {
  if (!PROPERTY.test(p.property)) throw new AuthResultsFormatError(`property '${flat(p.property).slice(0, 40)}' is not a keyword`);
  return `${keyword('ptype', p.ptype)}.${p.property.toLowerCase()}=${formatValue(p.value, true)}`;
}

/** The pieces of one resinfo, to be joined with spaces (and folded between pieces). */
function resinfoPieces(entry: AuthResultEntry): string[] {
  const method = keyword('method', entry.method) + (entry.methodVersion === undefined ? '' : `/${entry.methodVersion}`);
  const pieces = [`${method}=${keyword('result', entry.result)}`];
  if (entry.comment !== undefined && entry.comment.trim() !== '') pieces.push(formatComment(entry.comment));
  if (entry.reason !== undefined) pieces.push(`reason=${formatValue(entry.reason)}`);
  for (const p of entry.props) pieces.push(formatProp(p));
  return pieces;
}

/**
 * Formats a whole `Authentication-Results:` header field, folded: the authserv-id (and version) on the
 * first line, each result on its own continuation line, long results folded between their pieces.
 * `none` when `results` is empty. No trailing newline. Throws AuthResultsFormatError when a method,
 * result or ptype is not a keyword, or a single value would make a line longer than 998 characters.
 * RFC 8601 §2.2, §2.3; RFC 5322 §2.2.3 (folding).
 */
export function formatAuthenticationResults(authservId: string, results: readonly AuthResultEntry[], options: FormatAuthResultsOptions = {}): string {
  const newline = options.newline ?? '\r\n';
  const width = options.lineLength ?? DEFAULT_LINE_LENGTH;
  const indent = '\t';
  const version = options.version === undefined ? '' : ` ${options.version}`;
  if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) {
    throw new AuthResultsFormatError(`version must be a positive integer, got ${options.version}`);
  }
  if (flat(authservId).trim() === '') throw new AuthResultsFormatError('the authserv-id is empty');
  const head = `Authentication-Results: ${formatValue(authservId)}${version};`;
  if (results.length === 0) return `${head} none`;

  const lines: string[] = [head];
  results.forEach((entry, i) => {
    const pieces = resinfoPieces(entry);
    const last = i === results.length - 1;
    let line = indent;
    for (const [j, piece] of pieces.entries()) {
      const text = j === pieces.length - 1 && !last ? `${piece};` : piece;
      if (line.trim() === '') line += text;
      else if (line.length + 1 + text.length <= width) line += ` ${text}`;
      else {
        lines.push(line);
        line = `${indent}${indent}${text}`;
      }
    }
    lines.push(line);
  });
  for (const l of lines) {
    if (l.length > HARD_LINE_LIMIT) throw new AuthResultsFormatError(`a value makes a header line of ${l.length} characters, over ${HARD_LINE_LIMIT}`);
  }
  return lines.join(newline);
}

/** The unfolded header value (no name): what formatAuthenticationResults writes, on one line. */
export function formatAuthenticationResultsValue(authservId: string, results: readonly AuthResultEntry[], options: Omit<FormatAuthResultsOptions, 'lineLength' | 'newline'> = {}): string {
  const version = options.version === undefined ? '' : ` ${options.version}`;
  if (results.length === 0) return `${formatValue(authservId)}${version}; none`;
  return `${formatValue(authservId)}${version}; ${results.map((r) => resinfoPieces(r).join(' ')).join('; ')}`;
}
