// DKIM vectors from shared/conformance: the RFC 8463 A.3 message (verify both signatures, and re-sign them
// byte for byte), the RFC 6376 §3.4 canonicalization examples and empty-body hashes, mailauth's body-hash
// vectors, and dkimpy's data files (pre-signed messages, key records, sign/verify round trips).
// Skips live in dkim-expectations.json with a reason each; prints `dkim vectors: N passed, M skipped, K failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { splitMessage } from '../../src/core/message/split.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import type { ZoneData } from '../../src/testing/zone.js';
import {
  canonicalizeBody,
  canonicalizeHeaderField,
  hashBody,
  parseTagList,
  signDkim,
  verifyDkim,
  type DkimSigner,
  type DkimVerifyResult,
} from '../../src/auth/dkim/index.js';

const ROOT = new URL('../../../shared/conformance/', import.meta.url);
const read = (path: string): Buffer => readFileSync(new URL(path, ROOT));
const readText = (path: string): string => read(path).toString('utf8');
/** NOTES.md "Line endings": fixtures are LF unless they already hold CRLF. */
const crlf = (raw: Buffer): Buffer => (raw.includes('\r\n') ? raw : Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'));

const expectations = JSON.parse(readFileSync(new URL('./dkim-expectations.json', import.meta.url), 'utf8')) as { skip: Record<string, string> };

interface Case {
  name: string;
  run: () => Promise<void> | void;
}
const cases: Case[] = [];
const add = (name: string, run: Case['run']): void => void cases.push({ name, run });

/** Wraps a raw 32-octet Ed25519 seed in PKCS#8 (NOTES.md: RFC 8463 private-ec.key). */
function ed25519FromSeed(base64: string): KeyObject {
  const seed = Buffer.from(base64.trim(), 'base64');
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}

function results(result: DkimVerifyResult): string {
  return result.signatures.map((s) => `${s.selector}: ${s.result} (${s.reason}) ${s.detail}`).join('; ');
}

// --- RFC 8463 A.3 -----------------------------------------------------------------------------------
{
  const signed = read('dkim-mailauth/rfc8463/signed.eml');
  const dns = JSON.parse(readText('dkim-mailauth/rfc8463/dns.json')) as Record<string, { TXT: string[][] }>;
  const zone: ZoneData = {};
  for (const [name, value] of Object.entries(dns)) zone[name] = value.TXT.map((strings) => ({ TXT: strings }));
  const clock = new ManualClock(1528637909 * 1000);
  const resolver = new ZoneResolver(zone);

  for (const [index, selector] of [[0, 'brisbane'], [1, 'test']] as const) {
    add(`rfc8463/verify-${selector}`, async () => {
      const result = await verifyDkim(signed, { resolver, clock });
      const sig = result.signatures[index];
      assert.ok(sig, 'signature present');
      assert.equal(sig.selector, selector);
      assert.equal(sig.result, 'pass', results(result));
    });
  }

  const text = signed.toString('latin1');
  const unsigned = Buffer.from(text.slice(text.indexOf('From:')), 'latin1');
  const rfcSignatures = text
    .slice(0, text.indexOf('From:'))
    .split(/\n(?=DKIM-Signature:)/)
    .map((field) => tagsOf(field));
  const common = {
    domain: 'football.example.com',
    identity: '@football.example.com',
    headers: ['from', 'to', 'subject', 'date', 'message-id', 'from', 'subject', 'date'],
    timestamp: 1528637909,
    format: { headerSeparator: ' : ', queryTag: true },
  } satisfies Partial<DkimSigner>;
  const signers: DkimSigner[] = [
    { ...common, selector: 'brisbane', privateKey: ed25519FromSeed(readText('dkim-mailauth/rfc8463/private-ec.key')) },
    { ...common, selector: 'test', privateKey: readText('dkim-mailauth/rfc8463/private-rsa.key') },
  ];
  for (const [index, selector] of [[0, 'brisbane'], [1, 'test']] as const) {
    add(`rfc8463/sign-${selector}`, async () => {
      const out = await signDkim(unsigned, signers, { clock });
      const ours = tagsOf(out.headers[index] as string);
      // Every tag value, b= and bh= included, equals the RFC's (whitespace aside: folding differs).
      assert.deepEqual(ours, rfcSignatures[index]);
      const again = await verifyDkim(out.message, { resolver, clock });
      assert.equal(again.signatures[index]?.result, 'pass', results(again));
    });
  }
}

/** Tag name → value with all whitespace removed, in order, for a DKIM-Signature field. */
function tagsOf(field: string): [string, string][] {
  const value = field.slice(field.indexOf(':') + 1);
  const parsed = parseTagList(value);
  assert.ok(parsed.ok);
  return parsed.value.tags.map((t) => [t.name, t.value.replace(/\s+/g, '')]);
}

// --- RFC 6376 §3.4 ------------------------------------------------------------------------------------
{
  const data = JSON.parse(readText('dkim-rfc6376/rfc6376-canonicalization-examples.json')) as {
    canonicalization_examples: { name: string; c: string; message: string; canonical_header: string; canonical_body: string; body_hash_sha256_computed: string }[];
    empty_body_hashes: { name: string; canon: 'simple' | 'relaxed'; canonical_body: string; sha1: string; sha256: string }[];
  };
  data.canonicalization_examples.forEach((example, i) => {
    const [header, body] = example.c.split('/') as ['simple' | 'relaxed', 'simple' | 'relaxed'];
    const split = splitMessage(Buffer.from(example.message, 'latin1'));
    add(`rfc6376/example-${i + 1}-header (${example.c})`, () => {
      const canonical = Buffer.concat(split.headers.map((f) => canonicalizeHeaderField(f.raw, header))).toString('latin1');
      assert.equal(canonical, example.canonical_header);
    });
    add(`rfc6376/example-${i + 1}-body (${example.c})`, () => {
      assert.equal(canonicalizeBody(split.body, body).toString('latin1'), example.canonical_body);
      assert.equal(hashBody(split.body, body, 'sha256').hash.toString('base64'), example.body_hash_sha256_computed);
    });
  });
  for (const empty of data.empty_body_hashes) {
    for (const alg of ['sha1', 'sha256'] as const) {
      add(`rfc6376/empty-body-${empty.canon}-${alg}`, () => {
        const result = hashBody(Buffer.alloc(0), empty.canon, alg);
        assert.equal(result.hash.toString('base64'), empty[alg]);
        assert.equal(canonicalizeBody(Buffer.alloc(0), empty.canon).toString('latin1'), empty.canonical_body);
      });
    }
  }
}

// --- mailauth body-hash vectors ----------------------------------------------------------------------
{
  const data = JSON.parse(readText('dkim-mailauth/body-hash-vectors.json')) as {
    cases: { name: string; canon: 'simple' | 'relaxed'; alg: 'sha1' | 'sha256'; l?: number; input?: string; input_file?: string; bh: string }[];
  };
  for (const vector of data.cases) {
    add(`body-hash/${vector.name}`, () => {
      let body: Buffer;
      if (vector.input_file !== undefined) body = splitMessage(crlf(read(`dkim-mailauth/${vector.input_file}`))).body;
      else body = splitMessage(Buffer.from(`X: y\r\n\r\n${vector.input ?? ''}`, 'latin1')).body;
      assert.equal(hashBody(body, vector.canon, vector.alg, vector.l).hash.toString('base64'), vector.bh);
    });
  }
}

// --- dkimpy data ---------------------------------------------------------------------------------------
{
  const dir = 'dkim-dkimpy/';
  const txt = (file: string): string => readText(dir + file).trim();
  const clock = new ManualClock(Date.UTC(2020, 0, 1));
  const testPrivate = readText(dir + 'test.private');
  const ed25519Key = ed25519FromSeed(readText(dir + 'ed25519test.key'));
  const message = crlf(read(dir + 'test.message'));
  const modes = ['simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed'];

  const roundTrip = (name: string, file: string, record: string, privateKey: KeyObject | string, expect: (r: DkimVerifyResult) => void): void => {
    for (const c of modes) {
      add(`dkimpy/${name} ${c}`, async () => {
        const resolver = new ZoneResolver({ 'test._domainkey.example.com': [{ TXT: record }] });
        const { message: signed } = await signDkim(crlf(read(dir + file)), [{ domain: 'example.com', selector: 'test', privateKey, canonicalization: c }], { clock });
        const result = await verifyDkim(signed, { resolver, clock });
        expect(result);
      });
    }
  };
  const passes = (r: DkimVerifyResult): void => assert.equal(r.signatures[0]?.result, 'pass', results(r));
  const failsWith = (reason: string) => (r: DkimVerifyResult): void => assert.equal(r.signatures[0]?.reason, reason, results(r));

  roundTrip('test.txt', 'test.message', txt('test.txt'), testPrivate, passes);
  roundTrip('test2.txt implicit k=rsa', 'test.message', txt('test2.txt'), testPrivate, passes);
  roundTrip('test_extra.message', 'test_extra.message', txt('test.txt'), testPrivate, passes);
  roundTrip('message.mbox', 'message.mbox', txt('test.txt'), testPrivate, passes);
  roundTrip('ed25519test.dns', 'ed25519test.msg', txt('ed25519test.dns'), ed25519Key, passes);
  roundTrip('badversion.txt', 'test.message', txt('badversion.txt'), testPrivate, failsWith('key-syntax'));
  roundTrip('badk.txt', 'test.message', txt('badk.txt'), testPrivate, failsWith('key-syntax'));
  roundTrip('test_bad.txt', 'test.message', txt('test_bad.txt'), testPrivate, (r) => assert.notEqual(r.signatures[0]?.result, 'pass', results(r)));
  roundTrip('test_tlsrpt.txt', 'test.message', txt('test_tlsrpt.txt'), testPrivate, failsWith('key-service-mismatch'));

  add('dkimpy/rfc8032_7_1.key signs rfc6376.msg', async () => {
    const resolver = new ZoneResolver({ 'brisbane._domainkey.football.example.com': [{ TXT: 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }] });
    const key = ed25519FromSeed(readText(dir + 'rfc8032_7_1.key'));
    const { message: signed } = await signDkim(crlf(read(dir + 'rfc6376.msg')), [{ domain: 'football.example.com', selector: 'brisbane', privateKey: key }], { clock });
    passes(await verifyDkim(signed, { resolver, clock }));
  });
  add('dkimpy/altered body fails', async () => {
    const resolver = new ZoneResolver({ 'test._domainkey.example.com': [{ TXT: txt('test.txt') }] });
    const { message: signed } = await signDkim(message, [{ domain: 'example.com', selector: 'test', privateKey: testPrivate }], { clock });
    failsWith('body-hash-mismatch')(await verifyDkim(Buffer.concat([signed, Buffer.from('foo')]), { resolver, clock }));
  });
  add('dkimpy/extra From fails (added at top or bottom)', async () => {
    const resolver = new ZoneResolver({ 'test._domainkey.example.com': [{ TXT: txt('test.txt') }] });
    const { message: signed } = await signDkim(message, [{ domain: 'example.com', selector: 'test', privateKey: testPrivate }], { clock });
    const text = signed.toString('latin1');
    const evil = 'From: "Resident Evil" <sales@spammer.com>\r\n';
    const top = Buffer.from(evil + text, 'latin1');
    const end = text.indexOf('\r\n\r\n') + 2;
    const bottom = Buffer.from(text.slice(0, end) + evil + text.slice(end), 'latin1');
    for (const tampered of [top, bottom]) failsWith('signature-mismatch')(await verifyDkim(tampered, { resolver, clock }));
    const unknown = Buffer.from(text.slice(0, end) + 'X-Foo: bar\r\n' + text.slice(end), 'latin1');
    passes(await verifyDkim(unknown, { resolver, clock }));
  });
  add('dkimpy/test_nofrom.message is refused for signing', async () => {
    await assert.rejects(signDkim(crlf(read(dir + 'test_nofrom.message')), [{ domain: 'example.com', selector: 'test', privateKey: testPrivate }]), { code: 'no-from' });
  });

  // Pre-signed messages.
  add('dkimpy/test2.message degenerate folding', async () => {
    // The 2012 gmail.com key dkimpy's test_dkim.py serves for 20120113._domainkey.gmail.com (public DNS data).
    const gmail =
      'k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB';
    const resolver = new ZoneResolver({ '20120113._domainkey.gmail.com': [{ TXT: gmail }] });
    passes(await verifyDkim(crlf(read(dir + 'test2.message')), { resolver, clock }));
  });
  add('dkimpy/ed25519test2.msg (Exim prototype)', async () => {
    const resolver = new ZoneResolver({ 'sed._domainkey.test.ex': [{ TXT: txt('eximtest.dns') }] });
    passes(await verifyDkim(crlf(read(dir + 'ed25519test2.msg')), { resolver, clock }));
  });
  for (const [index, selector] of [[0, 'brisbane'], [1, 'test']] as const) {
    add(`dkimpy/rfc6376.signed.msg ${selector} (simple/simple draft example)`, async () => {
      const resolver = new ZoneResolver({
        'brisbane._domainkey.football.example.com': [{ TXT: 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }],
        'test._domainkey.football.example.com': [{ TXT: txt('test.txt') }],
      });
      const result = await verifyDkim(crlf(read(dir + 'rfc6376.signed.msg')), { resolver, clock });
      assert.equal(result.signatures[index]?.result, 'pass', results(result));
    });
  }
}

// --- run ------------------------------------------------------------------------------------------------
const summary = { passed: 0, skipped: 0, failed: 0, nowPassing: [] as string[] };

void test('dkim vectors', async (t) => {
  for (const c of cases) {
    const reason = expectations.skip[c.name];
    let error: unknown;
    try {
      await c.run();
    } catch (caught) {
      error = caught;
    }
    if (reason !== undefined) {
      summary.skipped++;
      if (error === undefined) summary.nowPassing.push(c.name);
      await t.test(c.name, { skip: reason }, () => {});
      continue;
    }
    if (error === undefined) summary.passed++;
    else summary.failed++;
    await t.test(c.name, () => {
      if (error !== undefined) throw error;
    });
  }
  const known = new Set(cases.map((c) => c.name));
  for (const name of Object.keys(expectations.skip)) if (!known.has(name)) t.diagnostic(`expectations: no case named "${name}"`);
  for (const name of summary.nowPassing) t.diagnostic(`skipped case now passes: ${name} — remove its skip`);
});

test.after(() => {
  const extra = summary.nowPassing.length ? ` (${summary.nowPassing.length} skipped now pass: ${summary.nowPassing.join(', ')})` : '';
  console.log(`dkim vectors: ${summary.passed} passed, ${summary.skipped} skipped, ${summary.failed} failed${extra}`);
});
