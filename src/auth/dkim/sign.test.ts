import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../core/clock.js';
import { parseTagList } from './tag-list.js';
import { signDkim } from './sign.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const clock = new ManualClock(1_700_000_000_000);
const MESSAGE = Buffer.from('From: a@example.com\r\nTo: b@example.net\r\nTo: c@example.net\r\nSubject: s\r\nX-Other: 1\r\n\r\nbody\r\n');

function tags(header: string): Map<string, string> {
  const parsed = parseTagList(header.slice(header.indexOf(':') + 1));
  assert.ok(parsed.ok);
  return new Map(parsed.value.tags.map((t) => [t.name, t.value.replace(/\s+/g, '')]));
}

test('defaults: relaxed/relaxed, algorithm from the key, t= from the clock, no l=, over-signed header list', async () => {
  const { headers, message } = await signDkim(MESSAGE, [{ domain: 'Example.com', selector: 'sel', privateKey: rsa }], { clock });
  const t = tags(headers[0] as string);
  assert.equal(t.get('a'), 'rsa-sha256');
  assert.equal(t.get('c'), 'relaxed/relaxed');
  assert.equal(t.get('d'), 'example.com');
  assert.equal(t.get('t'), '1700000000');
  assert.equal(t.has('l'), false);
  assert.equal(t.has('x'), false);
  // Each over-signed name once per instance plus once; others (X-Other) not at all.
  assert.equal(t.get('h'), 'from:from:to:to:to:subject:subject:date:reply-to:cc:message-id');
  assert.ok(message.toString().startsWith(`${headers[0]}\r\nFrom:`));
});

test('dual RSA + Ed25519 signing shares the body hash; x= and l= when asked', async () => {
  const { headers } = await signDkim(
    MESSAGE,
    [
      { domain: 'example.com', selector: 'r', privateKey: rsa, expireSeconds: 3600 },
      { domain: 'example.com', selector: 'e', privateKey: ed, bodyLength: true, identity: 'a@example.com' },
    ],
    { clock },
  );
  const [r, e] = headers.map(tags) as [Map<string, string>, Map<string, string>];
  assert.equal(e.get('a'), 'ed25519-sha256');
  assert.equal(r.get('bh'), e.get('bh'));
  assert.equal(r.get('x'), '1700003600');
  assert.equal(e.get('l'), '6');
  assert.equal(e.get('i'), 'a@example.com');
});

test('folded lines stay within 78 characters and every fold is CRLF + space', async () => {
  const { headers } = await signDkim(MESSAGE, [{ domain: 'example.com', selector: 'sel', privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }], { clock });
  const header = headers[0] as string;
  for (const line of header.split('\r\n')) assert.ok(line.length <= 78, line);
  assert.doesNotMatch(header, /\r\n(?! )/);
  assert.doesNotMatch(header, /\n(?<!\r\n)/);
});

test('bare-LF messages come back with CRLF', async () => {
  const { message } = await signDkim(Buffer.from('From: a@example.com\n\nhi\n'), [{ domain: 'example.com', selector: 's', privateKey: ed }], { clock });
  assert.doesNotMatch(message.toString(), /[^\r]\n/);
});

test('configurations that cannot work throw DkimError with a code', async () => {
  const cases: [Parameters<typeof signDkim>[1], string][] = [
    [[], 'no-signers'],
    [[{ domain: 'example.com', selector: 's', privateKey: 'not a key' }], 'bad-private-key'],
    [[{ domain: 'example.com', selector: 's', privateKey: rsa, algorithm: 'ed25519-sha256' }], 'key-algorithm-mismatch'],
    [[{ domain: 'example.com', selector: 's', privateKey: generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey }], 'key-too-small'],
    [[{ domain: 'example.com', selector: 's', privateKey: rsa, identity: 'a@example.org' }], 'identity-mismatch'],
    [[{ domain: 'example.com', selector: 's', privateKey: rsa, headers: ['to', 'subject'] }], 'from-not-signed'],
    [[{ domain: 'bad domain', selector: 's', privateKey: rsa }], 'bad-domain'],
    [[{ domain: 'example.com', selector: 's', privateKey: rsa, canonicalization: 'loose' }], 'bad-canonicalization'],
    [[{ domain: 'example.com', selector: 's', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }], 'bad-private-key'],
  ];
  for (const [signers, code] of cases) await assert.rejects(signDkim(MESSAGE, signers, { clock }), { name: 'DkimError', code }, code);
  await assert.rejects(signDkim(Buffer.from('To: a@b\r\n\r\nx'), [{ domain: 'example.com', selector: 's', privateKey: rsa }]), { code: 'no-from' });
});
