// The streaming splitter: reads chunks until the header block is complete, parses it, and hands the rest
// of the message on as body chunks, so a verifier can hash a body of any size in constant memory.

import { LineEndingNormalizer } from './line-endings.js';
import { parseHeaderBlock, type HeaderField } from './headers.js';
import { findHeaderEnd } from './split.js';

/**
 * The largest header block the streaming splitter buffers. Real header blocks are a few KB; Postfix caps
 * the whole block at 100 KB by default (header_size_limit is per field, 100 KB). 4 MiB leaves room for
 * very long Received/ARC chains while keeping a hostile stream with no empty line from holding memory.
 */
export const MAX_HEADER_BLOCK_BYTES = 4 * 1024 * 1024;

export interface StreamedMessage {
  headers: HeaderField[];
  /** False when the stream ended without an empty line: there is no body. */
  hasSeparator: boolean;
  headerBytes: number;
  /** The body chunks (CRLF-normalised), to be consumed once. */
  body: AsyncIterable<Buffer>;
  /** True once any bare LF was rewritten (final only after the body has been read). */
  lineEndingsNormalized(): boolean;
}

export type StreamSplitError = { code: 'header-too-large'; message: string; limit: number };

export type StreamSplitResult = { ok: true; value: StreamedMessage } | { ok: false; error: StreamSplitError };

/**
 * Reads `source` until the end of the header block and returns the parsed headers and the remaining body
 * as an async iterable. Fails (without throwing) when the header block exceeds `maxHeaderBytes`; errors of
 * the source itself propagate. RFC 5322 §2.1.
 */
export async function splitMessageStream(
  source: AsyncIterable<Buffer | Uint8Array>,
  options: { maxHeaderBytes?: number } = {},
): Promise<StreamSplitResult> {
  const limit = options.maxHeaderBytes ?? MAX_HEADER_BLOCK_BYTES;
  const normalizer = new LineEndingNormalizer();
  const iterator = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let total = 0;
  // The last 3 bytes already seen, so an empty line split across chunks is still found.
  let tail: Buffer = Buffer.alloc(0);
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      const block = Buffer.concat(parts, total);
      return ok(parseHeaderBlock(block), false, total, emptyBody(), normalizer);
    }
    const chunk = normalizer.push(toBuffer(next.value));
    if (chunk.length === 0) continue;
    const window = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
    const windowStart = total - tail.length;
    // findHeaderEnd treats a leading CRLF as an empty header block: only valid at the very start.
    let end: number;
    if (windowStart === 0) end = findHeaderEnd(window);
    else {
      const at = window.indexOf('\r\n\r\n');
      end = at === -1 ? -1 : at + 2;
    }
    if (end !== -1) {
      const headerEnd = windowStart + end; // offset of the empty line in the whole message
      if (headerEnd + 2 > limit) return tooLarge(limit);
      parts.push(chunk);
      total += chunk.length;
      const all = Buffer.concat(parts, total);
      const block = all.subarray(0, headerEnd);
      const rest = all.subarray(headerEnd + 2);
      return ok(parseHeaderBlock(block), true, headerEnd + 2, bodyFrom(rest, iterator, normalizer), normalizer);
    }
    parts.push(chunk);
    total += chunk.length;
    if (total > limit) return tooLarge(limit);
    tail = window.subarray(Math.max(0, window.length - 3));
    if (tail.length > 0) tail = Buffer.from(tail); // do not keep the whole window alive
  }
}

function ok(
  headers: HeaderField[],
  hasSeparator: boolean,
  headerBytes: number,
  body: AsyncIterable<Buffer>,
  normalizer: LineEndingNormalizer,
): StreamSplitResult {
  return { ok: true, value: { headers, hasSeparator, headerBytes, body, lineEndingsNormalized: () => normalizer.changed } };
}

function tooLarge(limit: number): StreamSplitResult {
  return {
    ok: false,
    error: { code: 'header-too-large', message: `the header block is larger than ${limit} bytes`, limit },
  };
}

function toBuffer(chunk: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* emptyBody(): AsyncGenerator<Buffer> {
  // No body: nothing to yield.
}

async function* bodyFrom(
  first: Buffer,
  iterator: AsyncIterator<Buffer | Uint8Array>,
  normalizer: LineEndingNormalizer,
): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    const chunk = normalizer.push(toBuffer(next.value));
    if (chunk.length > 0) yield chunk;
  }
}
