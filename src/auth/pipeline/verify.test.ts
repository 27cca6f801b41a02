import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDkimKey, signDkim } from '../dkim/index.js';
import { CachingResolver } from '../../core/dns/cache.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { parseAuthenticationResults } from '../auth-results/index.js';
import { verifyMessage } from './verify.js';
import { VerifyOptionsError, type VerifyMessageOptions } from './types.js';

const clock = { now: () => 1_700_000_000_000 };
const key = generateDkimKey({ type: 'ed25519', domain: 'contoso.example', selector: 's1' });
const other = generateDkimKey({ type: 'ed25519', domain: 'esp.example', selector: 'e1' });
const baseZone: ZoneData = {
  'contoso.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
  'bounce.contoso.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
  '_dmarc.contoso.example': [{ TXT: 'v=DMARC1; p=reject' }],
  [key.dnsName]: [{ TXT: key.txtStrings }],
  [other.dnsName]: [{ TXT: other.txtStrings }],
  'esp.example': [{ TXT: 'v=spf1 ip4:203.0.113.0/24 -all' }],
};
const plain = Buffer.from('From: Alice <alice@contoso.example>\r\nTo: bob@wingtoys.example\r\nSubject: hello\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@contoso.example>\r\n\r\nHello Bob.\r\n');

async function signed(message = plain, signer = key, domain = 'contoso.example', selector = 's1'): Promise<Buffer> {
  return (await signDkim(message, [{ domain, selector, privateKey: signer.privateKeyPem }], { clock })).message;
}

function options(resolver: VerifyMessageOptions['resolver'], extra: Partial<VerifyMessageOptions> = {}): VerifyMessageOptions {
  return { ip: '192.0.2.10', helo: 'mail.contoso.example', mailFrom: 'alice@contoso.example', resolver, clock, authservId: 'mx.wingtoys.example', ...extra };
}

void test('a direct, signed message passes SPF, DKIM and DMARC; the header has every method', async () => {
  const result = await verifyMessage(await signed(), options(new ZoneResolver(baseZone)));
  assert.equal(result.spf.result, 'pass');
  assert.equal(result.spf.hop.reason, 'connection');
  assert.equal(result.dkim.signatures[0]!.result, 'pass');
  assert.equal(result.arc.cv, 'none');
  assert.equal(result.dmarc.result, 'pass');
  assert.deepEqual(result.disposition, { action: 'none', reason: 'dmarc-pass', detail: result.dmarc.detail });
  assert.match(result.authenticationResults, /^Authentication-Results: mx\.wingtoys\.example;\r\n\t/);
  const parsed = parseAuthenticationResults(result.authenticationResults.replace(/^Authentication-Results:/, ''));
  assert.ok(parsed.ok);
  const byMethod = Object.fromEntries(parsed.value.results.map((r) => [r.method, r]));
  assert.deepEqual(Object.keys(byMethod), ['spf', 'dkim', 'arc', 'dmarc']);
  assert.equal(byMethod.spf!.props.find((p) => p.property === 'mailfrom')!.value, 'alice@contoso.example');
  const dkimProps = Object.fromEntries(byMethod.dkim!.props.map((p) => [`${p.ptype}.${p.property}`, p.value]));
  assert.equal(dkimProps['header.d'], 'contoso.example');
  assert.equal(dkimProps['header.s'], 's1');
  assert.equal(dkimProps['header.b'], result.dkim.signatures[0]!.headerB);
  const dmarcProps = Object.fromEntries(byMethod.dmarc!.props.map((p) => [`${p.ptype}.${p.property}`, p.value]));
  assert.deepEqual(dmarcProps, { 'header.from': 'contoso.example', 'policy.dmarc': 'reject' });
});

void test('DMARC fail applies the policy: an unaligned signature and SPF for another domain', async () => {
  const message = await signed(plain, other, 'esp.example', 'e1');
  const result = await verifyMessage(message, options(new ZoneResolver(baseZone), { ip: '203.0.113.5', mailFrom: 'bounce@esp.example' }));
  assert.equal(result.spf.result, 'pass');
  assert.equal(result.dkim.signatures[0]!.result, 'pass');
  assert.equal(result.dmarc.result, 'fail');
  assert.equal(result.dmarc.alignment.spf.note, 'different-org');
  assert.deepEqual([result.disposition.action, result.disposition.reason], ['reject', 'dmarc-fail']);
  assert.match(result.authenticationResults, /dmarc=fail \(p=reject dis=reject arc=none\)/);
});

void test('every DNS name is asked once per verification: the checks share one cache', async () => {
  const zone = new ZoneResolver(baseZone);
  // DKIM and the SPF of a subdomain MAIL FROM, DMARC with relaxed alignment through the tree walk.
  await verifyMessage(await signed(), options(zone, { mailFrom: 'b@bounce.contoso.example' }));
  const keys = zone.calls.map((c) => `${c.name}/${c.type}`);
  assert.deepEqual(keys.filter((k, i) => keys.indexOf(k) !== i), [], `repeated queries: ${keys.join(' ')}`);
  assert.ok(keys.includes('_dmarc.contoso.example/TXT'));
  assert.ok(keys.includes('s1._domainkey.contoso.example/TXT'));
});

