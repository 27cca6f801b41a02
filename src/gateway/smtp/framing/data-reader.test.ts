import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageCollector, type CollectResult } from './collector.js';
import { DotDataReader, LineEndingGuard } from './data-reader.js';
import { LineReader } from './line-reader.js';

const LIMITS = { maxMessageBytes: 1_000_000, maxHeaderBytes: 10_000 };

/** Feeds `input` in the given chunk sizes; returns the result and the bytes after the terminator. */
function readData(input: string | Buffer, options: { chunk?: number; normalize?: boolean; limits?: typeof LIMITS } = {}): { result?: CollectResult; rest?: string } {
  const collector = new MessageCollector(options.limits ?? LIMITS);
  const reader = new DotDataReader(collector, options.normalize ?? false);
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const step = options.chunk ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) {
    const rest = reader.push(bytes.subarray(i, i + step));
    if (rest !== undefined) {
      const tail = Buffer.concat([rest, bytes.subarray(i + step)]);
      return { result: collector.finish(), rest: tail.toString('latin1') };
    }
  }
  return {};
}

test('DATA: ends at CRLF.CRLF and returns the pipelined bytes after it', () => {
  const { result, rest } = readData('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n');
  assert.ok(result?.ok);
  assert.equal(result.data.toString(), 'Subject: x\r\n\r\nbody\r\n');
  assert.equal(result.headerBytes, 12);
  assert.equal(rest, 'QUIT\r\n');
});

test('DATA: the terminator is found across every chunk boundary (byte by byte)', () => {
  const input = 'A: 1\r\n\r\n..dot\r\nline\r\n.\r\nNOOP\r\n';
  for (const chunk of [1, 2, 3, 5, 7]) {
    const { result, rest } = readData(input, { chunk });
    assert.ok(result?.ok, `chunk ${chunk}`);
    assert.equal(result.data.toString(), 'A: 1\r\n\r\n.dot\r\nline\r\n');
    assert.equal(rest, 'NOOP\r\n');
  }
});

test('DATA: dot transparency removes exactly one leading dot per line (RFC 5321 §4.5.2)', () => {
  const { result } = readData('..\r\n...x\r\n.y\r\n.\r\n');
  assert.ok(result?.ok);
  assert.equal(result.data.toString(), '.\r\n..x\r\ny\r\n');
});

test('DATA: an empty message is just the terminator', () => {
  const { result } = readData('.\r\n');
  assert.ok(result?.ok);
  assert.equal(result.data.length, 0);
});

// Every sequence known from the SMTP smuggling research (SEC Consult, Dec 2023) and the later variants.
export const SMUGGLING_ENDINGS = ['\n.\n', '\n.\r\n', '\r.\r', '\r.\r\n', '\r\n.\r', '\r\n.\n', '\n.\r', '\r\n\x00.\r\n', '\r.\n', '\n\n.\n\n', '\r\r.\r\r'];

for (const ending of SMUGGLING_ENDINGS) {
  test(`DATA: ${JSON.stringify(ending)} never ends the message; reject mode refuses it whole`, () => {
    const input = `Subject: a\r\n\r\nfirst${ending}MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n`;
    for (const chunk of [1, 4, input.length]) {
      const { result, rest } = readData(input, { chunk });
      assert.ok(result, 'ended only at the real CRLF.CRLF');
      assert.equal(rest, 'NOOP\r\n');
      if (ending === '\r\n\x00.\r\n') {
        assert.ok(result.ok); // NUL is not a line end: the whole thing is one message
        assert.match(result.data.toString('latin1'), /smuggled/);
      } else {
        assert.deepEqual(result, { ok: false, reason: 'bare-line-ending' });
      }
    }
  });

  test(`DATA: ${JSON.stringify(ending)} in normalize mode becomes CRLF text, still one message`, () => {
    const input = `Subject: a\r\n\r\nfirst${ending}MAIL FROM:<evil@x.example>\r\nsmuggled\r\n.\r\nNOOP\r\n`;
    const { result, rest } = readData(input, { normalize: true, chunk: 3 });
    assert.ok(result?.ok);
    assert.equal(rest, 'NOOP\r\n');
    const text = result.data.toString('latin1');
    assert.match(text, /smuggled\r\n$/);
    assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF is stored');
  });
}

