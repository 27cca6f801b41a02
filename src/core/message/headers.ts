// Header fields as exact bytes. DKIM and ARC canonicalize the bytes a field was sent with, folding and all,
// so a field keeps its raw bytes; the name is decoded only for matching.

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** One header field in message order. */
export interface HeaderField {
  /** The field name as written (text before the colon, trailing whitespace removed); '' when malformed. */
  name: string;
  /** `name` in lower case, for matching (field names are case-insensitive, RFC 5322 §1.2.2). */
  lowerName: string;
  /** The whole field, folding included, without the final CRLF. */
  raw: Buffer;
  /**
   * Set when the field is not `name: value`: `no-colon` (a line without a colon, such as an mbox `From `
   * line) or `leading-continuation` (the block starts with a folded line). Such fields are kept, so the
   * bytes stay in order, but they match no name.
   */
  malformed?: 'no-colon' | 'leading-continuation' | 'bad-name';
}

/**
 * Splits a header block (CRLF line ends, the last field's CRLF included or not) into fields in order.
 * Never throws; odd lines become fields marked `malformed`. RFC 5322 §2.2, §3.6.
 */
export function parseHeaderBlock(block: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let start = -1;
  let pos = 0;
  const length = block.length;
  while (pos < length) {
    const lineEnd = crlfFrom(block, pos);
    const first = block[pos];
    const continuation = first === SP || first === HTAB;
    if (!continuation) {
      if (start !== -1) fields.push(makeField(block.subarray(start, pos - 2)));
      start = pos;
    } else if (start === -1) {
      start = pos;
    }
    pos = lineEnd + 2;
  }
  if (start !== -1) {
    const end = block.length >= 2 && block[block.length - 2] === CR && block[block.length - 1] === LF ? block.length - 2 : block.length;
    if (end > start) fields.push(makeField(block.subarray(start, end)));
  }
  return fields;
}

/**
 * The offset of the first CRLF at or after `from`, or the length when there is none. Looks for LF with the
 * one-byte search (a string needle costs several times more per call) and checks the CR before it.
 */
function crlfFrom(block: Buffer, from: number): number {
  for (let lf = block.indexOf(LF, from + 1); lf !== -1; lf = block.indexOf(LF, lf + 1)) {
    if (block[lf - 1] === CR) return lf - 1;
  }
  return block.length;
}

/** Builds a field from its raw bytes (no final CRLF). */
export function makeField(raw: Buffer): HeaderField {
  const first = raw[0];
  if (first === SP || first === HTAB) return { name: '', lowerName: '', raw, malformed: 'leading-continuation' };
  // One walk to the first colon (field names are short, so this beats two native searches). When the first
  // CR before it starts a line end, the first line has no colon; a lone CR leaves the name to be judged.
  const length = raw.length;
  let colon = 0;
  let sawCR = false;
  for (; colon < length; colon++) {
    const c = raw[colon];
    if (c === COLON) break;
    if (c === CR && !sawCR) {
      if (raw[colon + 1] === LF) return { name: '', lowerName: '', raw, malformed: 'no-colon' };
      sawCR = true;
    }
  }
  if (colon === length) return { name: '', lowerName: '', raw, malformed: 'no-colon' };
  let nameEnd = colon;
  while (nameEnd > 0 && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HTAB)) nameEnd--;
  // Field names are printable ASCII without the colon (RFC 5322 §2.2); anything else matches no name.
  for (let i = 0; i < nameEnd; i++) {
    const c = raw[i] as number;
    if (c < 33 || c > 126) return { name: '', lowerName: '', raw, malformed: 'bad-name' };
  }
  if (nameEnd === 0) return { name: '', lowerName: '', raw, malformed: 'bad-name' };
  // Messages repeat a few dozen names: a name seen before is reused instead of decoded and lower-cased
  // again (a string per field is most of what splitting a header block allocates).
  const slot = (nameEnd * 31 + (raw[0] as number) * 7 + (raw[nameEnd - 1] as number)) & (NAME_SLOTS - 1);
  const cached = cachedNames[slot];
  if (cached !== undefined && cached.length === nameEnd && sameName(cached, raw)) {
    return { name: cached, lowerName: cachedLowerNames[slot] as string, raw };
  }
  const name = raw.toString('latin1', 0, nameEnd);
  const lowerName = name.toLowerCase();
  cachedNames[slot] = name;
  cachedLowerNames[slot] = lowerName;
  return { name, lowerName, raw };
}

/** Slots of the field name cache (a power of two), by length and first and last byte. */
const NAME_SLOTS = 256;
const cachedNames: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);
const cachedLowerNames: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

/** Whether `raw` starts with the bytes of `name` (latin1, as decoded). */
function sameName(name: string, raw: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) !== raw[i]) return false;
  return true;
}

/** The value of a field: the bytes after the first colon, still folded. */
export function fieldValue(field: HeaderField): Buffer {
  const colon = field.raw.indexOf(COLON);
  return colon === -1 ? field.raw.subarray(field.raw.length) : field.raw.subarray(colon + 1);
}
