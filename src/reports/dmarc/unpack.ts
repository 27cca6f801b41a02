// Getting the report XML out of what arrives (RFC 9990 §3.1, RFC 7489 §7.2.1.1): plain XML, gzip, zip with one
// file, or a whole mail whose attachment is one of those. Every decompression is capped (gzip and zip bombs);
// every problem is a coded result, never a throw.

import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { contentType, leafParts } from '../tlsrpt/mime.js';

/** Decompressed XML larger than this is refused. The largest real daily reports seen are ~100 MB. */
export const MAX_REPORT_XML_BYTES = 128 * 1024 * 1024;
/** Input (XML, gzip, zip or mail) larger than this is refused before any work. */
export const MAX_REPORT_INPUT_BYTES = 64 * 1024 * 1024;
/** Zip entries looked at: a report zip holds one file; a zip listing thousands is not a report. */
export const MAX_ZIP_ENTRIES = 16;

export type DmarcUnpackCode = 'empty' | 'too-large' | 'bad-gzip' | 'bad-zip' | 'zip-entries' | 'no-report-part';
export type DmarcFormat = 'xml' | 'gzip' | 'zip' | 'mail';

export type UnpackResult =
  | { ok: true; xml: Buffer; format: DmarcFormat; carrier?: 'gzip' | 'zip' | 'xml'; fileName?: string; warnings?: string[] }
  | { ok: false; error: { code: DmarcUnpackCode; message: string } };

/** Media types that may carry a report in a mail; octet-stream only with a report-like file name. */
const REPORT_TYPES = new Set(['application/gzip', 'application/x-gzip', 'application/zip', 'application/x-zip-compressed', 'application/x-zip', 'text/xml', 'application/xml']);
const REPORT_NAME = /\.(xml|xml\.gz|gz|zip|xml\.zip)$/i;

/** Finds the report XML in input of any accepted form. `maxXmlBytes` caps every decompression. */
export async function unpackDmarcReport(input: Buffer, maxXmlBytes = MAX_REPORT_XML_BYTES): Promise<UnpackResult> {
  if (input.length === 0) return fail('empty', 'the input is empty');
  if (input.length > MAX_REPORT_INPUT_BYTES) return fail('too-large', `input over ${MAX_REPORT_INPUT_BYTES} bytes`);
  const direct = await unpackPayload(input, maxXmlBytes);
  if (direct) return direct;
  for (const part of leafParts(input)) {
    const ct = contentType(part.headers.get('content-type'));
    const disposition = part.headers.get('content-disposition') ?? '';
    const name = ct.params.get('name') ?? /filename\*?="?([^";]+)/i.exec(disposition)?.[1] ?? '';
    const wanted = REPORT_TYPES.has(ct.type) || (ct.type === 'application/octet-stream' && REPORT_NAME.test(name)) || (REPORT_NAME.test(name) && !ct.type.startsWith('multipart/'));
    if (!wanted || part.body.length === 0) continue;
    const inner = await unpackPayload(part.body, maxXmlBytes);
    if (!inner?.ok) {
      if (inner) return inner;
      continue;
    }
    return { ...inner, format: 'mail', carrier: inner.format === 'mail' ? 'xml' : inner.format, fileName: name || inner.fileName };
  }
  return fail('no-report-part', 'neither XML, gzip, zip, nor a mail with a report attachment (application/gzip, application/zip, text/xml)');
}

/** XML, gzip or zip by their first bytes (labels in mail are often wrong); undefined when it is none of them. */
async function unpackPayload(bytes: Buffer, max: number): Promise<UnpackResult | undefined> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzip(bytes, max);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return unzip(bytes, max);
  if (looksLikeXml(bytes)) {
    if (bytes.length > max) return fail('too-large', `report XML over ${max} bytes`);
    return { ok: true, xml: bytes, format: 'xml' };
  }
  return undefined;
}

/** A BOM, then optional white space, then `<?xml` or an element: what a report file starts with. */
function looksLikeXml(bytes: Buffer): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true; // UTF-16 BOM
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 512)).replace(/^\xef\xbb\xbf/, '').trimStart();
  return /^<(\?xml|!--|!doctype|[A-Za-z_])/i.test(head);
}

function gunzip(bytes: Buffer, max: number): UnpackResult {
  try {
    return { ok: true, xml: gunzipSync(bytes, { maxOutputLength: max }), format: 'gzip' };
  } catch (error) {
    if (isTooLarge(error)) return fail('too-large', `decompressed report over ${max} bytes`);
    const lenient = gunzipIgnoringTrailer(bytes, max);
    if (lenient) return lenient;
    return fail('bad-gzip', `not valid gzip: ${(error as Error).message}`);
  }
}

function isTooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError;
}

/**
 * One gzip member followed by bytes that are not another member (Mimecast's reports end with a CRLF after the
 * gzip trailer; node:zlib refuses that). Accepted when the member's CRC-32 and length check out (RFC 1952 §2.3).
 */
function gunzipIgnoringTrailer(bytes: Buffer, max: number): UnpackResult | undefined {
  const flags = bytes[3] ?? 0;
  if (bytes[2] !== 8 || bytes.length < 18) return undefined;
  let offset = 10;
  if (flags & 4) offset += 2 + bytes.readUInt16LE(offset); // FEXTRA
  if (flags & 8) offset = bytes.indexOf(0, offset) + 1; // FNAME
  if (flags & 16) offset = bytes.indexOf(0, offset) + 1; // FCOMMENT
  if (flags & 2) offset += 2; // FHCRC
  if (offset <= 0 || offset >= bytes.length) return undefined;
  try {
    const { buffer, engine } = inflateRawSync(bytes.subarray(offset), { maxOutputLength: max, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    const trailer = offset + engine.bytesWritten;
    if (trailer + 8 > bytes.length) return undefined;
    if (bytes.readUInt32LE(trailer) !== crc32(buffer) || bytes.readUInt32LE(trailer + 4) !== buffer.length % 2 ** 32) return undefined;
    return { ok: true, xml: buffer, format: 'gzip', warnings: [`${bytes.length - trailer - 8} bytes after the gzip data were ignored`] };
  } catch (error) {
    return isTooLarge(error) ? fail('too-large', `decompressed report over ${max} bytes`) : undefined;
  }
}

/** The one file in a zip (directories and `__MACOSX/` resource forks aside), read up to `max` bytes. */
function unzip(bytes: Buffer, max: number): Promise<UnpackResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: UnpackResult, zip?: yauzl.ZipFile): void => {
      if (settled) return;
      settled = true;
      zip?.close();
      resolve(result);
    };
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (openError, zip) => {
      if (openError || !zip) return done(fail('bad-zip', `not a readable zip: ${openError?.message ?? 'no archive'}`));
      const files: yauzl.Entry[] = [];
      let seen = 0;
      zip.on('error', (error: Error) => done(fail('bad-zip', `zip: ${error.message}`), zip));
      zip.on('entry', (entry: yauzl.Entry) => {
        seen += 1;
        if (seen > MAX_ZIP_ENTRIES) return done(fail('zip-entries', `the zip lists more than ${MAX_ZIP_ENTRIES} entries; a report zip holds one file`), zip);
        if (!entry.fileName.endsWith('/') && !entry.fileName.startsWith('__MACOSX/')) files.push(entry);
        zip.readEntry();
      });
      zip.on('end', () => {
        const [entry] = files;
        if (!entry) return done(fail('zip-entries', 'the zip holds no file'), zip);
        if (files.length > 1) return done(fail('zip-entries', `the zip holds ${files.length} files (${files.map((f) => f.fileName).join(', ')}); a report zip holds one`), zip);
        if (entry.uncompressedSize > max) return done(fail('too-large', `zipped report of ${entry.uncompressedSize} bytes is over ${max} bytes`), zip);
        readEntry(zip, entry, max, (result) => done(result, zip));
      });
      zip.readEntry();
    });
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, max: number, done: (result: UnpackResult) => void): void {
  zip.openReadStream(entry, (error, stream) => {
    if (error) return done(fail('bad-zip', `zip entry ${entry.fileName}: ${error.message}`));
    const chunks: Buffer[] = [];
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      // yauzl already stops at the declared size; this holds even if the header and the data disagree.
      if (total > max) {
        stream.destroy();
        return done(fail('too-large', `zipped report over ${max} bytes`));
      }
      chunks.push(chunk);
    });
    stream.on('error', (streamError: Error) => {
      const tooBig = /too many bytes|exceeded/i.test(streamError.message);
      done(fail(tooBig ? 'too-large' : 'bad-zip', `zip entry ${entry.fileName}: ${streamError.message}`));
    });
    stream.on('end', () => done({ ok: true, xml: Buffer.concat(chunks), format: 'zip', fileName: entry.fileName }));
  });
}

function fail(code: DmarcUnpackCode, message: string): { ok: false; error: { code: DmarcUnpackCode; message: string } } {
  return { ok: false, error: { code, message } };
}
