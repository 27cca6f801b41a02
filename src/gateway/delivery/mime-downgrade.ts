// 8-bit → 7-bit MIME conversion for delivery to a server that does not offer 8BITMIME (RFC 6152 §3: such a
// message must be converted or returned, never sent as it is). Each leaf part holding 8-bit octets is
// re-encoded — quoted-printable for text, base64 otherwise — and its Content-Transfer-Encoding rewritten;
// multipart bodies and message/rfc822 parts are walked (RFC 2045, RFC 2046). A message without MIME headers
// gets MIME-Version and `text/plain; charset=unknown-8bit` (RFC 1428: the octets are kept, their charset is
// not known). What cannot be converted without changing meaning is refused: 8-bit header fields, 8-bit text
// in a multipart preamble or epilogue, 8-bit data in a part that claims to be base64 or quoted-printable.
// Pure: bytes in, bytes out. A DKIM signature over the original body no longer verifies after conversion.

import { fieldValue, parseHeaderBlock, type HeaderField } from '../../core/message/headers.js';

export type DowngradeResult = { ok: true; data: Buffer; convertedParts: number } | { ok: false; reason: string };

/** Nesting beyond this (multipart in message in multipart …) is refused rather than walked. */
export const MAX_MIME_DEPTH = 32;
const QP_LINE = 76;
const BASE64_LINE = 76;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Whether `data[from, to)` holds an octet above 0x7f. */
export function has8bit(data: Buffer, from = 0, to = data.length): boolean {
  for (let i = from; i < to; i++) if ((data[i] as number) > 0x7f) return true;
  return false;
}

class Refusal extends Error {}

/** Converts a CRLF message to 7-bit MIME, or says why it cannot be done. A 7-bit message comes back as it is. */
export function downgradeTo7bit(message: Buffer): DowngradeResult {
  if (!has8bit(message)) return { ok: true, data: message, convertedParts: 0 };
  try {
    const counter = { parts: 0 };
    const data = convertEntity(message, 0, counter, true);
    return { ok: true, data, convertedParts: counter.parts };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The header block (with its final CRLF) and the body of an entity; no separator means all header. */
function splitEntity(entity: Buffer): { header: Buffer; body: Buffer } {
  if (entity.length >= 2 && entity[0] === 0x0d && entity[1] === 0x0a) return { header: entity.subarray(0, 0), body: entity.subarray(2) };
  const at = entity.indexOf(CRLFCRLF);
  if (at === -1) return { header: entity, body: entity.subarray(entity.length) };
  return { header: entity.subarray(0, at + 2), body: entity.subarray(at + 4) };
}

function headerText(fields: readonly HeaderField[], lowerName: string): string | undefined {
  const field = fields.find((f) => f.lowerName === lowerName);
  return field === undefined ? undefined : fieldValue(field).toString('latin1').replace(/\r\n[ \t]/g, ' ').trim();
}

interface ContentType {
  type: string;
  subtype: string;
  boundary?: string;
}

/** RFC 822 comments (nested parentheses) removed, leaving quoted strings as they are. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
    } else if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '"') {
      quoted = !quoted;
      out += c;
    } else if (c === '(' && !quoted) {
      depth = 1;
      out += ' ';
    } else out += c;
  }
  return out;
}

/** type/subtype and the boundary parameter (RFC 2045 §5.1), comments and case aside. */
export function parseContentType(value: string | undefined, defaultType: string): ContentType {
  const text = withoutComments(value ?? defaultType);
  const match = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*\/\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/.exec(text);
  const [type, subtype] = match ? [(match[1] as string).toLowerCase(), (match[2] as string).toLowerCase()] : defaultType.split('/') as [string, string];
  const boundary = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i.exec(text);
  const result: ContentType = { type, subtype };
  const b = boundary?.[1]?.replace(/\\(.)/g, '$1') ?? boundary?.[2];
  if (b !== undefined && b.length > 0 && b.length <= 70) result.boundary = b;
  return result;
}

function convertEntity(entity: Buffer, depth: number, counter: { parts: number }, topLevel: boolean, defaultType = 'text/plain'): Buffer {
  if (depth > MAX_MIME_DEPTH) throw new Refusal(`MIME nesting deeper than ${MAX_MIME_DEPTH}`);
  const { header, body } = splitEntity(entity);
  if (has8bit(header)) throw new Refusal('8-bit octets in header fields (they cannot be converted without RFC 2047 rewriting)');
  if (!has8bit(body)) return entity;
  const fields = parseHeaderBlock(header);
  const contentType = parseContentType(headerText(fields, 'content-type'), defaultType);
  const encoding = (headerText(fields, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64' || encoding === 'quoted-printable') throw new Refusal(`8-bit octets in a part declared ${encoding}`);

  if (contentType.type === 'multipart') {
    if (contentType.boundary === undefined) throw new Refusal('a multipart part without a boundary');
    const converted = convertMultipart(body, contentType.boundary, contentType.subtype === 'digest' ? 'message/rfc822' : 'text/plain', depth, counter);
    return Buffer.concat([withEncoding(header, fields, '7bit', topLevel, false), CRLF, converted]);
  }
  if (contentType.type === 'message' && (contentType.subtype === 'rfc822' || contentType.subtype === 'global')) {
    // RFC 2046 §5.2.1: only 7bit, 8bit or binary; the embedded message is converted instead.
    return Buffer.concat([withEncoding(header, fields, '7bit', topLevel, false), CRLF, convertEntity(body, depth + 1, counter, false)]);
  }
  counter.parts++;
  const isText = contentType.type === 'text';
  const encoded = isText ? encodeQuotedPrintable(body) : encodeBase64(body);
  const noMimeHeaders = topLevel && headerText(fields, 'mime-version') === undefined && headerText(fields, 'content-type') === undefined;
  const newHeader = withEncoding(header, fields, isText ? 'quoted-printable' : 'base64', topLevel, noMimeHeaders);
  return Buffer.concat([newHeader, CRLF, encoded]);
}

/**
 * The header block with every Content-Transfer-Encoding field replaced by one naming `encoding`. For a
 * top-level message without MIME headers, MIME-Version and a text/plain unknown-8bit type go in too.
 */
function withEncoding(header: Buffer, fields: readonly HeaderField[], encoding: string, topLevel: boolean, addMimeHeaders: boolean): Buffer {
  const kept = fields.filter((f) => f.lowerName !== 'content-transfer-encoding').map((f) => Buffer.concat([f.raw, CRLF]));
  const added: string[] = [];
  if (topLevel && addMimeHeaders) added.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=unknown-8bit');
  if (encoding !== '7bit' || fields.some((f) => f.lowerName === 'content-transfer-encoding')) added.push(`Content-Transfer-Encoding: ${encoding}`);
  if (kept.length === fields.length && added.length === 0) return header;
  return Buffer.concat([...kept, Buffer.from(added.map((line) => `${line}\r\n`).join(''))]);
}

/** Converts each body part between the delimiters; the delimiter lines, preamble and epilogue stay as they are. */
function convertMultipart(body: Buffer, boundary: string, defaultType: string, depth: number, counter: { parts: number }): Buffer {
  const delimiter = Buffer.from(`--${boundary}`);
  // Delimiter lines: at the start of the body or after a CRLF (which belongs to the delimiter, RFC 2046 §5.1.1).
  const starts: number[] = [];
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + 1)) {
    if ((at === 0 || (body[at - 1] === 0x0a && body[at - 2] === 0x0d)) && endsDelimiter(body, at + delimiter.length)) starts.push(at);
  }
  if (starts.length === 0) throw new Refusal(`no delimiter line for boundary "${boundary}"`);
  const out: Buffer[] = [];
  const preambleEnd = (starts[0] as number) === 0 ? 0 : (starts[0] as number) - 2;
  if (has8bit(body, 0, preambleEnd)) throw new Refusal('8-bit octets in a multipart preamble');
  out.push(body.subarray(0, starts[0]));
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k] as number;
    const lineEnd = body.indexOf(CRLF, start);
    const line = body.subarray(start, lineEnd === -1 ? body.length : lineEnd);
    const isClose = line.subarray(delimiter.length, delimiter.length + 2).toString('latin1') === '--';
    if (isClose || lineEnd === -1) {
      // The close delimiter: the rest is epilogue.
      if (has8bit(body, start, body.length)) throw new Refusal('8-bit octets in a multipart epilogue');
      out.push(body.subarray(start));
      return Buffer.concat(out);
    }
    const partStart = lineEnd + 2;
    const next = starts[k + 1];
    const partEnd = next === undefined ? body.length : next - 2;
    out.push(body.subarray(start, partStart));
    if (partEnd >= partStart) {
      out.push(convertEntity(body.subarray(partStart, partEnd), depth + 1, counter, false, defaultType));
      if (next !== undefined) out.push(CRLF);
    }
  }
  // No close delimiter (a truncated message): what was there is kept, converted.
  return Buffer.concat(out);
}

