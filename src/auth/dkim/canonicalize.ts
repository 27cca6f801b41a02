// Header canonicalization (RFC 6376 §3.4.1, §3.4.2) on raw bytes, and selection of the header fields a
// signature covers (§5.4.2). Shared with ARC (RFC 8617 §5.1), which uses the same algorithms.

import type { HeaderField } from '../../core/message/headers.js';

export type CanonicalizationAlgorithm = 'simple' | 'relaxed';

export interface Canonicalization {
  header: CanonicalizationAlgorithm;
  body: CanonicalizationAlgorithm;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/**
 * Parses a c= value: `header[/body]`, body defaulting to simple and a missing tag to simple/simple
 * (RFC 6376 §3.5). Case-insensitive. Returns undefined for an unknown algorithm.
 */
export function parseCanonicalization(value: string | undefined): Canonicalization | undefined {
  if (value === undefined) return { header: 'simple', body: 'simple' };
  // The forms signers write, without splitting (this runs once per signature verified).
  switch (value) {
    case 'relaxed/relaxed':
      return { header: 'relaxed', body: 'relaxed' };
    case 'relaxed/simple':
    case 'relaxed':
      return { header: 'relaxed', body: 'simple' };
    case 'simple/simple':
    case 'simple':
      return { header: 'simple', body: 'simple' };
    case 'simple/relaxed':
      return { header: 'simple', body: 'relaxed' };
  }
  const parts = value.toLowerCase().split('/');
  if (parts.length > 2) return undefined;
  const header = parts[0];
  const body = parts[1] ?? 'simple';
  if ((header !== 'simple' && header !== 'relaxed') || (body !== 'simple' && body !== 'relaxed')) return undefined;
  return { header, body };
}

export function formatCanonicalization(c: Canonicalization): string {
  return `${c.header}/${c.body}`;
}

/**
 * Canonicalizes one header field's raw bytes (without its final CRLF). `simple` returns the bytes as they
 * are; `relaxed` lower-cases the name, unfolds, turns whitespace runs into one space and trims around the
 * colon and at the end. Both append CRLF unless `crlf` is false (the signature's own field, §3.7).
 */
export function canonicalizeHeaderField(raw: Buffer, algorithm: CanonicalizationAlgorithm, crlf = true): Buffer {
  if (algorithm === 'simple') return crlf ? Buffer.concat([raw, CRLF_BYTES]) : raw;
  const out = Buffer.allocUnsafe(raw.length + 2);
  return out.subarray(0, writeRelaxedHeader(raw, 0, 0, out, 0, crlf));
}

const CRLF_BYTES = Buffer.from('\r\n');

/**
 * Writes the relaxed form of `raw` into `out` at `n`, leaving out the bytes `[skipFrom, skipTo)` (a b= value
 * being blanked; pass an empty range for none). Returns the new end in `out`, which needs room for
 * raw.length + 2 bytes.
 */
function writeRelaxedHeader(raw: Buffer, skipFrom: number, skipTo: number, out: Buffer, start: number, crlf: boolean): number {
  let n = start;
  let colon = raw.indexOf(COLON);
  if (colon === -1) colon = raw.length; // a malformed field: canonicalize it all as a name
  let nameEnd = colon;
  while (nameEnd > 0 && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HTAB)) nameEnd--;
  for (let i = 0; i < nameEnd; i++) {
    const c = raw[i] as number;
    out[n++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  }
  if (colon < raw.length) {
    out[n++] = COLON;
    let pendingSpace = false;
    let wroteValue = false;
    // The bytes up to `stop` are canonicalized; at `stop` the loop jumps over the skipped range, once.
    const end = raw.length;
    let stop = skipTo > skipFrom && skipFrom > colon ? skipFrom : end;
    for (let i = colon + 1; ; i++) {
      if (i >= stop) {
        if (stop === end) break;
        // The range is skipped when the walk lands on its start (an unfolded CRLF may step over it).
        i = i === stop ? skipTo - 1 : i - 1;
        stop = end;
        continue;
      }
      const c = raw[i] as number;
      if (c > SP) {
        // Most bytes: visible characters.
        if (pendingSpace) {
          out[n++] = SP;
          pendingSpace = false;
        }
        out[n++] = c;
        wroteValue = true;
        continue;
      }
      if (c === CR && raw[i + 1] === LF) {
        i++; // unfold: CRLF inside a field is always followed by whitespace
        continue;
      }
      if (c === SP || c === HTAB) {
        if (wroteValue) pendingSpace = true;
        continue;
      }
      if (pendingSpace) {
        out[n++] = SP;
        pendingSpace = false;
      }
      out[n++] = c;
      wroteValue = true;
    }
  }
  if (crlf) {
    out[n++] = CR;
    out[n++] = LF;
  }
  return n;
}

/**
 * Blanks a value region `[start, end)` of a raw field (the b= value with its surrounding whitespace,
 * RFC 6376 §3.7), keeping every other byte.
 */
export function blankTagValue(raw: Buffer, start: number, end: number): Buffer {
  return Buffer.concat([raw.subarray(0, start), raw.subarray(end)]);
}

/**
 * An index of header fields by lower-case name, for picking the instances an h= list covers. Fields are
 * picked from the bottom up, each instance once; a name with no instance left picks nothing (the "null
 * string", which is how over-signing works). RFC 6376 §5.4.2.
 */
export class HeaderIndex {
  private readonly byName = new Map<string, IndexedName>();
  /** Numbers select calls, so each call's cursors start fresh without a Map of its own. */
  private calls = 0;