test('DATA: size limit counts every byte, keeps reading to the end, then refuses', () => {
  const body = 'x'.repeat(200) + '\r\n';
  const { result, rest } = readData(`A: b\r\n\r\n${body.repeat(10)}.\r\nQUIT\r\n`, { limits: { maxMessageBytes: 1000, maxHeaderBytes: 100 }, chunk: 64 });
  assert.deepEqual(result, { ok: false, reason: 'too-big' });
  assert.equal(rest, 'QUIT\r\n');
});

test('DATA: header size limit, with and without an end of header', () => {
  const long = `X: ${'y'.repeat(300)}\r\n`;
  assert.deepEqual(readData(`${long}\r\nbody\r\n.\r\n`, { limits: { maxMessageBytes: 10_000, maxHeaderBytes: 200 } }).result, { ok: false, reason: 'header-too-big' });
  assert.deepEqual(readData(`${long.repeat(3)}.\r\n`, { limits: { maxMessageBytes: 10_000, maxHeaderBytes: 200 }, chunk: 10 }).result, { ok: false, reason: 'header-too-big' });
  const ok = readData(`A: b\r\n\r\n${'z'.repeat(500)}\r\n.\r\n`, { limits: { maxMessageBytes: 10_000, maxHeaderBytes: 200 } }).result;
  assert.ok(ok?.ok);
  assert.equal(ok.headerBytes, 6);
});

test('BDAT guard: CRLF split across chunks is fine; bare CR/LF refused or normalised', () => {
  const run = (chunks: string[], normalize: boolean) => {
    const c = new MessageCollector(LIMITS);
    const g = new LineEndingGuard(c, normalize);
    for (const chunk of chunks) g.push(Buffer.from(chunk, 'latin1'));
    g.finish();
    return c.finish();
  };
  const ok = run(['A: b\r', '\n\r\nbody\r', '\n'], false);
  assert.ok(ok.ok);
  assert.equal(ok.data.toString(), 'A: b\r\n\r\nbody\r\n');
  assert.deepEqual(run(['A: b\n\nbody\r\n'], false), { ok: false, reason: 'bare-line-ending' });
  assert.deepEqual(run(['A: b\r\n\r\nbody\r'], false), { ok: false, reason: 'bare-line-ending' });
  assert.deepEqual(run(['A: b\r\n\r\nbo\rdy\r\n'], false), { ok: false, reason: 'bare-line-ending' });
  const norm = run(['A: b\n\nbo\rdy\r', 'x'], true);
  assert.ok(norm.ok);
  assert.equal(norm.data.toString(), 'A: b\r\n\r\nbo\r\ndy\r\nx');
});

test('LineReader: CRLF and LF lines, CR kept inside, over-long lines reported once and skipped', () => {
  const r = new LineReader(10);
  r.push(Buffer.from('EHLO a\r\nNOOP\nX\rY\r\n0123456789ABCDEF'));
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('EHLO a') });
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('NOOP') });
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('X\rY') });
  assert.deepEqual(r.next(), { kind: 'too-long' });
  assert.equal(r.next(), undefined);
  r.push(Buffer.from('GHIJ\r\nQUIT\r\n'));
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('QUIT') });
  r.push(Buffer.from('0123456789ABC\r\nRSET\r\n'));
  assert.deepEqual(r.next(), { kind: 'too-long' });
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('RSET') });
  r.push(Buffer.from('0123456789\r'));
  assert.equal(r.next(), undefined, 'exactly the limit, waiting for LF');
  r.push(Buffer.from('\nDATA\r\nrest'));
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('0123456789') });
  assert.deepEqual(r.next(), { kind: 'line', line: Buffer.from('DATA') });
  assert.ok(r.hasBuffered());
  assert.equal(r.takeBuffered().toString(), 'rest');
  assert.equal(r.hasBuffered(), false);
});
