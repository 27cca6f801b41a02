// Streaming body canonicalization and hashing (RFC 6376 §3.4.3, §3.4.4, §3.7 with l=). Body chunks go in,
// a hash comes out; memory stays constant whatever the body size. Trailing empty lines are the one thing
// that needs look-ahead: line ends are counted, not buffered, and written only when more content follows.

import * as nodeCrypto from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import type { CanonicalizationAlgorithm } from './canonicalize.js';

export type BodyHashAlgorithm = 'sha256' | 'sha1';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;

/** Output is collected in blocks of this size before it is hashed: large updates are cheaper than many. */
const OUTPUT_BLOCK_BYTES = 64 * 1024;
/** Pieces at least this long go to the sink as they are: one more update costs less than copying them. */
const DIRECT_WRITE_BYTES = 4096;
/**
 * Output blocks no canonicalizer is using. A block is taken on the first write and given back by `end`
 * (sinks may not keep the buffer past the call), so verifying message after message allocates no 64 KB
 * block per message. A few are kept: one per body being canonicalized at the same time.
 */
const freeBlocks: Buffer[] = [];
const NO_BLOCK = Buffer.alloc(0);
const MAX_FREE_BLOCKS = 8;
/** A block of CRLFs, so a long run of held empty lines is written in a few large pieces. */
const CRLF_BLOCK = Buffer.from('\r\n'.repeat(4096));
const CRLF_TEXT = Buffer.from('\r\n');

/** Receives canonical body bytes. The buffer is only valid during the call. */
export type BodySink = (data: Buffer) => void;

/**
 * Canonicalizes a body given in chunks (CRLF line ends) and passes the canonical bytes to `sink`.
 * Call `push` per chunk and `end` once. A CR at the end of a chunk is held until the next chunk shows
 * whether it starts a CRLF.
 */
export class BodyCanonicalizer {
  private heldLineEnds = 0;
  private heldCR = false;
  private heldSpace = false;
  private wroteContent = false;
  /** relaxed: the next byte starts a line (the last bytes seen were CRLF, or nothing yet). */
  private atLineStart = true;
  private block: Buffer = NO_BLOCK;
  private used = 0;

