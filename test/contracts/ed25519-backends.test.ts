// The two Ed25519 verifiers behind ed25519-sha256 (src/auth/dkim/ed25519.ts) agree: libsodium (when
// sodium-native loads) and node:crypto give the same answer for RFC 8032's test vectors, for real signatures
// from many keys over many messages, and for every way of damaging one (a flipped bit in the signature,
// message or key, the wrong key, S pushed past the group order). The one documented difference is crafted
// input: libsodium also refuses small-order keys, which let anyone "sign" anything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { ed25519Backend, ed25519Verify, hasLibsodium, isSmallOrderEd25519Key, rememberRawEd25519Key, type Ed25519Backend } from '../../src/auth/dkim/ed25519.js';
import { loadPublicKey, parseDkimKeyRecord } from '../../src/auth/dkim/key-record.js';
import { seededRandom } from '../../src/testing/seeded-random.js';

const BACKENDS: Ed25519Backend[] = hasLibsodium() ? ['libsodium', 'node:crypto'] : ['node:crypto'];
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Each backend's verdict; the test asserts they are all equal to `expected`. */
function verdicts(message: Buffer, signature: Buffer, key: KeyObject): boolean[] {
  return BACKENDS.map((backend) => ed25519Verify(message, signature, key, backend));
}

test('the Ed25519 backend in use is reported', () => {
  assert.ok(ed25519Backend === 'libsodium' || ed25519Backend === 'node:crypto');
  // sodium-native is an optional dependency that npm ci installs here; a silent fallback would hide a 2x loss.
  if (process.env['CI'] === 'true') assert.equal(ed25519Backend, 'libsodium', 'sodium-native did not load in CI');
});

test('MAILFLOW_ED25519=node keeps node:crypto', () => {
  const script = "import('./src/auth/dkim/ed25519.ts').then((m) => process.stdout.write(m.ed25519Backend))";
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, MAILFLOW_ED25519: 'node' }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'node:crypto');
});

