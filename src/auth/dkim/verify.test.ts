import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ManualClock } from '../../core/clock.js';
import { splitMessage } from '../../core/message/split.js';
import { makeField } from '../../core/message/headers.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { hashBody } from './body-hash.js';
import { headerHashInput, HeaderIndex } from './canonicalize.js';
import { signHeaderData } from './crypto.js';
import { describeKey } from './keygen.js';
import { DkimKeyCache } from './key-record.js';
import { signDkim, type DkimSigner } from './sign.js';
import { verifyDkim } from './verify.js';
import type { DkimAlgorithm } from './types.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const weak = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey;
const record = (key: KeyObject): string => describeKey(key, 'example.com', 'x').txtRecord;
const NOW = 1_700_000_000;
const clock = new ManualClock(NOW * 1000);
const MESSAGE = Buffer.from(
  'From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n',
);

function zone(extra: ZoneData = {}): ZoneResolver {
  return new ZoneResolver({
    'rsa._domainkey.example.com': [{ TXT: record(rsa) }],
    'ed._domainkey.example.com': [{ TXT: record(ed) }],
    'weak._domainkey.example.com': [{ TXT: record(weak) }],
    ...extra,
  });
}

async function sign(signers: Partial<DkimSigner>[], message = MESSAGE): Promise<Buffer> {
  const full = signers.map((s) => ({ domain: 'example.com', selector: 'rsa', privateKey: rsa, ...s }) as DkimSigner);
  return (await signDkim(message, full, { clock })).message;
}

/** Builds a signature by hand (for what signDkim refuses to make): tags in order, b= computed. */
function craft(message: Buffer, tags: string, key: KeyObject, algorithm: DkimAlgorithm, headers: string[], canon: 'simple' | 'relaxed' = 'relaxed'): Buffer {
  const split = splitMessage(message);
  const bh = hashBody(split.body, canon, algorithm === 'rsa-sha1' ? 'sha1' : 'sha256').hash.toString('base64');
  const unsigned = `DKIM-Signature: v=1; a=${algorithm}; c=${canon}/${canon}; d=example.com; ${tags}; h=${headers.join(':')}; bh=${bh}; b=`;
  const index = new HeaderIndex(split.headers);
  const data = headerHashInput(split.headers, index.select(headers), makeField(Buffer.from(unsigned)).raw, canon);
  return Buffer.concat([Buffer.from(`${unsigned}${signHeaderData(algorithm, data, key).toString('base64')}\r\n`), message]);
}

test('a message without DKIM-Signature gives no results', async () => {
  assert.deepEqual(await verifyDkim(MESSAGE, { resolver: zone(), clock }), { signatures: [] });
});

test('RSA and Ed25519 signatures pass, each with its own result; one key lookup per key name', async () => {
  const resolver = zone();
  const signed = await sign([{ selector: 'rsa' }, { selector: 'ed', privateKey: ed }, { selector: 'rsa', canonicalization: 'simple/simple' }]);
  const result = await verifyDkim(signed, { resolver, clock });
  assert.deepEqual(result.signatures.map((s) => [s.result, s.selector, s.algorithm, s.canonicalization]), [
    ['pass', 'rsa', 'rsa-sha256', 'relaxed/relaxed'],
    ['pass', 'ed', 'ed25519-sha256', 'relaxed/relaxed'],
    ['pass', 'rsa', 'rsa-sha256', 'simple/simple'],
  ]);
  assert.equal(resolver.calls.length, 2);
  const sig = result.signatures[0];
  assert.ok(sig);
  assert.equal(sig.bodyHashMatched, true);
  assert.equal(sig.timestamp, NOW);
  assert.equal(sig.keyBits, 1024);
  assert.ok(sig.headerB.length >= 8);
  assert.deepEqual(sig.warnings, []);
});

test('a streamed message gives the same result as a buffer', async () => {
  const signed = await sign([{}]);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < signed.length; i += 7) yield signed.subarray(i, i + 7);
  }
  const streamed = await verifyDkim(chunks(), { resolver: zone(), clock });
  assert.deepEqual(streamed, await verifyDkim(signed, { resolver: zone(), clock }));
});