  constructor(readonly fields: readonly HeaderField[]) {
    for (let index = 0; index < fields.length; index++) {
      const field = fields[index] as HeaderField;
      if (field.malformed !== undefined) continue;
      const entry = this.byName.get(field.lowerName);
      if (entry === undefined) this.byName.set(field.lowerName, { lowerName: field.lowerName, positions: [index], next: 0, call: 0 });
      else entry.positions.push(index);
    }
  }

  /** How many instances of `lowerName` the message has. */
  count(lowerName: string): number {
    return this.byName.get(lowerName)?.positions.length ?? 0;
  }

  /** Positions of the instances of `lowerName`, top first. */
  positions(lowerName: string): readonly number[] {
    return this.byName.get(lowerName)?.positions ?? [];
  }

  /**
   * Picks, for each name in `names` (any case), the next instance from the bottom, skipping `exclude`
   * (the signature field itself). Returns field positions in h= order; absent instances are left out.
   */
  select(names: readonly string[], exclude = -1): number[] {
    return this.selectWithUnsigned(names, exclude).picked;
  }

  /**
   * select(), plus the lower-case names (in h= order) of which the message has more instances than `names`
   * lists, not counting `exclude`: an added instance of those would go unsigned (RFC 6376 §8.15).
   */
  selectWithUnsigned(names: readonly string[], exclude = -1): { picked: number[]; unsigned: string[] } {
    const call = ++this.calls;
    const used: IndexedName[] = [];
    const picked: number[] = [];
    for (const name of names) {
      const entry = this.byName.get(name.toLowerCase());
      if (entry === undefined) continue;
      if (entry.call !== call) {
        entry.call = call;
        entry.next = entry.positions.length - 1;
        used.push(entry);
      }
      let next = entry.next;
      if (next >= 0 && entry.positions[next] === exclude) next--;
      if (next < 0) {
        entry.next = -1;
        continue;
      }
      picked.push(entry.positions[next] as number);
      entry.next = next - 1;
    }
    const unsigned: string[] = [];
    for (const entry of used) {
      // Instances 0..next were not picked; `exclude`, when among them, is not an instance to sign.
      let left = entry.next + 1;
      if (left > 0 && exclude !== -1 && entry.positions.lastIndexOf(exclude, entry.next) !== -1) left--;
      if (left > 0) unsigned.push(entry.lowerName);
    }
    return { picked, unsigned };
  }
}

/** The instances of one field name, and the cursor a select call moves over them. */
interface IndexedName {
  lowerName: string;
  /** Field positions, top first. */
  positions: number[];
  /** The next instance to pick (from the bottom) in call number `call`; -1 when none is left. */
  next: number;
  call: number;
}

/**
 * The header hash input (RFC 6376 §3.7): the picked fields canonicalized in h= order, then the signature's
 * own field with its b= value blanked, canonicalized, without the final CRLF.
 */
export function headerHashInput(
  fields: readonly HeaderField[],
  picked: readonly number[],
  ownFieldBlanked: Buffer,
  algorithm: CanonicalizationAlgorithm,
): Buffer {
  return headerHashInputSkipping(fields, picked, ownFieldBlanked, 0, 0, algorithm);
}

/**
 * headerHashInput for the signature's own field as sent, with its b= value region `[bFrom, bTo)` (as
 * parseTagList reports it: just after the `=`, up to the `;` or the end) left out while canonicalizing: the
 * same bytes as blankTagValue first, without the copy. One buffer is filled: relaxed output is never
 * longer than the raw field plus CRLF.
 */
export function headerHashInputSkipping(
  fields: readonly HeaderField[],
  picked: readonly number[],
  ownField: Buffer,
  bFrom: number,
  bTo: number,
  algorithm: CanonicalizationAlgorithm,
): Buffer {
  const out = Buffer.allocUnsafe(hashInputBound(fields, picked, ownField));
  return out.subarray(0, writeHashInput(fields, picked, ownField, bFrom, bTo, algorithm, out));
}

/** Reused by headerHashInputTransient, up to MAX_SCRATCH_BYTES; a larger input gets a buffer of its own. */
let scratch = Buffer.alloc(0);
/** Real header hash inputs are a few KB; a huge hostile one is not kept alive after its call. */
const MAX_SCRATCH_BYTES = 64 * 1024;

/**
 * headerHashInputSkipping into a buffer shared between calls: the result is valid only until the next
 * call. For a verifier that hashes it at once; saves allocating (and collecting) a buffer per signature.
 */
export function headerHashInputTransient(
  fields: readonly HeaderField[],
  picked: readonly number[],
  ownField: Buffer,
  bFrom: number,
  bTo: number,
  algorithm: CanonicalizationAlgorithm,
): Buffer {
  const size = hashInputBound(fields, picked, ownField);
  // An inverted range (never from the parser) keeps the copy-bounded behaviour of the allocating version.
  if (size > MAX_SCRATCH_BYTES || bTo < bFrom) return headerHashInputSkipping(fields, picked, ownField, bFrom, bTo, algorithm);
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH_BYTES, Math.max(size, 2 * scratch.length, 4096)));
  return scratch.subarray(0, writeHashInput(fields, picked, ownField, bFrom, bTo, algorithm, scratch));
}

/** An upper bound on the header hash input's size: relaxed output is never longer than the raw field plus CRLF. */
function hashInputBound(fields: readonly HeaderField[], picked: readonly number[], ownField: Buffer): number {
  let size = ownField.length;
  for (const position of picked) size += (fields[position] as HeaderField).raw.length + 2;
  return size;
}

function writeHashInput(
  fields: readonly HeaderField[],
  picked: readonly number[],
  ownField: Buffer,
  bFrom: number,
  bTo: number,
  algorithm: CanonicalizationAlgorithm,
  out: Buffer,
): number {
  let n = 0;
  for (const position of picked) {
    const raw = (fields[position] as HeaderField).raw;
    if (algorithm === 'relaxed') n = writeRelaxedHeader(raw, 0, 0, out, n, true);
    else {
      n += raw.copy(out, n);
      out[n++] = CR;
      out[n++] = LF;
    }
  }
  if (algorithm === 'relaxed') n = writeRelaxedHeader(ownField, bFrom, bTo, out, n, false);
  else {
    n += ownField.copy(out, n, 0, bFrom);
    n += ownField.copy(out, n, bTo);
  }
  return n;
}