// RFC 8032 §7.1, TESTs 1-3 and SHA(abc): secret key, public key, message, signature (hex).
const RFC8032_VECTORS: [string, string, string][] = [
  [
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
];

test('RFC 8032 test vectors verify with every backend, and fail when damaged', () => {
  for (const [publicHex, messageHex, signatureHex] of RFC8032_VECTORS) {
    const key = publicKeyFromRaw(Buffer.from(publicHex, 'hex'));
    const message = Buffer.from(messageHex, 'hex');
    const signature = Buffer.from(signatureHex, 'hex');
    assert.deepEqual(verdicts(message, signature, key), BACKENDS.map(() => true), publicHex);
    const damaged = Buffer.from(signature);
    damaged[10] = (damaged[10] as number) ^ 0x01;
    assert.deepEqual(verdicts(message, damaged, key), BACKENDS.map(() => false), publicHex);
  }
});

test('both backends agree on 300 real signatures and every kind of damage to them', () => {
  const random = seededRandom(8463);
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let checked = 0;
  for (let n = 0; n < 300; n++) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519').publicKey;
    // DKIM signs the 32-octet SHA-256 of the header data; other lengths are covered too.
    const message = Buffer.from(Array.from({ length: n % 3 === 0 ? 32 : Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    const signature = cryptoSign(null, message, privateKey);
    const cases: [string, Buffer, Buffer, KeyObject, boolean][] = [['valid', message, signature, publicKey, true]];
    const flipSig = Buffer.from(signature);
    const sigAt = Math.floor(random() * 64);
    flipSig[sigAt] = (flipSig[sigAt] as number) ^ (1 << Math.floor(random() * 8));
    cases.push(['signature bit', message, flipSig, publicKey, false]);
    if (message.length > 0) {
      const flipMsg = Buffer.from(message);
      const msgAt = Math.floor(random() * message.length);
      flipMsg[msgAt] = (flipMsg[msgAt] as number) ^ (1 << Math.floor(random() * 8));
      cases.push(['message bit', flipMsg, signature, publicKey, false]);
    }
    cases.push(['other key', message, signature, other, false]);
    // S + L: the same point equation, but a non-canonical S (RFC 8032 §5.1.7 requires S < L).
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`) + L;
    if (s < 1n << 256n) {
      const sPlusL = Buffer.concat([signature.subarray(0, 32), Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse()]);
      cases.push(['S + L', message, sPlusL, publicKey, false]);
    }
    cases.push(['short signature', message, signature.subarray(0, 63), publicKey, false]);
    for (const [what, m, sig, key, expected] of cases) {
      assert.deepEqual(verdicts(m, sig, key), BACKENDS.map(() => expected), `key ${n}: ${what}`);
      checked++;
    }
  }
  console.log(`ed25519 backends (${BACKENDS.join(', ')}): ${checked} cases agreed`);
});

test('a small-order key (the identity point) is refused by libsodium', { skip: hasLibsodium() ? false : 'sodium-native is not installed' }, () => {
  // With A = identity, R = identity and S = 0 the cofactorless equation [S]B = R + [k]A holds for every
  // message: a "key" that lets anyone sign anything. libsodium refuses small-order keys outright.
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  const key = publicKeyFromRaw(identity);
  const signature = Buffer.concat([identity, Buffer.alloc(32)]);
  const message = Buffer.from('any message at all');
  assert.equal(ed25519Verify(message, signature, key, 'libsodium'), false);
  console.log(`small-order key: libsodium refuses; node:crypto says ${ed25519Verify(message, signature, key, 'node:crypto') ? 'valid' : 'invalid'}`);
});

test('keys not from the DKIM loader work too (raw bytes derived once), and non-Ed25519 keys are refused', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const message = Buffer.from('hello');
  const signature = cryptoSign(null, message, privateKey);
  for (let k = 0; k < 2; k++) assert.deepEqual(verdicts(message, signature, publicKey), BACKENDS.map(() => true));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  assert.deepEqual(verdicts(message, signature, rsa), BACKENDS.map(() => false));
  // A remembered raw key of the wrong length is ignored rather than trusted.
  const fresh = createPublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  rememberRawEd25519Key(fresh, Buffer.alloc(31));
  assert.deepEqual(verdicts(message, signature, fresh), BACKENDS.map(() => true));
});

/** The valid encodings of small-order points: y = 0 (x either sign), 1, p-1, and the order-8 pair (either sign). */
const SMALL_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];

test('the small-order keys DKIM refuses really are forgery keys, and the loader refuses every one', () => {
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  const forgery = Buffer.concat([identity, Buffer.alloc(32)]); // R = identity, S = 0
  for (const hex of SMALL_ORDER_POINTS) {
    const raw = Buffer.from(hex, 'hex');
    assert.ok(isSmallOrderEd25519Key(raw), hex);
    // Find a message whose k = SHA-512(R || A || M) mod L is a multiple of 8: then [k]A is the identity and
    // the forgery satisfies the cofactorless equation, which node:crypto (OpenSSL) checks.
    let message = Buffer.alloc(0);
    for (let n = 0; ; n++) {
      message = Buffer.from(`forged message ${n}`);
      const digest = createHash('sha512').update(Buffer.concat([identity, raw, message])).digest();
      if ((BigInt(`0x${Buffer.from(digest).reverse().toString('hex')}`) % L) % 8n === 0n) break;
    }
    assert.equal(ed25519Verify(message, forgery, publicKeyFromRaw(raw), 'node:crypto'), true, `node:crypto takes the forgery for ${hex}`);
    if (hasLibsodium()) assert.equal(ed25519Verify(message, forgery, publicKeyFromRaw(raw), 'libsodium'), false, hex);
    const record = parseDkimKeyRecord(`v=DKIM1; k=ed25519; p=${raw.toString('base64')}`);
    assert.ok(record.ok);
    const loaded = loadPublicKey(record.value);
    assert.equal(loaded.ok, false, hex);
    assert.match(loaded.ok ? '' : loaded.message, /small order/);
  }
  // Non-canonical encodings of 0 and 1 (y = p, p + 1) are refused by the loader as well.
  for (const hex of ['edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']) {
    assert.ok(isSmallOrderEd25519Key(Buffer.from(hex, 'hex')), hex);
  }
  // Ordinary keys are not caught.
  for (let n = 0; n < 50; n++) {
    const raw = (generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12);
    assert.equal(isSmallOrderEd25519Key(raw), false);
  }
});
