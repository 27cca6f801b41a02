// A cursor over a header value that knows RFC 5322 CFWS: whitespace, folding and nested comments with
// quoted-pairs. Errors come back as values with an offset; nothing here throws on input.

import type { AuthResultsError } from './types.js';

/** Comments nested deeper than this are hostile, not real mail. */
export const MAX_COMMENT_DEPTH = 16;

export class Scanner {
  pos = 0;
  /** Comments met by skipCfws() since the last takeComments(). */
  private comments: string[] = [];

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  fail(code: AuthResultsError['code'], message: string, offset = this.pos): AuthResultsError {
    return { code, offset, message };
  }

  /** Skips whitespace, folding and comments; returns an error for an unclosed comment. */
  skipCfws(): AuthResultsError | null {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
      } else if (c === '(') {
        const err = this.readComment();
        if (err) return err;
      } else if (c === ')') {
        return this.fail('unbalanced-comment', "')' without a matching '('");
      } else {
        return null;
      }
    }
  }

  private readComment(): AuthResultsError | null {
    const start = this.pos;
    let depth = 0;
    let text = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string;
      if (c === '\\' && this.pos < this.text.length) {
        text += this.text[this.pos++];
      } else if (c === '(') {
        depth++;
        if (depth > MAX_COMMENT_DEPTH) return this.fail('comment-too-deep', `comments nested deeper than ${MAX_COMMENT_DEPTH}`, this.pos - 1);
        if (depth > 1) text += c;
      } else if (c === ')') {
        depth--;
        if (depth === 0) {
          this.comments.push(text.replace(/[\r\n]+[ \t]*/g, ' ').replace(/[ \t]+/g, ' ').trim());
          return null;
        }
        text += c;
      } else {
        text += c;
      }
    }
    return this.fail('unbalanced-comment', "'(' without a matching ')'", start);
  }

  takeComments(): string[] {
    const out = this.comments;
    this.comments = [];
    return out;
  }

  /** Consumes `char` if it is next. */
  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.pos++;
    return true;
  }

  /** A run of keyword characters (ldh-str, plus `_` and `.` which real servers use), possibly empty. */
  word(): string {
    const m = /^[A-Za-z0-9_.-]+/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!m) return '';
    // A keyword longer than the window is still read whole.
    let end = this.pos + m[0].length;
    while (end < this.text.length && /[A-Za-z0-9_.-]/.test(this.text[end] as string)) end++;
    const w = this.text.slice(this.pos, end);
    this.pos = end;
    return w;
  }

  /** A quoted-string at the cursor (which is on `"`), unescaped. */
  quoted(): { value: string } | AuthResultsError {
    const start = this.pos++;
    let value = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string;
      if (c === '\\' && this.pos < this.text.length) value += this.text[this.pos++];
      else if (c === '"') return { value: value.replace(/\r?\n[ \t]*/g, ' ') };
      else value += c;
    }
    return this.fail('unterminated-quote', "'\"' without a closing '\"'", start);
  }

  /**
   * A value: a quoted-string, or a run of anything up to whitespace, `;` or `(`. Wider than RFC 8601's
   * token / addr-spec because real headers carry base64 (`header.b=ab/+c=`) and `smtp.bits=256/256`.
   */
  value(): { value: string } | AuthResultsError {
    if (this.peek() === '"') {
      const start = this.pos;
      const q = this.quoted();
      if ('code' in q || this.peek() !== '@') return q;
      // A quoted local part of an address (RFC 8601 pvalue): keep the address as written.
      while (this.pos < this.text.length && !/[\s;()]/.test(this.text[this.pos] as string)) this.pos++;
      return { value: this.text.slice(start, this.pos) };
    }
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s;()]/.test(this.text[this.pos] as string)) this.pos++;
    return { value: this.text.slice(start, this.pos) };
  }
}