  constructor(
    readonly algorithm: CanonicalizationAlgorithm,
    private readonly sink: BodySink,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.algorithm === 'simple') this.pushSimple(chunk);
    else this.pushRelaxed(chunk);
  }

  /** Finishes the body: drops trailing empty lines and ends non-empty (or, for simple, any) body with CRLF. */
  end(): void {
    if (this.heldCR) {
      // A lone CR at the very end is content, not a line end.
      this.heldCR = false;
      this.writeContentStart();
      this.writeByte(CR);
    }
    if (this.algorithm === 'simple' || this.wroteContent) this.writeBytes(CRLF_BLOCK, 0, 2);
    this.flush();
    if (this.block !== NO_BLOCK) {
      if (freeBlocks.length < MAX_FREE_BLOCKS) freeBlocks.push(this.block);
      this.block = NO_BLOCK;
    }
  }

  // simple: content passes through as it is; only the trailing run of CRLFs in a chunk is held back.
  private pushSimple(chunk: Buffer): void {
    let start = 0;
    if (this.heldCR) {
      this.heldCR = false;
      if (chunk[0] === LF) {
        this.heldLineEnds++;
        start = 1;
      } else {
        this.writeContentStart();
        this.writeByte(CR);
      }
    }
    let end = chunk.length;
    let trailingCR = false;
    if (end > start && chunk[end - 1] === CR) {
      trailingCR = true;
      end--;
    }
    let trailingLineEnds = 0;
    while (end - start >= 2 && chunk[end - 1] === LF && chunk[end - 2] === CR) {
      end -= 2;
      trailingLineEnds++;
    }
    if (end > start) {
      this.writeContentStart();
      this.writeBytes(chunk, start, end);
      this.heldLineEnds = trailingLineEnds;
    } else {
      this.heldLineEnds += trailingLineEnds;
    }
    this.heldCR = trailingCR;
  }

  // relaxed: whitespace runs become one SP (dropped at line end), line ends are held until content follows.
  // Only a tab, two spaces in a row or a space before CRLF change anything: everything between those
  // (found with a native indexOf for tabs and a word-at-a-time scan for the rest) passes through as one slice. The lines holding them, and the last
  // partial line of a chunk, go through the byte-by-byte state machine.
  private pushRelaxed(chunk: Buffer): void {
    const length = chunk.length;
    const heldCRBefore = this.heldCR;
    let i = 0;
    if (this.heldCR) {
      this.heldCR = false;
      if (chunk[0] === LF) {
        this.heldSpace = false;
        this.heldLineEnds++;
        i = 1;
      } else {
        this.writeContentStart();
        this.writeByte(CR);
      }
    }
    if (!this.atLineStart && i === 0) {
      // Finish the line the previous chunk left open.
      const lineEnd = chunk.indexOf(CRLF_TEXT);
      const to = lineEnd === -1 ? length : lineEnd + 2;
      this.relaxedBytes(chunk, 0, to);
      i = to;
    }
    const lastLine = chunk.lastIndexOf(CRLF_TEXT);
    const wholeLinesEnd = lastLine === -1 || lastLine + 2 < i ? i : lastLine + 2;
    // tabAt and runAt cache the next hit of each scan, so no byte is scanned twice.
    let tabAt = -2;
    let runAt = -2;
    while (i < wholeLinesEnd) {
      if (tabAt !== -1 && tabAt < i) tabAt = chunk.indexOf(HTAB, i);
      const limit = tabAt !== -1 && tabAt < wholeLinesEnd ? tabAt : wholeLinesEnd;
      if (runAt < i) runAt = indexOfSpaceRun(chunk, i, limit);
      let special = runAt < limit ? runAt : limit;
      if (special >= wholeLinesEnd) {
        this.writeVerbatim(chunk, i, wholeLinesEnd);
        break;
      }
      // Start the state machine at the beginning of the whitespace run the special byte belongs to.
      while (special > i && (chunk[special - 1] === SP || chunk[special - 1] === HTAB)) special--;
      if (special > i) this.writeVerbatim(chunk, i, special);
      const lineEnd = chunk.indexOf(CRLF_TEXT, special);
      this.relaxedBytes(chunk, special, lineEnd + 2);
      i = lineEnd + 2;
    }
    if (wholeLinesEnd > i) i = wholeLinesEnd;
    if (i < length) this.relaxedBytes(chunk, i, length);
    const last = chunk[length - 1];
    this.atLineStart = !this.heldCR && last === LF && (length >= 2 ? chunk[length - 2] === CR : heldCRBefore);
  }

  /** Passes `chunk[from, to)` on unchanged (it needs no relaxed rewriting), holding its trailing line ends. */
  private writeVerbatim(chunk: Buffer, from: number, to: number): void {
    let end = to;
    let lineEnds = 0;
    while (end - from >= 2 && chunk[end - 1] === LF && chunk[end - 2] === CR) {
      end -= 2;
      lineEnds++;
    }
    if (end > from) {
      this.writeContentStart();
      this.writeBytes(chunk, from, end);
      this.heldLineEnds = lineEnds;
    } else {
      this.heldLineEnds += lineEnds;
    }
  }

  /** The relaxed state machine over `chunk[from, to)`, byte by byte. */
  private relaxedBytes(chunk: Buffer, from: number, to: number): void {
    const block = this.outputBlock();
    for (let i = from; i < to; i++) {
      const c = chunk[i] as number;
      if (c === SP || c === HTAB) {
        this.heldSpace = true;
        continue;
      }
      if (c === CR) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === LF) {
            this.heldSpace = false;
            this.heldLineEnds++;
            i++;
            continue;
          }
        } else {
          this.heldCR = true;
          continue;
        }
      }
      if (this.heldLineEnds > 0 || this.heldSpace || this.used === OUTPUT_BLOCK_BYTES) this.writeContentStart();
      block[this.used++] = c;
      this.wroteContent = true;
    }
  }

  /** Writes what is held before content: line ends, then (relaxed) the single space. */
  private writeContentStart(): void {
    while (this.heldLineEnds > 0) {
      const n = Math.min(this.heldLineEnds, CRLF_BLOCK.length / 2);
      this.writeBytes(CRLF_BLOCK, 0, n * 2);
      this.heldLineEnds -= n;
    }
    if (this.heldSpace) {
      this.heldSpace = false;
      this.writeByte(SP);
    }
    if (this.used === OUTPUT_BLOCK_BYTES) this.flush();
    this.wroteContent = true;
  }

  private writeByte(c: number): void {
    if (this.used === OUTPUT_BLOCK_BYTES) this.flush();
    this.outputBlock()[this.used++] = c;
  }

  private writeBytes(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length >= DIRECT_WRITE_BYTES) {
      // Large pieces go straight to the sink, without a copy.
      this.flush();
      this.sink(source.subarray(start, end));
      return;
    }
    if (this.used + length > OUTPUT_BLOCK_BYTES) this.flush();
    source.copy(this.outputBlock(), this.used, start, end);
    this.used += length;
  }

  private outputBlock(): Buffer {
    if (this.block === NO_BLOCK) this.block = freeBlocks.pop() ?? Buffer.allocUnsafe(OUTPUT_BLOCK_BYTES);
    return this.block;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.sink(this.block.subarray(0, this.used));
    this.used = 0;
  }
}

