// A raw message splitter that keeps exact bytes: the header block becomes fields (each with its raw bytes,
// folding included) and the body is whatever follows the first empty line. DKIM and ARC need exactly this;
// a MIME parser rewrites too much. Line ends are normalised to CRLF first (see line-endings.ts).

import { normalizeLineEndings } from './line-endings.js';
import { makeField, parseHeaderBlock, type HeaderField } from './headers.js';

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
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
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
  return splitCRLFMessage(raw) ?? splitNormalized(raw);
}

/**
 * splitMessage for a message without bare LF, in one walk over its LFs: the walk that checks each LF has a
 * CR before it also finds the header lines, the fields and the empty line. Returns undefined at the first
 * bare LF (the message is then normalised and split as before).
 */
function splitCRLFMessage(raw: Buffer): SplitMessage | undefined {
  const length = raw.length;
  const headers: HeaderField[] = [];
  let at = raw.indexOf(LF);
  if (length >= 2 && raw[0] === CR && raw[1] === LF) {
    // An empty header block; the rest is body.
    at = raw.indexOf(LF, 2);
    for (; at !== -1; at = raw.indexOf(LF, at + 1)) if (raw[at - 1] !== CR) return undefined;
    return { headers, body: raw.subarray(2), hasSeparator: true, headerBytes: 2, lineEndingsNormalized: false };
  }
  let fieldStart = 0;
  for (; at !== -1; at = raw.indexOf(LF, at + 1)) {
    if (at === 0 || raw[at - 1] !== CR) return undefined;
    const next = at + 1;
    if (next >= length) break;
    const first = raw[next];
    if (first === CR && raw[next + 1] === LF) {
      // The empty line: the header block is [0, next), the body starts after its CRLF.
      if (next - 2 > fieldStart) headers.push(makeField(raw.subarray(fieldStart, next - 2)));
      for (let lf = raw.indexOf(LF, next + 2); lf !== -1; lf = raw.indexOf(LF, lf + 1)) if (raw[lf - 1] !== CR) return undefined;
      return { headers, body: raw.subarray(next + 2), hasSeparator: true, headerBytes: next + 2, lineEndingsNormalized: false };
    }
    if (first !== SP && first !== HTAB) {
      headers.push(makeField(raw.subarray(fieldStart, at - 1)));
      fieldStart = next;
    }
  }
  // No empty line: everything is header.
  return { headers: parseHeaderBlock(raw), body: raw.subarray(length), hasSeparator: false, headerBytes: length, lineEndingsNormalized: false };
}

function splitNormalized(raw: Buffer): SplitMessage {
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
