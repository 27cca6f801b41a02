// A raw message splitter that keeps exact bytes: the header block becomes fields (each with its raw bytes,
// folding included) and the body is whatever follows the first empty line. DKIM and ARC need exactly this;
// a MIME parser rewrites too much. Line ends are normalised to CRLF first (see line-endings.ts).

import { normalizeLineEndings } from './line-endings.js';
import { parseHeaderBlock, type HeaderField } from './headers.js';

export interface SplitMessage {
  headers: HeaderField[];
  /** The body bytes after the empty line, CRLF line ends; empty when there is no separator. */
  body: Buffer;
  /** False when the message has no empty line: everything is header, the body is absent (treated as empty). */
  hasSeparator: boolean;
  /** Bytes in the header block, including the final empty line. */
  headerBytes: number;
  /** True when bare LFs were rewritten to CRLF. */
  lineEndingsNormalized: boolean;
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Finds the end of the header block in CRLF-normalised bytes: returns the offset of the empty line (the
 * header block is `[0, offset)`, the body starts at `offset + 2`), or -1 when there is none. A message
 * that starts with CRLF has an empty header block (offset 0). RFC 5322 §2.1.
 */
export function findHeaderEnd(message: Buffer): number {
  if (message.length >= 2 && message[0] === 0x0d && message[1] === 0x0a) return 0;
  const at = message.indexOf(CRLFCRLF);
  return at === -1 ? -1 : at + 2;
}

/**
 * Splits a whole message held in memory. Never throws: no separator means no body, NUL bytes and other
 * odd bytes are kept as they are. The body is a view on the (normalised) input, not a copy.
 */
export function splitMessage(raw: Buffer): SplitMessage {
  const message = normalizeLineEndings(raw);
  const end = findHeaderEnd(message);
  if (end === -1) {
    return {
      headers: parseHeaderBlock(message),
      body: message.subarray(message.length),
      hasSeparator: false,
      headerBytes: message.length,
      lineEndingsNormalized: message !== raw,
    };
  }
  return {
    headers: parseHeaderBlock(message.subarray(0, end)),
    body: message.subarray(end + CRLF.length),
    hasSeparator: true,
    headerBytes: end + CRLF.length,
    lineEndingsNormalized: message !== raw,
  };
}