test('tampering: body → body-hash-mismatch, signed header → signature-mismatch; other results still stand', async () => {
  const signed = (await sign([{}, { selector: 'ed', privateKey: ed, headers: ['from'] }])).toString();
  const body = await verifyDkim(Buffer.from(signed.replace('Hello.', 'Hullo.')), { resolver: zone(), clock });
  assert.equal(body.signatures[0]?.reason, 'body-hash-mismatch');
  assert.equal(body.signatures[0]?.bodyHashMatched, false);
  assert.match(body.signatures[0]?.detail ?? '', /headers are intact/);
  const header = await verifyDkim(Buffer.from(signed.replace('Subject: hi', 'Subject: pay now')), { resolver: zone(), clock });
  assert.deepEqual(header.signatures.map((s) => [s.result, s.reason]), [['fail', 'signature-mismatch'], ['pass', 'verified']]);
});

test('rsa-sha1 is policy unless legacy; so is an RSA key under 1024 bits', async () => {
  const sha1 = craft(MESSAGE, 's=rsa', rsa, 'rsa-sha1', ['from']);
  const strict = await verifyDkim(sha1, { resolver: zone(), clock });
  assert.deepEqual([strict.signatures[0]?.result, strict.signatures[0]?.reason], ['policy', 'algorithm-rsa-sha1']);
  const legacy = await verifyDkim(sha1, { resolver: zone(), clock, legacy: true });
  assert.equal(legacy.signatures[0]?.result, 'pass');
  assert.ok(legacy.signatures[0]?.warnings.includes('rsa-sha1-accepted'));

  const small = craft(MESSAGE, 's=weak', weak, 'rsa-sha256', ['from']);
  const weakStrict = await verifyDkim(small, { resolver: zone(), clock });
  assert.deepEqual([weakStrict.signatures[0]?.result, weakStrict.signatures[0]?.reason], ['policy', 'key-too-small']);
  const weakLegacy = await verifyDkim(small, { resolver: zone(), clock, legacy: true });
  assert.equal(weakLegacy.signatures[0]?.result, 'pass');
  assert.ok(weakLegacy.signatures[0]?.warnings.includes('weak-key-accepted'));
});

test('x= in the past fails; t= in the future beyond the skew is policy (checked against the injected clock)', async () => {
  const signed = await sign([{ expireSeconds: 60 }]);
  assert.equal((await verifyDkim(signed, { resolver: zone(), clock })).signatures[0]?.result, 'pass');
  const later = new ManualClock((NOW + 61) * 1000);
  const expired = await verifyDkim(signed, { resolver: zone(), clock: later });
  assert.deepEqual([expired.signatures[0]?.result, expired.signatures[0]?.reason], ['fail', 'signature-expired']);
  assert.equal(expired.signatures[0]?.expiration, NOW + 60);
  const future = await verifyDkim(await sign([{ timestamp: NOW + 3600 }]), { resolver: zone(), clock });
  assert.deepEqual([future.signatures[0]?.result, future.signatures[0]?.reason], ['policy', 'signature-timestamp-future']);
  const skew = await verifyDkim(await sign([{ timestamp: NOW + 60 }]), { resolver: zone(), clock });
  assert.equal(skew.signatures[0]?.result, 'pass');
});

test('key problems map to permerror or temperror with their own reasons', async () => {
  const cases: [ZoneData[string], string, string][] = [
    [[], 'permerror', 'key-not-found'],
    [['TIMEOUT'], 'temperror', 'key-dns-error'],
    [['SERVFAIL'], 'temperror', 'key-dns-error'],
    [[{ TXT: 'v=DKIM1; k=rsa; p=' }], 'permerror', 'key-revoked'],
    [[{ TXT: 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }], 'permerror', 'key-type-mismatch'],
    [[{ TXT: `${record(rsa)}; h=sha1` }], 'permerror', 'key-hash-not-allowed'],
    [[{ TXT: `${record(rsa)}; s=tlsrpt` }], 'permerror', 'key-service-mismatch'],
    [[{ TXT: 'v=DKIM1; p=bm90IGEga2V5' }], 'permerror', 'key-invalid'],
    [[{ TXT: 'v=spf1 -all' }], 'permerror', 'key-syntax'],
  ];
  const signed = await sign([{ selector: 'k' }]);
  for (const [entries, result, reason] of cases) {
    const resolver = new ZoneResolver(entries.length ? { 'k._domainkey.example.com': entries } : { 'other.example.com': [{ TXT: 'x' }] });
    const out = await verifyDkim(signed, { resolver, clock, keyCache: new DkimKeyCache() });
    assert.deepEqual([out.signatures[0]?.result, out.signatures[0]?.reason], [result, reason], JSON.stringify(entries));
  }
});

