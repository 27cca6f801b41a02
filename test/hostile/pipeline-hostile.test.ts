// Hostile input through the whole pipeline: header floods, 1,000 From fields, IDN and UTF-8 author
// domains, encoded-word tricks in From, forged Received chains, and a DNS failure injected at every query
// the pipeline makes — each must end in temperror (or a non-pass), never in a pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDkimKey, signDkim } from '../../src/auth/dkim/index.js';
import { verifyMessage, type VerifyMessageOptions } from '../../src/auth/pipeline/index.js';
import type { DnsAnswer, DnsResolver, RRType } from '../../src/core/dns/types.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import type { ZoneData } from '../../src/testing/zone.js';

const clock = { now: () => 1_700_000_000_000 };
const key = generateDkimKey({ type: 'ed25519', domain: 'contoso.example', selector: 's1' });
const zone: ZoneData = {
  'contoso.example': [{ TXT: 'v=spf1 include:_spf.contoso.example -all' }],
  '_spf.contoso.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
  '_dmarc.contoso.example': [{ TXT: 'v=DMARC1; p=reject' }],
  [key.dnsName]: [{ TXT: key.txtStrings }],
  'xn--bcher-kva.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
  '_dmarc.xn--bcher-kva.example': [{ TXT: 'v=DMARC1; p=quarantine' }],
};
const body = 'Subject: hi\r\nTo: b@wingtoys.example\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <h@contoso.example>\r\n\r\nhello\r\n';
const opts = (resolver: DnsResolver, extra: Partial<VerifyMessageOptions> = {}): VerifyMessageOptions => ({
  ip: '192.0.2.10',
  helo: 'mail.contoso.example',
  mailFrom: 'alice@contoso.example',
  resolver,
  clock,
  authservId: 'mx.wingtoys.example',
  ...extra,
});

async function signedMessage(from = 'From: Alice <alice@contoso.example>\r\n'): Promise<Buffer> {
  return (await signDkim(Buffer.from(from + body), [{ domain: 'contoso.example', selector: 's1', privateKey: key.privateKeyPem }], { clock })).message;
}

/** A resolver that fails one chosen query (by position) with SERVFAIL or a timeout, and logs every query. */
class FailingAt implements DnsResolver {
  readonly asked: string[] = [];
  constructor(
    private readonly inner: DnsResolver,
    private readonly failAt: number,
    private readonly error: 'servfail' | 'timeout',
  ) {}
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    this.asked.push(`${name}/${type}`);
    if (this.asked.length - 1 === this.failAt) return Promise.resolve({ kind: 'error', error: this.error, detail: 'injected' });
    return this.inner.resolve(name, type);
  }
}

void test('a DNS failure at each query the pipeline makes: the verdict it feeds is temperror and DMARC never passes without an intact identifier', async () => {
  // SPF fails (IP outside contoso's range) so DMARC rests on DKIM alone: any failure on its path must not pass.
  const message = await signedMessage();
  const baseline = new FailingAt(new ZoneResolver(zone), -1, 'servfail');
  const ok = await verifyMessage(message, opts(baseline, { ip: '203.0.113.9' }));
  assert.equal(ok.dmarc.result, 'pass');
  assert.ok(baseline.asked.length >= 4, baseline.asked.join(' '));
  for (const error of ['servfail', 'timeout'] as const) {
    for (let at = 0; at < baseline.asked.length; at++) {
      const resolver = new FailingAt(new ZoneResolver(zone), at, error);
      const r = await verifyMessage(message, opts(resolver, { ip: '203.0.113.9' }));
      const failed = resolver.asked[at]!;
      const where = `${error} at query ${at} (${failed})`;
      // Errors are never cached: a name asked again later (the DMARC record after its prefetch) got its answer.
      const retried = resolver.asked.indexOf(failed, at + 1) > at;
      if (failed.startsWith('s1._domainkey') && !retried) {
        assert.equal(r.dkim.signatures[0]!.result, 'temperror', where);
        assert.notEqual(r.dmarc.result, 'pass', where);
      }
      if (failed.startsWith('_dmarc.') && !retried) {
        assert.equal(r.dmarc.result, 'temperror', where);
        assert.equal(r.disposition.temporary, true, where);
      }
      if ((failed.startsWith('contoso.example/') || failed.startsWith('_spf.')) && !retried) assert.equal(r.spf.result, 'temperror', where);
      assert.ok(r.spf.result !== 'pass', where);
      assert.ok(r.dmarc.result === 'pass' ? r.dkim.signatures[0]!.result === 'pass' : true, where);
    }
  }
});

void test('every query failing: temperror everywhere, no pass, disposition deferred', async () => {
  const down: DnsResolver = { resolve: () => Promise.resolve({ kind: 'error', error: 'timeout', detail: 'down' }) };
  const r = await verifyMessage(await signedMessage(), opts(down));
  assert.equal(r.spf.result, 'temperror');
  assert.equal(r.dkim.signatures[0]!.result, 'temperror');
  assert.equal(r.dmarc.result, 'temperror');
  assert.deepEqual([r.disposition.action, r.disposition.reason, r.disposition.temporary], ['none', 'dmarc-temperror', true]);
});