void test('a CachingResolver given by the caller is used as is: a second verification is all cache hits', async () => {
  const upstream = new ZoneResolver(baseZone);
  const cache = new CachingResolver(upstream, { clock });
  const message = await signed();
  await verifyMessage(message, options(cache));
  const asked = upstream.calls.length;
  const again = await verifyMessage(message, options(cache));
  assert.equal(again.dmarc.result, 'pass');
  assert.equal(upstream.calls.length, asked, 'no upstream query the second time');
});

void test('trusted hops: SPF is checked against the first untrusted hop from the Received chain', async () => {
  const message = Buffer.concat([
    Buffer.from('Received: from mail.contoso.example (mail.contoso.example [192.0.2.25]) by filter.wingtoys.example (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000\r\n'),
    await signed(),
  ]);
  const viaFilter = options(new ZoneResolver(baseZone), { ip: '10.1.2.3', helo: 'filter.wingtoys.example' });
  const untrusted = await verifyMessage(message, viaFilter);
  assert.equal(untrusted.spf.result, 'fail', 'the filter itself is not in contoso SPF');
  const trusted = await verifyMessage(message, { ...viaFilter, trustedHops: ['10.0.0.0/8'] });
  assert.equal(trusted.spf.result, 'pass');
  assert.deepEqual([trusted.spf.hop.ip, trusted.spf.hop.helo, trusted.spf.hop.receivedIndex, trusted.spf.hop.reason], ['192.0.2.25', 'mail.contoso.example', 0, 'first-untrusted']);
  assert.match(trusted.authenticationResults, /hop Received\[0\] 192\.0\.2\.25/);
  // A trusted filter's field that records no address: no hop, SPF permerror, never pass.
  const broken = Buffer.concat([Buffer.from('Received: from somewhere by filter.wingtoys.example; date\r\n'), await signed()]);
  const none = await verifyMessage(broken, { ...viaFilter, trustedHops: ['10.0.0.0/8'] });
  assert.deepEqual([none.spf.result, none.spf.hop.reason], ['permerror', 'unreadable']);
});

void test('DNS failures give temperror, never pass: SPF, DKIM key, DMARC record', async () => {
  const message = await signed();
  const spfDown = await verifyMessage(message, options(new ZoneResolver({ ...baseZone, 'contoso.example': ['SERVFAIL'] })));
  assert.equal(spfDown.spf.result, 'temperror');
  assert.equal(spfDown.dmarc.result, 'pass', 'DKIM still aligns');
  const keyDown = await verifyMessage(message, options(new ZoneResolver({ ...baseZone, [key.dnsName]: ['TIMEOUT'] }), { ip: '203.0.113.1' }));
  assert.equal(keyDown.dkim.signatures[0]!.result, 'temperror');
  assert.notEqual(keyDown.dmarc.result, 'pass');
  const dmarcDown = await verifyMessage(message, options(new ZoneResolver({ ...baseZone, '_dmarc.contoso.example': ['TIMEOUT'] })));
  assert.equal(dmarcDown.dmarc.result, 'temperror');
  assert.deepEqual([dmarcDown.disposition.reason, dmarcDown.disposition.temporary], ['dmarc-temperror', true]);
  assert.match(dmarcDown.authenticationResults, /dmarc=temperror/);
});

void test('null sender: SPF checks postmaster@HELO as the MAIL FROM identity (RFC 7208 §2.4), which DMARC aligns', async () => {
  const result = await verifyMessage(plain, options(new ZoneResolver({ ...baseZone, 'mail.contoso.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }] }), { mailFrom: '<>' }));
  assert.deepEqual([result.spf.identity, result.spf.domain, result.spf.result], ['mailfrom', 'mail.contoso.example', 'pass']);
  assert.equal(result.dmarc.result, 'pass');
  assert.equal(result.dmarc.reason, 'aligned-spf');
  assert.match(result.authenticationResults, /smtp\.mailfrom=postmaster@mail\.contoso\.example/);
});

void test('unusable options are configuration errors with stable codes', async () => {
  const resolver = new ZoneResolver(baseZone);
  await assert.rejects(verifyMessage(plain, options(resolver, { trustedHops: ['10.0.0.0/40'] })), (e: unknown) => e instanceof VerifyOptionsError && e.code === 'bad-trusted-hop');
  await assert.rejects(verifyMessage(plain, options(resolver, { authservId: ' ' })), (e: unknown) => e instanceof VerifyOptionsError && e.code === 'bad-authserv-id');
  await assert.rejects(verifyMessage(plain, options(resolver, { authservId: 'mx\r\nX-Injected: 1' })), VerifyOptionsError);
});