test('key flags: t=s forbids an i= subdomain, t=y adds a warning', async () => {
  const sub = await sign([{ selector: 'k', identity: 'a@mail.example.com' }]);
  const strict = await verifyDkim(sub, { resolver: new ZoneResolver({ 'k._domainkey.example.com': [{ TXT: `${record(rsa)}; t=s` }] }), clock });
  assert.equal(strict.signatures[0]?.reason, 'identity-subdomain-forbidden');
  const testing = await verifyDkim(sub, { resolver: new ZoneResolver({ 'k._domainkey.example.com': [{ TXT: `${record(rsa)}; t=y` }] }), clock });
  assert.equal(testing.signatures[0]?.result, 'pass');
  assert.ok(testing.signatures[0]?.warnings.includes('key-testing'));
  assert.equal(testing.signatures[0]?.identity, 'a@mail.example.com');
});

test('l= is honoured and flagged: content appended after the limit still passes, with the unsigned octets counted', async () => {
  const signed = await sign([{ bodyLength: true }]);
  assert.match(signed.toString(), /; l=8;/);
  const appended = Buffer.concat([signed, Buffer.from('Click here: http://evil.example/\r\n')]);
  const sig = (await verifyDkim(appended, { resolver: zone(), clock })).signatures[0];
  assert.equal(sig?.result, 'pass');
  assert.equal(sig?.bodyLengthLimited, true);
  assert.equal(sig?.unsignedBodyOctets, 34);
  assert.ok(sig?.warnings.includes('body-length-limited'));
  assert.ok(sig?.warnings.includes('unsigned-body-content'));
  const cut = Buffer.from(signed.toString().replace('Hello.\r\n', 'Hell\r\n'));
  assert.equal((await verifyDkim(cut, { resolver: zone(), clock })).signatures[0]?.reason, 'body-length-exceeds-body');
});

test('a field signed fewer times than it appears is flagged; default signing over-signs so an added field breaks it', async () => {
  const once = await sign([{ headers: ['from', 'subject'] }]);
  const injected = Buffer.concat([Buffer.from('Subject: URGENT wire money\r\n'), once]);
  const sig = (await verifyDkim(injected, { resolver: zone(), clock })).signatures[0];
  assert.equal(sig?.result, 'pass');
  assert.deepEqual(sig?.warnings, ['header-injection-risk:subject']);
  const oversigned = await sign([{}]);
  const attacked = Buffer.concat([Buffer.from('Subject: URGENT wire money\r\n'), oversigned]);
  assert.equal((await verifyDkim(attacked, { resolver: zone(), clock })).signatures[0]?.reason, 'signature-mismatch');
});

test('maxSignatures: the rest are counted, not evaluated; duplicate b= values get a longer header.b', async () => {
  const signed = (await sign([{}])).toString();
  const field = signed.slice(0, signed.indexOf('\r\nFrom:') + 2);
  const many = Buffer.from(field.repeat(4) + signed.slice(field.length));
  const result = await verifyDkim(many, { resolver: zone(), clock, maxSignatures: 2 });
  assert.equal(result.signatures.length, 2);
  assert.equal(result.ignoredSignatures, 2);
  assert.ok((result.signatures[0]?.headerB.length ?? 0) > 8);
});

test('unparseable signatures are neutral with what they still said', async () => {
  const broken = Buffer.concat([Buffer.from('DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=to; bh=AAAA; b=AAAAAAAAAAAA\r\n'), MESSAGE]);
  const sig = (await verifyDkim(broken, { resolver: zone(), clock })).signatures[0];
  assert.deepEqual([sig?.result, sig?.reason, sig?.domain, sig?.selector], ['neutral', 'from-not-signed', 'example.com', 'rsa']);
});

test('a header block over the limit is reported, not verified', async () => {
  const result = await verifyDkim(await sign([{}]), { resolver: zone(), clock, maxHeaderBytes: 100 });
  assert.deepEqual(result.signatures, []);
  assert.equal(result.error?.reason, 'header-too-large');
});

test('bare-LF input verifies (line ends are normalised first) and says so', async () => {
  const signed = (await sign([{}])).toString().replace(/\r\n/g, '\n');
  const sig = (await verifyDkim(Buffer.from(signed), { resolver: zone(), clock })).signatures[0];
  assert.equal(sig?.result, 'pass');
  assert.ok(sig?.warnings.includes('line-endings-normalized'));
});
