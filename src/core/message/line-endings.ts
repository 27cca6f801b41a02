// Line-end normalisation for raw messages. DKIM and ARC hash exact bytes, and on the wire a message's lines
// end in CRLF (RFC 5322 §2.1). Messages read from files or pipes often use bare LF (Unix mbox, editors), so
// before any splitting or hashing we turn every LF that is not preceded by CR into CRLF. Lone CRs are left
// as they are: they are not line ends (RFC 5322 §2.3) and a verifier must see them as the signer did.
// A message that already uses CRLF throughout passes through without a copy.

const CR = 0x0d;
const LF = 0x0a;

/**
 * Returns `input` with every bare LF turned into CRLF. `previousEndedWithCR` says whether the byte before
 * `input` (the last byte of the previous chunk of a stream) was CR, so an LF at offset 0 is not bare.
 * Returns the same Buffer when nothing needs changing.
 */
export function normalizeLineEndings(input: Buffer, previousEndedWithCR = false): Buffer {
  let bare = 0;
  for (let at = input.indexOf(LF); at !== -1; at = input.indexOf(LF, at + 1)) {
    const before = at === 0 ? previousEndedWithCR : input[at - 1] === CR;
    if (!before) bare++;
  }
  if (bare === 0) return input;
  const out = Buffer.allocUnsafe(input.length + bare);
  let written = 0;
  let from = 0;
  for (let at = input.indexOf(LF); at !== -1; at = input.indexOf(LF, at + 1)) {
    const before = at === 0 ? previousEndedWithCR : input[at - 1] === CR;
    if (before) continue;
    written += input.copy(out, written, from, at);
    out[written++] = CR;
    out[written++] = LF;
    from = at + 1;
  }
  written += input.copy(out, written, from);
  return out;
}

/** Normalises a stream chunk by chunk, remembering whether the last chunk ended with CR. */
export class LineEndingNormalizer {
  private endedWithCR = false;
  /** True once any bare LF was rewritten. */
  changed = false;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const out = normalizeLineEndings(chunk, this.endedWithCR);
    if (out !== chunk) this.changed = true;
    this.endedWithCR = chunk[chunk.length - 1] === CR;
    return out;
  }
}
