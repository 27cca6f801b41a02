// SMTP transparency (RFC 5321 §4.5.2): a line that starts with '.' is sent with one more '.', and the data
// must end with CRLF before the terminating ".\r\n". The queue keeps messages dot-unstuffed.

const DOT = 0x2e;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/** Returns `data` dot-stuffed and ending in CRLF (a new buffer only when something had to change). */
export function dotStuff(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  if (data.length > 0 && data[0] === DOT) {
    parts.push(Buffer.from('.'));
  }
  let index = data.indexOf(LF);
  while (index >= 0 && index + 1 < data.length) {
    if (data[index + 1] === DOT) {
      parts.push(data.subarray(start, index + 1), Buffer.from('.'));
      start = index + 1;
    }
    index = data.indexOf(LF, index + 1);
  }
  parts.push(data.subarray(start));
  const endsWithCrlf = data.length >= 2 && data[data.length - 2] === 0x0d && data[data.length - 1] === LF;
  if (!endsWithCrlf) parts.push(CRLF);
  return parts.length === 1 ? data : Buffer.concat(parts);
}
