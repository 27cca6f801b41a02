// Authentication-Results (RFC 8601) as typed values: what format takes and parse returns.

/** Property types registered by RFC 8601 §2.3; parse also returns others it meets (e.g. `dns`, RFC 8904). */
export type AuthResultPtype = 'smtp' | 'header' | 'body' | 'policy';

export interface AuthResultProp {
  /** Lower case after parsing. */
  ptype: AuthResultPtype | (string & {});
  /** Lower case after parsing, e.g. `mailfrom`, `d`, `from`, `dmarc`. */
  property: string;
  value: string;
}

/** One resinfo: `method=result [reason=...] [(comment)] ptype.property=value ...`. */
export interface AuthResultEntry {
  /** Lower case after parsing, e.g. `spf`, `dkim`, `dmarc`, `arc`, `iprev`. */
  method: string;
  /** From `method/N`, rarely used (RFC 8601 §2.2). */
  methodVersion?: number;
  /** Lower case after parsing, e.g. `pass`, `fail`, `none`, `temperror`. */
  result: string;
  /** The `reason=` value. */
  reason?: string;
  /** Free text; when parsing, every comment of the resinfo joined with a space. */
  comment?: string;
  props: AuthResultProp[];
  /**
   * Parse only: bare `name=value` items that are neither `reason` nor `ptype.property`, as Microsoft
   * (`action=none`, `compauth=pass reason=100`) and Fastmail (`x-bits=2048`) write them.
   */
  extras?: { name: string; value: string }[];
}

export interface AuthResults {
  /** '' when the header has none (Microsoft 365 writes headers without one; warning `missing-authserv-id`). */
  authservId: string;
  version?: number;
  /** Empty for `none`. */
  results: AuthResultEntry[];
  /** Leniencies applied while parsing, as stable codes (see docs/auth-results.md). */
  warnings: AuthResultsWarning[];
}

export type AuthResultsWarning = 'missing-authserv-id' | 'missing-semicolon' | 'empty-value' | 'no-result-keyword';

export interface ArcAuthResults extends AuthResults {
  /** The `i=` instance, 1..50 (RFC 8617 §4.2.1). */
  instance: number;
}

/**
 * Why a value did not parse. Stable codes:
 * - `too-long`: longer than MAX_AUTH_RESULTS_LENGTH.
 * - `bad-character`: NUL or another control character (only TAB, CR and LF are allowed).
 * - `unbalanced-comment`: a `(` without its `)`, or a stray `)`.
 * - `unterminated-quote`: a quoted-string without its closing `"`.
 * - `comment-too-deep`: comments nested deeper than MAX_COMMENT_DEPTH.
 * - `missing-authserv-id`: nothing usable before the first `;`.
 * - `bad-method`: a resinfo that does not start `method=result`.
 * - `bad-property`: an item after the result that is not `name=value`.
 * - `too-many-results`: more than MAX_RESULTS resinfos.
 * - `missing-instance` / `bad-instance`: ARC only, no `i=N;` first or N outside 1..50.
 * - `empty`: the value is empty.
 */
export type AuthResultsErrorCode =
  | 'too-long'
  | 'bad-character'
  | 'unbalanced-comment'
  | 'unterminated-quote'
  | 'comment-too-deep'
  | 'missing-authserv-id'
  | 'bad-method'
  | 'bad-property'
  | 'too-many-results'
  | 'missing-instance'
  | 'bad-instance'
  | 'empty';

export interface AuthResultsError {
  code: AuthResultsErrorCode;
  /** Character offset in the value where the problem is. */
  offset: number;
  message: string;
}

export type AuthResultsParseResult = { ok: true; value: AuthResults } | { ok: false; error: AuthResultsError };
export type ArcAuthResultsParseResult = { ok: true; value: ArcAuthResults } | { ok: false; error: AuthResultsError };

export interface FormatAuthResultsOptions {
  /** The authres-version after the authserv-id; RFC 8601 says omit it for version 1. */
  version?: number;
  /** Fold before this many characters per line where possible; default 78 (RFC 5322 §2.1.1). */
  lineLength?: number;
  /** Default CRLF. */
  newline?: '\r\n' | '\n';
}