/** Whether a delimiter ends at `at`: the line ends, has only white space left, or is the close `--`. */
function endsDelimiter(body: Buffer, at: number): boolean {
  const c = body[at];
  return c === undefined || c === 0x0d || c === 0x20 || c === 0x09 || (c === 0x2d && body[at + 1] === 0x2d);
}

/** Quoted-printable (RFC 2045 §6.7): CRLF stays a hard line break, lines of at most 76 characters. */
export function encodeQuotedPrintable(data: Buffer): Buffer {
  const out: string[] = [];
  let lineStart = 0;
  while (lineStart <= data.length) {
    let lineEnd = data.indexOf(CRLF, lineStart);
    const last = lineEnd === -1;
    if (last) lineEnd = data.length;
    out.push(encodeQpLine(data, lineStart, lineEnd));
    if (last) break;
    lineStart = lineEnd + 2;
    if (lineStart === data.length) {
      out.push('');
      break;
    }
  }
  return Buffer.from(out.join('\r\n'), 'latin1');
}

function encodeQpLine(data: Buffer, from: number, to: number): string {
  let line = '';
  let out = '';
  for (let i = from; i < to; i++) {
    const c = data[i] as number;
    const atEnd = i === to - 1;
    const literal = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !atEnd);
    const piece = literal ? String.fromCharCode(c) : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + piece.length > QP_LINE - 1) {
      out += `${line}=\r\n`;
      line = '';
    }
    line += piece;
  }
  return out + line;
}

/** Base64 in lines of 76 characters, each ending in CRLF. */
export function encodeBase64(data: Buffer): Buffer {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(text.slice(i, i + BASE64_LINE));
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}
