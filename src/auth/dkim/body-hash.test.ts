import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BodyCanonicalizer, BodyHasher, canonicalizeBody, hashBody } from './body-hash.js';

/** The RFC 6376 §3.4.3/§3.4.4 rules written the obvious way, on strings: the reference for the streaming code. */
function reference(body: string, mode: 'simple' | 'relaxed'): string {
  let text = body;
  if (mode === 'relaxed') {
    text = text
      .split('\r\n')
      .map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
      .join('\r\n');
    text = text.replace(/(\r\n)*$/, '');
    return text === '' ? '' : `${text}\r\n`;
  }
  text = text.replace(/(\r\n)*$/, '');
  return `${text}\r\n`;
}

function streamed(body: Buffer, mode: 'simple' | 'relaxed', cuts: number[]): string {
  const parts: Buffer[] = [];
  const c = new BodyCanonicalizer(mode, (data) => parts.push(Buffer.from(data)));
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    c.push(body.subarray(from, cut));
    from = cut;
  }
  c.end();
  return Buffer.concat(parts).toString('latin1');
}

/** A tiny deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test('streaming canonicalization equals the reference for random bodies cut at random places', () => {
  const alphabet = ['a', 'b', ' ', '  ', '\t', '\r\n', '\r\n\r\n', '\r', 'x y', ' \t ', 'é'];
  const random = rng(42);
  for (let round = 0; round < 20000; round++) {
    let body = '';
    const pieces = Math.floor(random() * 30);
    for (let i = 0; i < pieces; i++) body += alphabet[Math.floor(random() * alphabet.length)];
    const bytes = Buffer.from(body, 'latin1');
    const cuts: number[] = [];
    for (let at = 0; at < bytes.length; at += 1 + Math.floor(random() * 5)) if (random() < 0.5) cuts.push(at);
    for (const mode of ['simple', 'relaxed'] as const) {
      assert.equal(streamed(bytes, mode, cuts), reference(body, mode), `${mode} ${JSON.stringify(body)} cut at ${cuts}`);
    }
  }
});

test('RFC 6376 §3.4.5 body examples', () => {
  const body = Buffer.from(' C \r\nD \t E\r\n\r\n\r\n');
  assert.equal(canonicalizeBody(body, 'relaxed').toString(), ' C\r\nD E\r\n');
  assert.equal(canonicalizeBody(body, 'simple').toString(), ' C \r\nD \t E\r\n');
});

test('empty bodies: simple is CRLF, relaxed is nothing (RFC 6376 §3.4.3, §3.4.4)', () => {
  assert.equal(canonicalizeBody(Buffer.alloc(0), 'simple').toString(), '\r\n');
  assert.equal(canonicalizeBody(Buffer.alloc(0), 'relaxed').toString(), '');
  assert.equal(canonicalizeBody(Buffer.from('\r\n\r\n \r\n'), 'relaxed').toString(), '');
  assert.equal(canonicalizeBody(Buffer.from('\r\n\r\n'), 'simple').toString(), '\r\n');
});

test('a body without a final CRLF gets one', () => {
  assert.equal(canonicalizeBody(Buffer.from('abc'), 'simple').toString(), 'abc\r\n');
  assert.equal(canonicalizeBody(Buffer.from('abc  '), 'relaxed').toString(), 'abc\r\n');
});

test('l= hashes only the first octets and counts the rest', () => {
  const result = hashBody(Buffer.from('tere tere\r\n \r\nvana kere\r\n\r\n'), 'relaxed', 'sha256', 20);
  assert.equal(result.hashedLength, 20);
  assert.equal(result.canonicalLength, 'tere tere\r\n\r\nvana kere\r\n'.length);
  assert.deepEqual(result.hash, createHash('sha256').update('tere tere\r\n\r\nvana ke').digest());
  assert.equal(hashBody(Buffer.from('abc\r\n'), 'simple', 'sha256', 0).hashedLength, 0);
});

test('a long run of empty lines is held as a count, and written when content follows', () => {
  const lines = '\r\n'.repeat(100_000);
  const hasher = new BodyHasher('simple', 'sha256');
  hasher.update(Buffer.from(`a${lines}`));
  hasher.update(Buffer.from('b\r\n'));
  const result = hasher.digest();
  assert.equal(result.canonicalLength, 1 + lines.length + 3);
  assert.deepEqual(result.hash, createHash('sha256').update(`a${lines}b\r\n`).digest());
  assert.equal(hasher.digest(), result, 'digest is idempotent');
});

test('large bodies go through in few sink calls (hashing in large pieces)', () => {
  const line = 'The quick brown fox jumps over the lazy dog.\r\n';
  const body = Buffer.from(line.repeat(50_000));
  for (const mode of ['simple', 'relaxed'] as const) {
    let calls = 0;
    const c = new BodyCanonicalizer(mode, () => void calls++);
    c.push(body);
    c.end();
    assert.ok(calls < 100, `${mode}: ${calls} sink calls for ${body.length} bytes`);
  }
});
