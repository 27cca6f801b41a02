// Hostile input for the DKIM verifier and the message splitter: malformed tag lists, huge b=, keys that are
// not keys, h= with 10,000 names, 1 MB header blocks, floods of signatures, CR/LF and NUL oddities, and a
// 50 MB streamed body. Every case must end with a clear reason, no exception and no hang.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { makeField } from '../../src/core/message/headers.js';
import { splitMessage } from '../../src/core/message/split.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import {
  describeKey,
  headerHashInput,
  HeaderIndex,
  parseTagList,
  signDkim,
  signHeaderData,
  verifyDkim,
  type DkimVerifyResult,
} from '../../src/auth/dkim/index.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const clock = new ManualClock(1_700_000_000_000);
const resolver = new ZoneResolver({
  'sel._domainkey.example.com': [{ TXT: describeKey(rsa, 'example.com', 'sel').txtStrings }],
  'garbage._domainkey.example.com': [{ TXT: 'v=DKIM1; k=rsa; p=' + Buffer.from('this is not a key at all').toString('base64') }],
  'huge._domainkey.example.com': [{ TXT: 'v=DKIM1; k=rsa; p=' + Buffer.alloc(60_000, 0x41).toString('base64') }],
  'ec._domainkey.example.com': [{ TXT: describeKey(generateKeyPairSync('ed25519').privateKey, 'x', 'y').txtRecord.replace('k=ed25519', 'k=rsa') }],
  'nul._domainkey.example.com': [{ TXT: 'v=DKIM1; k=rsa; p=AA\u0000AA' }],
});
const MESSAGE = 'From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\n\r\nbody\r\n';

async function verify(message: string | Buffer, options: { maxSignatures?: number } = {}): Promise<DkimVerifyResult> {
  return verifyDkim(typeof message === 'string' ? Buffer.from(message, 'latin1') : message, { resolver, clock, ...options });
}

function timed<T>(label: string, limitMs: number, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  return run().then((value) => {
    const ms = performance.now() - start;
    assert.ok(ms < limitMs, `${label} took ${ms.toFixed(0)} ms (limit ${limitMs})`);
    return value;
  });
}

test('malformed tag lists: every one is neutral with a reason, none throws', async () => {
  const values = [
    '',
    ';;;;',
    '=',
    'v',
    'v=1; v=1',
    '1=2',
    'v=1; a=rsa-sha256; \u0000',
    'v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=; b=',
    'v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=' + '9'.repeat(80),
    'v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; t=-1',
    'v=1; a=rsa-sha256; d=' + 'a.'.repeat(200) + 'com; s=sel; h=from; bh=AAAA; b=AAAA',
    'v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=@\u00ff\u00fe',
    'v=1; a=rsa-sha256; d=\u00c3\u00a9xample.com; s=sel; h=from; bh=AAAA; b=AAAA',
    'x'.repeat(100_000),
    'a='.repeat(10_000),
  ];
  for (const value of values) {
    const result = await verify(`DKIM-Signature: ${value}\r\n${MESSAGE}`);
    const sig = result.signatures[0];
    assert.ok(sig, JSON.stringify(value.slice(0, 40)));
    assert.notEqual(sig.result, 'pass');
    assert.ok(sig.reason.length > 0 && sig.detail.length > 0, JSON.stringify(value.slice(0, 40)));
  }
  // The parser itself on random bytes: never throws.
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: 40 }, () => Math.floor(Math.random() * 256)));
    const result = parseTagList(bytes.toString('latin1'));
    if (!result.ok) assert.ok(result.error.offset >= 0 && result.error.offset <= 40);
  }
});

test('a 1 MB b= is refused before any crypto', async () => {
  const b = Buffer.alloc(750_000, 7).toString('base64');
  const sig = (await timed('huge b=', 2000, () => verify(`DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=${b}\r\n${MESSAGE}`))).signatures[0];
  assert.equal(sig?.reason, 'signature-bad-tag');
  assert.ok((sig?.headerB.length ?? 0) <= 64, 'the report does not carry the megabyte');
});

test('keys that are not keys: permerror with a reason', async () => {
  const signed = (await signDkim(Buffer.from(MESSAGE), [{ domain: 'example.com', selector: 'sel', privateKey: rsa }], { clock })).message.toString('latin1');
  for (const selector of ['garbage', 'huge', 'ec', 'nul']) {
    const sig = (await verify(signed.replace('s=sel;', `s=${selector};`))).signatures[0];
    assert.equal(sig?.result, 'permerror', selector);
    assert.match(sig?.reason ?? '', /^key-/, selector);
  }
});

test('h= with 10,000 names is refused; 1,000 names over a big header block are handled quickly', async () => {
  const tooMany = Array.from({ length: 10_000 }, () => 'from').join(':');
  const refused = await timed('h= 10,000', 2000, () => verify(`DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=${tooMany}; bh=AAAA; b=AAAA\r\n${MESSAGE}`));
  assert.equal(refused.signatures[0]?.reason, 'signed-headers-too-many');

  const received = Array.from({ length: 5_000 }, (_, i) => `Received: from host${i}.example.net by mx.example.com; ${'x'.repeat(150)}\r\n`).join('');
  const big = Buffer.from(received + MESSAGE);
  const headers = ['from', ...Array.from({ length: 999 }, () => 'received')];
  const { message } = await signDkim(big, [{ domain: 'example.com', selector: 'sel', privateKey: rsa, headers }], { clock });
  const result = await timed('1,000 names over 5,000 fields', 3000, () => verify(message));
  assert.equal(result.signatures[0]?.result, 'pass');
  assert.ok(result.signatures[0]?.warnings.includes('header-injection-risk:received'), 'more Received fields than signed');
});