void test('1,000 From fields: permerror (multiple-from) quickly, one header in the result', async () => {
  const froms = Array.from({ length: 1000 }, (_, i) => `From: user${i}@contoso.example\r\n`).join('');
  const started = Date.now();
  const r = await verifyMessage(Buffer.from(froms + body), opts(new ZoneResolver(zone)));
  assert.equal(r.dmarc.result, 'permerror');
  assert.equal(r.dmarc.reason, 'multiple-from');
  assert.ok(Date.now() - started < 5000);
  assert.equal(r.authenticationResults.match(/\sdmarc=/g)?.length, 1);
});

void test('header flood (50,000 fields, 200 DKIM signatures, 5,000 Received): bounded work, no pass', async () => {
  const flood = Array.from({ length: 50_000 }, (_, i) => `X-Flood-${i}: ${'x'.repeat(20)}\r\n`).join('');
  const sigs = Array.from({ length: 200 }, (_, i) => `DKIM-Signature: v=1; a=rsa-sha256; d=contoso.example; s=s${i}; h=from; bh=AAAA; b=AAAA\r\n`).join('');
  const received = Array.from({ length: 5000 }, () => 'Received: from a (a [10.0.0.1]) by b; date\r\n').join('');
  const message = Buffer.from(received + sigs + flood + 'From: alice@contoso.example\r\n' + body);
  const resolver = new ZoneResolver(zone);
  const started = Date.now();
  const r = await verifyMessage(message, opts(resolver, { ip: '10.0.0.2', trustedHops: ['10.0.0.0/8'] }));
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  assert.equal(r.spf.hop.reason, 'too-many-hops');
  assert.equal(r.spf.result, 'permerror');
  assert.ok(r.dkim.signatures.length <= 200);
  assert.ok(r.dkim.signatures.every((s) => s.result !== 'pass'));
  assert.notEqual(r.dmarc.result, 'pass');
});

void test('IDN author domains: U-label and A-label From domains find the same policy', async () => {
  for (const from of ['From: Jörg <joerg@bücher.example>\r\n', 'From: joerg@xn--bcher-kva.example\r\n']) {
    const r = await verifyMessage(Buffer.from(from + body), opts(new ZoneResolver(zone), { mailFrom: 'joerg@xn--bcher-kva.example' }));
    assert.equal(r.dmarc.fromDomain, 'xn--bcher-kva.example', from);
    assert.equal(r.spf.result, 'pass');
    assert.equal(r.dmarc.result, 'pass', from);
    assert.match(r.authenticationResults, /header\.from=xn--bcher-kva\.example/);
  }
  // An invalid IDN or a raw UTF-8 domain that is not valid IDNA: permerror, not a pass.
  const bad = await verifyMessage(Buffer.from('From: x@b\u00fccher\u200d.example\r\n' + body), opts(new ZoneResolver(zone)));
  assert.notEqual(bad.dmarc.result, 'pass');
});

void test('encoded-word tricks in From: the address decides, never the display name', async () => {
  // The display name claims contoso.example; the real address is evil.example (no DMARC, not signed by it).
  const tricks = [
    'From: =?utf-8?b?YWxpY2VAY29udG9zby5leGFtcGxl?= <attacker@evil.example>\r\n',
    'From: "alice@contoso.example" <attacker@evil.example>\r\n',
    'From: =?utf-8?q?alice=40contoso=2Eexample?= <attacker@evil.example>\r\n',
  ];
  for (const from of tricks) {
    const r = await verifyMessage(await signedMessage(from), opts(new ZoneResolver(zone)));
    assert.equal(r.dmarc.fromDomain, 'evil.example', from);
    assert.notEqual(r.dmarc.result, 'pass', from);
  }
  // An encoded word that hides the address itself is not an address: no author domain, permerror.
  const hidden = await verifyMessage(Buffer.from('From: =?utf-8?b?PGFsaWNlQGNvbnRvc28uZXhhbXBsZT4=?=\r\n' + body), opts(new ZoneResolver(zone)));
  assert.equal(hidden.dmarc.result, 'permerror');
});

void test('forged Received fields: without trusted hops they are ignored; with them, only those trusted hops wrote are read', async () => {
  const forged = Buffer.concat([Buffer.from('Received: from mail.contoso.example (mail.contoso.example [192.0.2.25]) by mx.contoso.example; date\r\n'), await signedMessage()]);
  const direct = await verifyMessage(forged, opts(new ZoneResolver(zone), { ip: '203.0.113.66', helo: 'evil.example' }));
  assert.equal(direct.spf.hop.reason, 'connection');
  assert.equal(direct.spf.result, 'fail');
  // Through our trusted filter: the filter's field records the attacker; the forged field below is not read.
  const viaFilter = Buffer.concat([Buffer.from('Received: from evil.example (unknown [203.0.113.66]) by filter.wingtoys.example (Postfix); date\r\n'), forged]);
  const filtered = await verifyMessage(viaFilter, opts(new ZoneResolver(zone), { ip: '10.0.0.5', helo: 'filter', trustedHops: ['10.0.0.0/8'] }));
  assert.deepEqual([filtered.spf.hop.ip, filtered.spf.hop.receivedIndex, filtered.spf.result], ['203.0.113.66', 0, 'fail']);
});

void test('hostile strings never reach the header unescaped', async () => {
  const r = await verifyMessage(Buffer.from('From: alice@contoso.example\r\n' + body), opts(new ZoneResolver(zone), { helo: 'x)\r\nX-Evil: 1', mailFrom: 'a"b\\c(d)@contoso.example' }));
  assert.doesNotMatch(r.authenticationResults, /\r\nX-Evil/);
  for (const line of r.authenticationResults.split('\r\n').slice(1)) assert.match(line, /^\t/);
});
