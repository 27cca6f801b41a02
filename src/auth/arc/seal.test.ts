import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../core/clock.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { describeKey } from '../dkim/index.js';
import { sealArc } from './seal.js';
import { ArcError } from './types.js';
import { verifyArc } from './verify.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const resolver = new ZoneResolver({
  'rsa._domainkey.example.org': [{ TXT: describeKey(rsa, 'example.org', 'rsa').txtStrings }],
  'ed._domainkey.example.net': [{ TXT: describeKey(ed, 'example.net', 'ed').txtStrings }],
});
const message = Buffer.from('Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=a@example.com\nFrom: a@example.com\nTo: b@example.net\nSubject: hi\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; bh=AAAA; b=AAAA\n\nbody\n');
const base = { domain: 'example.org', selector: 'rsa', privateKey: rsa, authservId: 'mx.example.org' };

test('seals with t= from the clock; the default h= has DKIM-Signature and no ARC field; line ends become CRLF', async () => {
  const sealed = await sealArc(message, { ...base, clock: new ManualClock(1_700_000_000_000) });
  assert.ok(sealed.sealed);
  assert.equal(sealed.instance, 1);
  assert.equal(sealed.cv, 'none');
  assert.match(sealed.headers.seal, /t=1700000000;/);
  const h = /[;\s]h=([^;]*);/.exec(sealed.headers.messageSignature.replace(/\r\n /g, ''))?.[1] ?? '';
  assert.ok(h.split(':').includes('dkim-signature'));
  assert.ok(!h.split(':').some((name) => name.startsWith('arc-')));
  assert.ok(!sealed.message.toString('latin1').replace(/\r\n/g, '').includes('\n'));
  assert.equal((await verifyArc(sealed.message, { resolver })).cv, 'pass');
});

test('a second hop with another domain and Ed25519 passes; both layouts verify', async () => {
  for (const fold of [true, false]) {
    const first = await sealArc(message, { ...base, fold });
    assert.ok(first.sealed);
    const chain = await verifyArc(first.message, { resolver });
    const second = await sealArc(first.message, { domain: 'example.net', selector: 'ed', privateKey: ed, authservId: 'mx.example.net', chain, fold });
    assert.ok(second.sealed);
    assert.equal(second.cv, 'pass');
    const result = await verifyArc(second.message, { resolver });
    assert.equal(result.cv, 'pass', result.detail);
    assert.deepEqual(result.instances.map((i) => [i.domain, i.amsDomain, i.aar.authservId]), [
      ['example.org', 'example.org', 'mx.example.org'],
      ['example.net', 'example.net', 'mx.example.net'],
    ]);
  }
});

test('cv= comes from the arc= result of our own A-R when no chain is given', async () => {
  const first = await sealArc(message, base);
  assert.ok(first.sealed);
  const withArc = Buffer.concat([Buffer.from('Authentication-Results: mx.example.net; arc=pass\r\n'), first.message]);
  const second = await sealArc(withArc, { domain: 'example.net', selector: 'ed', privateKey: ed, authservId: 'mx.example.net' });
  assert.ok(second.sealed);
  assert.equal(second.cv, 'pass');
  assert.match(second.headers.authResults, /^ARC-Authentication-Results: i=2; mx\.example\.net;\r\n arc=pass$/);
  await assert.rejects(sealArc(first.message, base), (e: unknown) => e instanceof ArcError && e.code === 'chain-status-unknown');
  await assert.rejects(sealArc(first.message, { ...base, chain: 'none' }), (e: unknown) => e instanceof ArcError && e.code === 'chain-status-mismatch');
  await assert.rejects(sealArc(message, { ...base, chain: 'pass' }), (e: unknown) => e instanceof ArcError && e.code === 'chain-status-mismatch');
});

test('a failing chain: sealed cv=fail over its own set by default, refused with sealFailedChain: false', async () => {
  const first = await sealArc(message, base);
  assert.ok(first.sealed);
  const tampered = Buffer.from(first.message.toString('latin1').replace('body', 'BODY'), 'latin1');
  const chain = await verifyArc(tampered, { resolver });
  assert.equal(chain.cv, 'fail');
  const refused = await sealArc(tampered, { ...base, chain, sealFailedChain: false });
  assert.deepEqual([refused.sealed, refused.sealed ? '' : refused.reason], [false, 'chain-failed']);
  const marked = await sealArc(tampered, { ...base, chain });
  assert.ok(marked.sealed);
  assert.equal(marked.cv, 'fail');
  const result = await verifyArc(marked.message, { resolver });
  assert.equal(result.reason, 'chain-marked-failed');
  // That the cv=fail seal covers only its own set (RFC 8617 §5.1.2) is checked byte for byte by the
  // ValiMail sign cases i1_base_fail and i2_base_fail.
  const after = await sealArc(marked.message, { ...base, chain: result });
  assert.deepEqual([after.sealed, after.sealed ? '' : after.reason], [false, 'chain-already-failed']);
});

test('configuration errors throw ArcError with stable codes', async () => {
  const cases: [Parameters<typeof sealArc>[1], string][] = [
    [{ ...base, domain: 'not a domain' }, 'bad-domain'],
    [{ ...base, selector: '' }, 'bad-selector'],
    [{ ...base, authservId: 'a b' }, 'bad-authserv-id'],
    [{ ...base, privateKey: 'nope' }, 'bad-private-key'],
    [{ ...base, privateKey: generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey }, 'key-too-small'],
    [{ ...base, algorithm: 'ed25519-sha256' }, 'key-algorithm-mismatch'],
    [{ ...base, headers: ['from', 'arc-seal'] }, 'headers-include-arc-seal'],
    [{ ...base, headers: ['fr om'] }, 'bad-header-name'],
    [{ ...base, timestamp: -1 }, 'bad-timestamp'],
  ];
  for (const [options, code] of cases) {
    await assert.rejects(sealArc(message, options), (e: unknown) => e instanceof ArcError && e.code === code, code);
  }
});
