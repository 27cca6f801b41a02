import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { describeKey } from '../dkim/index.js';
import { sealArc } from './seal.js';
import { verifyArc } from './verify.js';

const ed = generateKeyPairSync('ed25519').privateKey;
const resolver = new ZoneResolver({ 'ed._domainkey.example.org': [{ TXT: describeKey(ed, 'example.org', 'ed').txtStrings }] });
const message = Buffer.from('From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n');
const sealer = { domain: 'example.org', selector: 'ed', privateKey: ed, authservId: 'mx.example.org' };

async function hop(input: Buffer, headers?: string[]): Promise<Buffer> {
  const chain = await verifyArc(input, { resolver });
  const sealed = await sealArc(input, { ...sealer, chain, ...(headers ? { headers } : {}) });
  assert.ok(sealed.sealed);
  return sealed.message;
}

test('no ARC field: cv=none, no DNS query', async () => {
  const local = new ZoneResolver({});
  const result = await verifyArc(message, { resolver: local });
  assert.deepEqual([result.cv, result.reason, result.instances], ['none', 'no-arc-sets', []]);
  assert.equal(local.calls.length, 0);
});

test('oldest-pass: 0 when every AMS verifies, else the lowest instance from which they all do (RFC 8617 §5.2)', async () => {
  const one = await hop(message, ['from', 'subject']);
  const two = await hop(one, ['from']);
  assert.equal((await verifyArc(two, { resolver })).oldestPass, 0);
  // A Subject change breaks AMS 1 (which signed it) but not AMS 2 or the seals: the chain still passes.
  const changed = Buffer.from(two.toString('latin1').replace('Subject: hi', 'Subject: [list] hi'), 'latin1');
  const result = await verifyArc(changed, { resolver });
  assert.equal(result.cv, 'pass', result.detail);
  assert.equal(result.oldestPass, 2);
  assert.equal(result.instances[0]?.amsResult.reason, 'signature-mismatch');
  assert.equal(result.instances[1]?.amsResult.result, 'pass');
});

test('a changed older AAR breaks the seals, not the AMS: seal-invalid names the newest seal that covers it', async () => {
  const two = await hop(await hop(message));
  const changed = Buffer.from(two.toString('latin1').replace(/(ARC-Authentication-Results: i=1; mx\.example\.org;\s*)none/, '$1spf=pass'), 'latin1');
  const result = await verifyArc(changed, { resolver });
  assert.equal(result.reason, 'seal-invalid');
  assert.equal(result.failedInstance, 2);
  assert.deepEqual(result.instances.map((i) => i.asResult.result), ['fail', 'fail']);
});

test('cv-invalid: instance 1 saying pass is refused before any DNS query', async () => {
  const one = await hop(message);
  const lying = Buffer.from(one.toString('latin1').replace('cv=none', 'cv=pass'), 'latin1');
  const local = new ZoneResolver({});
  const result = await verifyArc(lying, { resolver: local });
  assert.deepEqual([result.reason, result.failedInstance], ['cv-invalid', 1]);
  assert.equal(local.calls.length, 0);
});

test('bare LF input is validated as CRLF, with a warning; an oversized header block is refused', async () => {
  const one = await hop(message);
  const lf = Buffer.from(one.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  const result = await verifyArc(lf, { resolver });
  assert.equal(result.cv, 'pass');
  assert.deepEqual(result.warnings, ['line-endings-normalized']);
  const big = await verifyArc(one, { resolver, maxHeaderBytes: 100 });
  assert.deepEqual([big.cv, big.reason], ['fail', 'header-too-large']);
});

test('key lookups are shared: one query per key name for a 3-hop chain by one sealer', async () => {
  const three = await hop(await hop(await hop(message)));
  const local = new ZoneResolver(resolver.zone);
  assert.equal((await verifyArc(three, { resolver: local })).cv, 'pass');
  assert.deepEqual(local.calls, [{ name: 'ed._domainkey.example.org', type: 'TXT' }]);
});