export interface BodyHashResult {
  /** The hash of the first `hashedLength` canonical octets. */
  hash: Buffer;
  /** Octets hashed: min(limit, canonicalLength). */
  hashedLength: number;
  /** Octets in the whole canonical body, l= or not. */
  canonicalLength: number;
}

/**
 * Hashes a body in chunks: canonicalizes, hashes up to `limit` canonical octets (the l= tag) and counts
 * the rest, so a caller can tell how much of the body the signature does not cover.
 */
export class BodyHasher {
  /** Created on the first bytes that cannot be hashed in one shot (see hashWhole). */
  private hash: Hash | undefined;
  private readonly canonicalizer: BodyCanonicalizer;
  private canonicalLength = 0;
  private hashedLength = 0;
  private result: BodyHashResult | undefined;
  /**
   * During hashWhole: the body, and the range of it that the canonical bytes so far equal. Canonical output
   * is often the body's own bytes (the canonicalizer passes large pieces on as views of it, and the final
   * CRLF matches the body's last line end), so the digest is one crypto.hash call, without a Hash object.
   */
  private source: Buffer | undefined;
  private sourceFrom = 0;
  private sourceTo = 0;

  constructor(
    canonicalization: CanonicalizationAlgorithm,
    private readonly algorithm: BodyHashAlgorithm,
    private readonly limit: number = Infinity,
  ) {
    this.canonicalizer = new BodyCanonicalizer(canonicalization, (data) => this.take(data));
  }

  update(chunk: Buffer): void {
    this.canonicalizer.push(chunk);
  }

  /**
   * The whole body at once (no update before, none after): canonicalizes, hashes and returns what digest()
   * returns. `body` is only read during the call.
   */
  hashWhole(body: Buffer): BodyHashResult {
    if (this.result !== undefined || this.canonicalLength > 0 || oneShotHash === undefined) {
      this.update(body);
      return this.digest();
    }
    this.source = body;
    this.sourceFrom = 0;
    this.sourceTo = -1;
    try {
      this.canonicalizer.push(body);
      this.canonicalizer.end();
      if (this.source !== undefined) {
        const hashed = this.sourceTo === -1 ? body.subarray(0, 0) : body.subarray(this.sourceFrom, this.sourceTo);
        this.result = { hash: oneShotHash(this.algorithm, hashed, 'buffer'), hashedLength: this.hashedLength, canonicalLength: this.canonicalLength };
        return this.result;
      }
    } finally {
      this.source = undefined;
    }
    // The one-shot path ended on the way (extendSource created the Hash); the body is already ended.
    this.hash ??= createHash(this.algorithm);
    this.result = { hash: this.hash.digest(), hashedLength: this.hashedLength, canonicalLength: this.canonicalLength };
    return this.result;
  }

  /** Ends the body and returns the hash; later calls return the same result. */
  digest(): BodyHashResult {
    if (this.result === undefined) {
      this.canonicalizer.end();
      this.hash ??= createHash(this.algorithm);
      this.result = { hash: this.hash.digest(), hashedLength: this.hashedLength, canonicalLength: this.canonicalLength };
    }
    return this.result;
  }

  private take(data: Buffer): void {
    this.canonicalLength += data.length;
    if (this.hashedLength >= this.limit) return;
    const room = this.limit - this.hashedLength;
    const piece = data.length <= room ? data : data.subarray(0, room);
    if (this.source !== undefined && this.extendSource(piece)) {
      this.hashedLength += piece.length;
      return;
    }
    this.hash ??= createHash(this.algorithm);
    this.hash.update(piece);
    this.hashedLength += piece.length;
  }

