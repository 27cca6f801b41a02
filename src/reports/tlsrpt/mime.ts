// Just enough MIME (RFC 2045/2046) to find the report part of a TLS-RPT mail: headers unfolded, multipart
// split on the boundary, base64 and quoted-printable decoded. Bounded nesting; never throws.

export interface MimePart {
  headers: Map<string, string>;
  body: Buffer;
}

/** multipart inside multipart deeper than this is refused: no report is nested that far. */
export const MAX_MIME_DEPTH = 5;
/** Parts looked at per message. */
export const MAX_MIME_PARTS = 100;

/** Splits a message (or part) into unfolded headers (lower-case names, first occurrence) and body. */
export function splitPart(raw: Buffer): MimePart {
  const text = raw.toString('latin1');
  const match = /\r?\n\r?\n/.exec(text);
  const headerText = match ? text.slice(0, match.index) : text;
  const body = match ? raw.subarray(Buffer.byteLength(text.slice(0, match.index + match[0].length), 'latin1')) : Buffer.alloc(0);
  const headers = new Map<string, string>();
  for (const field of headerText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, field.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The media type (lower-case) and parameters of a Content-Type value. */
export function contentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (value === undefined) return { type: 'text/plain', params };
  const [type = '', ...rest] = value.split(';');
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: type.trim().toLowerCase(), params };
}

/** Leaf parts of a message, depth first, decoded from their transfer encoding. */
export function leafParts(raw: Buffer, depth = 0, out: MimePart[] = []): MimePart[] {
  if (out.length >= MAX_MIME_PARTS) return out;
  const part = splitPart(raw);
  const ct = contentType(part.headers.get('content-type'));
  const boundary = ct.params.get('boundary');
  if (ct.type.startsWith('multipart/') && boundary && depth < MAX_MIME_DEPTH) {
    const text = part.body.toString('latin1');
    const delimiter = `--${boundary}`;
    const pieces = text.split(new RegExp(`(?:^|\\r?\\n)${escapeRegExp(delimiter)}`));
    for (const piece of pieces.slice(1)) {
      if (piece.startsWith('--')) break;
      leafParts(Buffer.from(piece.replace(/^[ \t]*\r?\n/, ''), 'latin1'), depth + 1, out);
      if (out.length >= MAX_MIME_PARTS) break;
    }
    return out;
  }
  out.push({ headers: part.headers, body: decodeBody(part.body, part.headers.get('content-transfer-encoding')) });
  return out;
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (e === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return body;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
