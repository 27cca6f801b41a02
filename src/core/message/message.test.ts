import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeLineEndings, LineEndingNormalizer } from './line-endings.js';
import { parseHeaderBlock } from './headers.js';
import { splitMessage } from './split.js';
import { splitMessageStream } from './stream.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

test('bare LF becomes CRLF; CRLF and lone CR stay; no copy when nothing changes', () => {
  assert.equal(normalizeLineEndings(Buffer.from('a\nb\r\nc\rd\n')).toString(), 'a\r\nb\r\nc\rd\r\n');
  const crlf = Buffer.from('a\r\nb\r\n');
  assert.equal(normalizeLineEndings(crlf), crlf);
  const n = new LineEndingNormalizer();
  assert.equal(n.push(Buffer.from('a\r')).toString(), 'a\r');
  assert.equal(n.push(Buffer.from('\nb\n')).toString(), '\nb\r\n', 'an LF right after a chunk-final CR is not bare');
  assert.equal(n.changed, true);
});

test('header fields keep their exact bytes, folding included, in order', () => {
  const fields = parseHeaderBlock(Buffer.from('From: a@b\r\nSubject: one\r\n two\r\n\tthree\r\nB : Y\r\n'));
  assert.deepEqual(
    fields.map((f) => [f.name, f.lowerName, f.raw.toString()]),
    [
      ['From', 'from', 'From: a@b'],
      ['Subject', 'subject', 'Subject: one\r\n two\r\n\tthree'],
      ['B', 'b', 'B : Y'],
    ],
  );
});

test('odd header lines are kept and marked, never thrown on', () => {
  const fields = parseHeaderBlock(Buffer.from(' leading\r\nFrom nobody\r\nX\x00Y: z\r\n: empty\r\nOk: 1'));
  assert.deepEqual(
    fields.map((f) => [f.name, f.malformed]),
    [
      ['', 'leading-continuation'],
      ['', 'no-colon'],
      ['', 'bad-name'],
      ['', 'bad-name'],
      ['Ok', undefined],
    ],
  );
});

test('splitMessage: header/body at the first empty line; no separator means no body; leading CRLF means no headers', () => {
  const m = splitMessage(Buffer.from('A: 1\nB: 2\n\nbody\n\nmore\n'));
  assert.equal(m.headers.length, 2);
  assert.equal(m.body.toString(), 'body\r\n\r\nmore\r\n');
  assert.equal(m.hasSeparator, true);
  assert.equal(m.lineEndingsNormalized, true);
  const noSep = splitMessage(Buffer.from('A: 1\r\nB: 2\r\n'));
  assert.equal(noSep.hasSeparator, false);
  assert.equal(noSep.body.length, 0);
  assert.equal(noSep.headers.length, 2);
  const noHeaders = splitMessage(Buffer.from('\r\nbody'));
  assert.equal(noHeaders.headers.length, 0);
  assert.equal(noHeaders.body.toString(), 'body');
  const nul = splitMessage(Buffer.from('A: \x00\r\n\r\n\x00\x00'));
  assert.equal(nul.headers[0]?.raw.toString(), 'A: \x00');
  assert.equal(nul.body.length, 2);
});

test('splitMessageStream matches splitMessage whatever the chunk size', async () => {
  const raw = Buffer.from('From: a\r\nSubject: x\r\n y\r\n\r\nline 1\r\n\r\nline 2\r\n');
  const expected = splitMessage(raw);
  for (const size of [1, 2, 3, 4, 5, 7, 64]) {
    const result = await splitMessageStream(chunks(raw, size));
    assert.ok(result.ok);
    assert.deepEqual(result.value.headers.map((h) => h.raw.toString()), expected.headers.map((h) => h.raw.toString()), `size ${size}`);
    assert.equal((await collect(result.value.body)).toString(), expected.body.toString(), `size ${size}`);
    assert.equal(result.value.headerBytes, expected.headerBytes);
  }
});

test('splitMessageStream: bare LF across chunks, leading CRLF, no separator', async () => {
  const lf = await splitMessageStream(chunks(Buffer.from('A: 1\n\nb\n'), 1));
  assert.ok(lf.ok);
  assert.equal((await collect(lf.value.body)).toString(), 'b\r\n');
  assert.equal(lf.value.lineEndingsNormalized(), true);
  const lead = await splitMessageStream(chunks(Buffer.from('\r\nbody'), 1));
  assert.ok(lead.ok);
  assert.equal(lead.value.headers.length, 0);
  assert.equal((await collect(lead.value.body)).toString(), 'body');
  const none = await splitMessageStream(chunks(Buffer.from('A: 1\r\nB: 2'), 3));
  assert.ok(none.ok);
  assert.equal(none.value.hasSeparator, false);
  assert.equal(none.value.headers.length, 2);
});

test('splitMessageStream refuses a header block over the limit without reading on', async () => {
  let read = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    for (;;) {
      read++;
      yield Buffer.from('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
    }
  }
  const result = await splitMessageStream(endless(), { maxHeaderBytes: 10_000 });
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error.code === 'header-too-large');
  assert.ok(read < 200);
});