test('1 MB header blocks: one giant field, and 100,000 tiny fields', async () => {
  const giant = `X-Giant: ${'y'.repeat(1024 * 1024)}\r\n`;
  const { message } = await signDkim(Buffer.from(giant + MESSAGE), [{ domain: 'example.com', selector: 'sel', privateKey: rsa, headers: ['from', 'x-giant'] }], { clock });
  assert.equal((await timed('giant field', 3000, () => verify(message))).signatures[0]?.result, 'pass');
  const tiny = 'A: b\r\n'.repeat(100_000);
  const signedTiny = (await signDkim(Buffer.from(MESSAGE), [{ domain: 'example.com', selector: 'sel', privateKey: rsa }], { clock })).message.toString('latin1');
  const result = await timed('100,000 fields', 3000, () => verify(tiny + signedTiny));
  assert.equal(result.signatures[0]?.result, 'pass');
});

test('a flood of 10,000 signatures: only maxSignatures are evaluated', async () => {
  const field = 'DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n';
  const result = await timed('signature flood', 3000, () => verify(field.repeat(10_000) + MESSAGE, { maxSignatures: 5 }));
  assert.equal(result.signatures.length, 5);
  assert.equal(result.ignoredSignatures, 9_995);
});

test('CR/LF and NUL oddities: sign then verify agrees, and splitting never throws', async () => {
  const odd = [
    'From: a@example.com\nTo: b@example.net\n\nbare LF body\n',
    'From: a@example.com\r\nTo: b@example.net\n\r\nmixed\r\nline\nends\r\n',
    'From: a@example.com\r\nSubject: lone\rCR\r\n\r\nbody with lone\rCR and \r\r\n',
    'From: a@example.com\r\nX-Nul: a\u0000b\r\n\r\n\u0000\u0000body\u0000\r\n',
    'From: a@example.com\r\nSubject: folded\r\n\t\r\n \r\n  x\r\n\r\n \t \r\n\r\n\r\n',
    'From: a@example.com\r\nSubject: body ends in CR\r\n\r\nabc\r',
    'From: a@example.com\r\nSubject: no body at all',
    'From: a@example.com\r\n\r\n' + '\r\n'.repeat(10_000),
  ];
  for (const text of odd) {
    const { message } = await signDkim(Buffer.from(text, 'latin1'), [{ domain: 'example.com', selector: 'sel', privateKey: rsa }], { clock });
    const inputs = [message];
    // The same message with bare LF line ends must verify too (unless a lone CR makes that conversion lossy).
    if (!/\r(?!\n)/.test(message.toString('latin1'))) inputs.push(Buffer.from(message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
    for (const input of inputs) {
      const result = await verify(input);
      assert.equal(result.signatures[0]?.result, 'pass', `${JSON.stringify(text.slice(0, 60))}: ${result.signatures[0]?.detail}`);
    }
  }
  for (const text of ['', '\r', '\n', '\r\n', '\r\n\r\n', ':', ' \r\n folded first', '\u0000'.repeat(1000), 'DKIM-Signature:']) {
    assert.doesNotThrow(() => splitMessage(Buffer.from(text, 'latin1')));
    const result = await verify(text);
    assert.ok(Array.isArray(result.signatures));
  }
});

test('a 50 MB streamed body verifies in memory that does not grow with its size', async () => {
  const line = Buffer.from('All work and no play makes Jack a dull boy; all work and no play.\r\n');
  const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line)); // ~67 KB
  const chunks = Math.ceil((50 * 1024 * 1024) / chunk.length);
  // The body is clean text, so its relaxed canonical form is itself: the hash is computed independently.
  const bodyHash = createHash('sha256');
  for (let i = 0; i < chunks; i++) bodyHash.update(chunk);
  const head = 'From: a@example.com\r\nTo: b@example.net\r\nSubject: big\r\n';
  const unsigned = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; h=from:to:subject; bh=${bodyHash.digest('base64')}; b=`;
  const fields = splitMessage(Buffer.from(`${head}\r\n`)).headers;
  const data = headerHashInput(fields, new HeaderIndex(fields).select(['from', 'to', 'subject']), makeField(Buffer.from(unsigned)).raw, 'relaxed');
  const header = Buffer.from(`${unsigned}${signHeaderData('rsa-sha256', data, rsa).toString('base64')}\r\n${head}\r\n`);

  const baseline = process.memoryUsage();
  let peak = 0;
  async function* source(): AsyncGenerator<Buffer> {
    yield header;
    for (let i = 0; i < chunks; i++) {
      if (i % 64 === 0) {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.heapUsed + now.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
      }
      yield chunk;
    }
  }
  const result = await timed('50 MB body', 20_000, () => verifyDkim(source(), { resolver, clock }));
  assert.equal(result.signatures[0]?.result, 'pass', result.signatures[0]?.detail);
  console.log(`dkim streaming: 50 MB body, memory growth peak ${(peak / 1048576).toFixed(1)} MB`);
  assert.ok(peak < 16 * 1024 * 1024, `memory grew by ${(peak / 1048576).toFixed(1)} MB while streaming 50 MB`);
});
