// Command framing: splits the client's bytes into command lines with a bounded length. A line ends at LF; a CR
// right before it is dropped (RFC 5321 §2.3.8 wants CRLF, but a bare LF in a *command* cannot end a message
// early, so accepting it costs nothing and helps old clients). A CR anywhere else stays in the line, where
// the command parser refuses it. When DATA or BDAT starts, the session takes the buffered bytes over.

export type LineEvent =
  | { kind: 'line'; line: Buffer }
  /** The line exceeded the limit; its bytes up to the next LF are discarded. */
  | { kind: 'too-long' };

const LF = 0x0a;
const CR = 0x0d;

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Discarding the rest of an over-long line until its LF. */
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Adds bytes from the socket. */
  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
  }

  /** The next complete line (without its line end), a too-long event, or undefined when more bytes are needed. */
  next(): LineEvent | undefined {
    for (;;) {
      const lf = this.buf.indexOf(LF, this.pos);
      if (this.discarding) {
        if (lf === -1) {
          this.pos = this.buf.length;
          return undefined;
        }
        this.pos = lf + 1;
        this.discarding = false;
        continue;
      }
      if (lf === -1) {
        // The limit counts the line without its CRLF; allow the CR to sit at the end while we wait for the LF.
        if (this.buf.length - this.pos > this.maxLineBytes + 1) {
          this.discarding = true;
          this.pos = this.buf.length;
          return { kind: 'too-long' };
        }
        return undefined;
      }
      let end = lf;
      if (end > this.pos && this.buf[end - 1] === CR) end--;
      const start = this.pos;
      this.pos = lf + 1;
      if (end - start > this.maxLineBytes) return { kind: 'too-long' };
      return { kind: 'line', line: this.buf.subarray(start, end) };
    }
  }

  /** Bytes buffered and not yet returned as lines. */
  bufferedBytes(): number {
    return this.buf.length - this.pos;
  }

  /** True when bytes that are not yet a processed line are buffered (pipelining checks). */
  hasBuffered(): boolean {
    return this.pos < this.buf.length;
  }

  /** Removes and returns every buffered byte (DATA/BDAT take them over; STARTTLS discards them). */
  takeBuffered(): Buffer {
    const rest = this.buf.subarray(this.pos);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    this.discarding = false;
    return rest;
  }
}
