// Cross-check against mailauth 4.13 (a devDependency used as a reference only): what we sign, mailauth
// verifies, and what mailauth signs, we verify, for every canonicalization and both key types, on the
// mailauth and dkimpy fixture messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { describeKey, signDkim, verifyDkim } from '../../src/auth/dkim/index.js';

const require = createRequire(import.meta.url);
const { dkimSign } = require('mailauth/lib/dkim/sign') as {
  dkimSign: (input: Buffer, options: unknown) => Promise<{ signatures: string; errors: unknown[] }>;
};
const { dkimVerify } = require('mailauth/lib/dkim/verify') as {
  dkimVerify: (input: Buffer, options: unknown) => Promise<{ results: { status: { result: string; comment?: string } }[] }>;
};

const ROOT = new URL('../../../shared/conformance/', import.meta.url);
const crlf = (raw: Buffer): Buffer => (raw.includes('\r\n') ? raw : Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'));
const messages = ['dkim-mailauth/fixtures/message1.eml', 'dkim-dkimpy/message.mbox', 'dkim-dkimpy/test2.message', 'dkim-dkimpy/rfc6376.msg'].map(
  (path) => [path, crlf(readFileSync(new URL(path, ROOT)))] as const,
);
const keys = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
};
const records = Object.fromEntries(Object.entries(keys).map(([type, key]) => [type, describeKey(key, 'example.com', type)]));
const resolver = new ZoneResolver(Object.fromEntries(Object.values(records).map((r) => [r.dnsName, [{ TXT: r.txtStrings }]])));
const mailauthResolver = async (name: string): Promise<string[][]> => {
  const record = Object.values(records).find((r) => r.dnsName === name.replace(/\.$/, ''));
  if (record === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return [record.txtStrings];
};
const clock = new ManualClock(Date.now());
const modes = ['simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed'];

for (const [path, message] of messages) {
  for (const type of ['rsa', 'ed25519'] as const) {
    test(`${path} ${type}: mailauth verifies what we sign`, async () => {
      for (const c of modes) {
        const { message: signed } = await signDkim(message, [{ domain: 'example.com', selector: type, privateKey: keys[type], canonicalization: c }], { clock });
        const result = await dkimVerify(signed, { resolver: mailauthResolver });
        assert.equal(result.results[0]?.status.result, 'pass', `${c}: ${result.results[0]?.status.comment}`);
      }
    });
    test(`${path} ${type}: we verify what mailauth signs`, async () => {
      for (const c of modes) {
        const privateKey = keys[type].export({ type: 'pkcs8', format: 'pem' });
        const out = await dkimSign(message, { signatureData: [{ signingDomain: 'example.com', selector: type, privateKey, canonicalization: c }] });
        assert.deepEqual(out.errors, []);
        const result = await verifyDkim(Buffer.concat([Buffer.from(out.signatures), message]), { resolver, clock });
        const sig = result.signatures[0];
        assert.equal(sig?.result, 'pass', `${c}: ${sig?.reason} ${sig?.detail}`);
      }
    });
  }
}
