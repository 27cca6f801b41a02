// Collects the bytes of one message (from DATA or BDAT) under the size and header limits. It keeps slices of
// the socket's buffers and joins them once at the end; past a limit it stops keeping bytes but keeps counting,
// so the session can read to the end of the message and then answer with a definite reply.

export type CollectFailure = 'too-big' | 'header-too-big' | 'bare-line-ending';

export type CollectResult = { ok: true; data: Buffer; headerBytes: number } | { ok: false; reason: CollectFailure };

export interface CollectorLimits {
  maxMessageBytes: number;
  maxHeaderBytes: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class MessageCollector {
  private slices: Buffer[] = [];
  private size = 0;
  private failure: CollectFailure | undefined;
  private headerEnd = -1;
  /** The last bytes seen while looking for the end of the header (a virtual CRLF first: an empty header). */
  private tail: Buffer = Buffer.from('\r\n');

  constructor(private readonly limits: CollectorLimits) {}

  /** Adds message bytes (already dot-unstuffed, line ends already checked). */
  append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const before = this.size;
    this.size += bytes.length;
    if (this.failure) return;
    if (this.size > this.limits.maxMessageBytes) return this.fail('too-big');
    if (this.headerEnd < 0) this.findHeaderEnd(bytes, before);
    if (this.failure) return;
    this.slices.push(bytes);
  }

  /** Marks the message as refused for a bare CR/LF (reject mode): nothing more is kept. */
  failBareLineEnding(): void {
    if (!this.failure) this.fail('bare-line-ending');
  }

  /** Bytes seen so far (counted even past a limit). */
  get byteCount(): number {
    return this.size;
  }

  get failed(): CollectFailure | undefined {
    return this.failure;
  }

  /** The message, or why it is refused. Call once, at the end of the message. */
  finish(): CollectResult {
    if (this.failure) return { ok: false, reason: this.failure };
    if (this.headerEnd < 0 && this.size > this.limits.maxHeaderBytes) return { ok: false, reason: 'header-too-big' };
    const data = this.slices.length === 1 ? this.slices[0]! : Buffer.concat(this.slices, this.size);
    this.slices = [];
    return { ok: true, data, headerBytes: this.headerEnd < 0 ? this.size : this.headerEnd };
  }

  private findHeaderEnd(bytes: Buffer, offset: number): void {
    // Search the seam (the last bytes seen + the first three of these) and then these bytes where they are:
    // joining them to the tail copied the whole first slice (a message's header and more) for every message.
    const seam = Buffer.concat([this.tail, bytes.subarray(0, 3)]);
    const atSeam = seam.indexOf(CRLFCRLF);
    // Where the CRLF ending the last field starts, relative to `bytes` (negative: in the tail).
    const at = atSeam >= 0 ? atSeam - this.tail.length : bytes.indexOf(CRLFCRLF);
    if (atSeam >= 0 || at >= 0) {
      this.headerEnd = Math.max(0, offset + at + 2);
      if (this.headerEnd > this.limits.maxHeaderBytes) this.fail('header-too-big');
      return;
    }
    if (this.size > this.limits.maxHeaderBytes) return this.fail('header-too-big');
    this.tail = bytes.length >= 3 ? bytes.subarray(bytes.length - 3) : seam.subarray(Math.max(0, seam.length - 3));
  }

  private fail(reason: CollectFailure): void {
    this.failure = reason;
    this.slices = [];
  }
}