  /**
   * Whether `piece` continues the body range hashed so far (a view of the body, or bytes equal to the body's
   * next bytes), extending the range. When it does not, the range so far goes to a Hash and the one-shot
   * path ends.
   */
  private extendSource(piece: Buffer): boolean {
    const source = this.source as Buffer;
    const length = piece.length;
    if (this.sourceTo === -1) {
      // The first piece: a view of the body starts the range.
      if (piece.buffer === source.buffer && piece.byteOffset >= source.byteOffset && piece.byteOffset + length <= source.byteOffset + source.length) {
        this.sourceFrom = piece.byteOffset - source.byteOffset;
        this.sourceTo = this.sourceFrom + length;
        return true;
      }
    } else {
      const to = this.sourceTo;
      const isView = piece.buffer === source.buffer && piece.byteOffset === source.byteOffset + to && to + length <= source.length;
      if (isView || (length <= 64 && to + length <= source.length && sameBytes(piece, source, to))) {
        this.sourceTo = to + length;
        return true;
      }
    }
    this.hash = createHash(this.algorithm);
    if (this.sourceTo !== -1) this.hash.update(source.subarray(this.sourceFrom, this.sourceTo));
    this.source = undefined;
    return false;
  }
}

/** Whether `source` holds the bytes of `piece` at `at` (a short piece: compared in place, no view made). */
function sameBytes(piece: Buffer, source: Buffer, at: number): boolean {
  for (let k = 0; k < piece.length; k++) if (piece[k] !== source[at + k]) return false;
  return true;
}

/** crypto.hash (Node 20.12+): a one-shot digest without a Hash object. */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer }).hash;

/** Hashes a whole body held in memory (a convenience over BodyHasher). */
export function hashBody(
  body: Buffer,
  canonicalization: CanonicalizationAlgorithm,
  algorithm: BodyHashAlgorithm,
  limit?: number,
): BodyHashResult {
  return new BodyHasher(canonicalization, algorithm, limit).hashWhole(body);
}

/** Canonicalizes a whole body held in memory (for tests and tools; hashing uses the streaming path). */
export function canonicalizeBody(body: Buffer, canonicalization: CanonicalizationAlgorithm): Buffer {
  const parts: Buffer[] = [];
  const canonicalizer = new BodyCanonicalizer(canonicalization, (data) => parts.push(Buffer.from(data)));
  canonicalizer.push(body);
  canonicalizer.end();
  return Buffer.concat(parts);
}

// Buffer#indexOf with a two- or three-byte needle starting with SP stops at every space of the text (about
// 10 µs per 10 KB), and a byte loop costs about as much. indexOfSpaceRun reads four bytes at a time instead.

/** Whether this platform stores a Uint32 low byte first (the word scan below assumes it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const ONES = 0x01010101;
const HIGHS = 0x80808080;
const NO_WORDS = new Int32Array(0);

/** Whether `chunk[at]` is a space starting two spaces or a space before CRLF. */
function isSpaceRunAt(chunk: Buffer, at: number): boolean {
  if (chunk[at] !== SP) return false;
  const next = chunk[at + 1];
  return next === SP || (next === CR && chunk[at + 2] === LF);
}

/**
 * The first offset in `[from, to)` where two spaces or a space before CRLF start, or `to` when there is
 * none (bytes from `to` on may be read to finish a match). Each 32-bit word gets a bit per space and per
 * CR byte (the zero-byte test, which may flag a byte just above a real match but never misses one), and a
 * word is looked at byte by byte only when a space is flagged before a space or CR.
 */
function indexOfSpaceRun(chunk: Buffer, from: number, to: number): number {
  let head = ((chunk.byteOffset + from + 3) & ~3) - chunk.byteOffset;
  if (!LITTLE_ENDIAN || head > to) head = to;
  for (let at = from; at < head; at++) if (isSpaceRunAt(chunk, at)) return at;
  const count = (to - head) >>> 2;
  // An Int32Array must start on a multiple of 4 even when empty: `head` is one whenever count > 0.
  const words = count > 0 ? new Int32Array(chunk.buffer, chunk.byteOffset + head, count) : NO_WORDS;
  let carry = 0; // the flag of a space in the previous word's last byte, moved to the first byte's place
  for (let k = 0; k < count; k++) {
    const word = words[k] as number;
    const xs = word ^ 0x20202020;
    const spaces = (xs - ONES) & ~xs & HIGHS;
    const xc = word ^ 0x0d0d0d0d;
    const followers = spaces | ((xc - ONES) & ~xc & HIGHS);
    if (((spaces & (followers >>> 8)) | (carry & followers)) !== 0) {
      const at = head + (k << 2);
      for (let b = at - 1 < from ? from : at - 1; b < at + 4; b++) if (isSpaceRunAt(chunk, b)) return b;
    }
    carry = spaces >>> 24;
  }
  const tail = head + (count << 2);
  for (let at = tail - 1 < from ? from : tail - 1; at < to; at++) if (isSpaceRunAt(chunk, at)) return at;
  return to;
}
