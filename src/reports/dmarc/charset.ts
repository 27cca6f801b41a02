// Turning report bytes into text. Reports declare UTF-8 (most), windows-1252 (old AOL and OpenDMARC samples) or
// nothing; some declare UTF-8 and then carry a stray byte (parsedmarc's invalid_utf_8.xml). Decoding is lenient:
// a byte that is not valid in the declared encoding becomes U+FFFD and the report still parses, with a warning.

export interface DecodedXml {
  text: string;
  /** The encoding used (WHATWG label). */
  encoding: string;
  warnings: string[];
}

/** Decodes XML bytes per their BOM or `encoding` declaration (default UTF-8). Never throws. */
export function decodeXmlBytes(bytes: Buffer): DecodedXml {
  const warnings: string[] = [];
  let encoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else {
    const declared = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/.exec(bytes.toString('latin1', 0, Math.min(bytes.length, 256)))?.[1];
    if (declared) {
      const label = whatwgEncoding(declared);
      if (label) encoding = label;
      else warnings.push(`unknown encoding "${declared}" declared; decoded as UTF-8`);
    }
  }
  const body = bytes.subarray(start);
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(body);
  } catch {
    text = new TextDecoder(encoding).decode(body);
    warnings.push(`bytes that are not valid ${encoding} were replaced with U+FFFD`);
  }
  return { text: text.replace(/^\ufeff/, ''), encoding, warnings };
}

/** The WHATWG label for a declared encoding, or undefined when the platform does not know it. */
function whatwgEncoding(declared: string): string | undefined {
  try {
    return new TextDecoder(declared).encoding;
  } catch {
    return undefined;
  }
}
