// The DKIM tag=value list (RFC 6376 §3.2), shared by DKIM-Signature, DKIM key records and ARC's
// ARC-Seal / ARC-Message-Signature. Parses into tags that remember where their values sit in the input,
// so a verifier can blank the b= value in the exact bytes it hashes. Never throws.

/** One tag of a tag-list. Offsets are in the parsed string (use latin1 text so they are byte offsets). */
export interface Tag {
  /** Tag name, case-sensitive (RFC 6376 §3.2). */
  name: string;
  /** The value with leading and trailing whitespace removed; inner folding whitespace kept. */
  value: string;
  /** Offset of the tag name. */
  nameStart: number;
  /** Offset just after the `=`: where the value region (with its surrounding whitespace) starts. */
  valueStart: number;
  /** Offset of the `;` ending the tag, or the end of the input: where the value region ends. */
  valueEnd: number;
}

export interface TagList {
  /** Tags in input order. */
  tags: Tag[];
  /** Tags by name. */
  byName: Map<string, Tag>;
}

export type TagListErrorCode = 'tag-name-expected' | 'equals-expected' | 'invalid-character' | 'duplicate-tag';

export interface TagListError {
  code: TagListErrorCode;
  /** What is wrong, for a person. */
  message: string;
  /** Offset in the input where the problem is. */
  offset: number;
}

export type TagListResult = { ok: true; value: TagList } | { ok: false; error: TagListError };

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DEL = 0x7f;
/** A character that is neither whitespace (FWS), ';' nor VALCHAR: controls and DEL. */
const NOT_VALUE_TEXT = /[^\t\n\r\x20-\x7e\x80-\uffff]/;

function isWhitespace(c: number): boolean {
  // FWS is [*WSP CRLF] 1*WSP; header fields reach us already split at real line ends, so any CR or LF
  // left inside is folding. DNS text never carries them legitimately, and treating them as space is safe.
  return c === SP || c === HTAB || c === CR || c === LF;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAlnumPunc(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

/**
 * Parses a tag-list: `tag=value; tag=value[;]`. Empty tag-specs (`;;`, a trailing `;`) are accepted, as
 * deployed signers produce them. Duplicate tag names make the whole list invalid (RFC 6376 §3.2).
 * Returns the tags with their offsets, or the first error with its offset.
 */
export function parseTagList(input: string): TagListResult {
  const tags: Tag[] = [];
  const byName = new Map<string, Tag>();
  const length = input.length;
  // Without control characters or DEL anywhere, every value is VALCHARs and whitespace up to the next ';',
  // so values are found with indexOf and trimmed instead of checked character by character.
  const clean = !NOT_VALUE_TEXT.test(input);
  let pos = 0;
  while (pos < length) {
    while (pos < length && isWhitespace(input.charCodeAt(pos))) pos++;
    if (pos >= length) break;
    if (input.charCodeAt(pos) === SEMI) {
      pos++;
      continue;
    }
    const nameStart = pos;
    if (!isAlpha(input.charCodeAt(pos))) {
      return fail('tag-name-expected', `expected a tag name (a letter) at offset ${pos}, found ${describe(input, pos)}`, pos);
    }
    pos++;
    while (pos < length && isAlnumPunc(input.charCodeAt(pos))) pos++;
    const name = input.slice(nameStart, pos);
    while (pos < length && isWhitespace(input.charCodeAt(pos))) pos++;
    if (pos >= length || input.charCodeAt(pos) !== EQUALS) {
      return fail('equals-expected', `expected '=' after tag '${name}' at offset ${pos}, found ${describe(input, pos)}`, pos);
    }
    pos++;
    const valueStart = pos;
    let first = -1;
    let last = -1;
    if (clean) {
      pos = input.indexOf(';', pos);
      if (pos === -1) pos = length;
      let from = valueStart;
      let to = pos;
      while (from < to && isWhitespace(input.charCodeAt(from))) from++;
      while (to > from && isWhitespace(input.charCodeAt(to - 1))) to--;
      if (to > from) {
        first = from;
        last = to - 1;
      }
    }
    while (pos < length) {
      const c = input.charCodeAt(pos);
      // VALCHAR = %x21-3A / %x3C-7E, and bytes >= 0x80 for UTF-8 in i= and z= (RFC 8616): everything above
      // SP but ';' and DEL. The rest is whitespace (skipped), ';' (the end) or invalid.
      if (c > SP && c !== SEMI && c !== DEL) {
        if (first === -1) first = pos;
        last = pos;
        pos++;
        continue;
      }
      if (c === SEMI) break;
      if (isWhitespace(c)) {
        pos++;
        continue;
      }
      return fail('invalid-character', `invalid character ${describe(input, pos)} in the value of tag '${name}' at offset ${pos}`, pos);
    }
    const valueEnd = pos;
    if (byName.has(name)) {
      return fail('duplicate-tag', `tag '${name}' appears more than once (second at offset ${nameStart})`, nameStart);
    }
    const tag: Tag = { name, value: first === -1 ? '' : input.slice(first, last + 1), nameStart, valueStart, valueEnd };
    tags.push(tag);
    byName.set(name, tag);
    if (pos < length) pos++; // the ';'
  }
  return { ok: true, value: { tags, byName } };
}

function fail(code: TagListErrorCode, message: string, offset: number): TagListResult {
  return { ok: false, error: { code, message, offset } };
}

function describe(input: string, pos: number): string {
  if (pos >= input.length) return 'the end of the input';
  const c = input.charCodeAt(pos);
  return c >= 0x21 && c <= 0x7e ? `'${input[pos]}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Removes all whitespace (FWS) from a value, as for base64 tags (b=, bh=, p=). */
export function stripWhitespace(value: string): string {
  return value.replace(/[ \t\r\n]+/g, '');
}

/** Splits a colon-separated value (h=, q=, k= lists, RFC 6376 §3.5) and trims whitespace around each item. */
export function splitColonList(value: string): string[] {
  const items: string[] = [];
  const length = value.length;
  let start = 0;
  for (;;) {
    let end = value.indexOf(':', start);
    if (end === -1) end = length;
    let from = start;
    let to = end;
    while (from < to && isWhitespace(value.charCodeAt(from))) from++;
    while (to > from && isWhitespace(value.charCodeAt(to - 1))) to--;
    items.push(value.slice(from, to));
    if (end === length) return items;
    start = end + 1;
  }
}
