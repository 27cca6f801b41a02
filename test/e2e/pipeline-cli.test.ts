// End-to-end: `mailflow verify` through the CLI (in-process main()) against SPF, DKIM and DMARC records
// served by the test DNS server over real UDP on 127.0.0.1. Messages signed by mailflow's signer and by
// dkimpy (RSA-2048 and Ed25519); the JSON contract, the human explanation, trusted hops, usage errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDkimKey, signDkim } from '../../src/auth/dkim/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import type { VerifyResult } from '../../src/auth/pipeline/index.js';
import { dkimpySign } from './pipeline-helpers.js';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-verify-e2e-'));
const rsa = generateDkimKey({ type: 'rsa', bits: 2048, domain: 'contoso.example', selector: 'rsa2048' });
const ed = generateDkimKey({ type: 'ed25519', domain: 'contoso.example', selector: 'ed' });
const esp = generateDkimKey({ type: 'ed25519', domain: 'esp.example', selector: 'esp' });
const plain = Buffer.from(
  'From: Alice <alice@contoso.example>\r\nTo: Bob <bob@wingtoys.example>\r\nSubject: quarterly numbers\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <e2e-1@contoso.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello Bob,\r\n\r\nthe numbers are attached.\r\n',
);
let server: TestDnsServer | undefined;
const dns = (): string => (server as TestDnsServer).address;

before(async () => {
  server = await TestDnsServer.start({
    'contoso.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
    '_dmarc.contoso.example': [{ TXT: 'v=DMARC1; p=reject; rua=mailto:dmarc@contoso.example' }],
    [rsa.dnsName]: [{ TXT: rsa.txtStrings }],
    [ed.dnsName]: [{ TXT: ed.txtStrings }],
    [esp.dnsName]: [{ TXT: esp.txtStrings }],
    'esp.example': [{ TXT: 'v=spf1 ip4:203.0.113.0/24 -all' }],
    'broken.example': ['SERVFAIL'],
  });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

const direct = ['--ip', '192.0.2.25', '--helo', 'mail.contoso.example', '--sender', 'alice@contoso.example', '--authserv-id', 'mx.wingtoys.example'];

async function verifyJson(path: string, extra: string[] = direct): Promise<VerifyResult> {
  const out = await runCli(['verify', path, ...extra, '--dns', dns(), '--json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as VerifyResult;
}

test('mailflow-signed (RSA-2048): pass through the CLI; the JSON contract has exactly its six keys', async () => {
  const signed = (await signDkim(plain, [{ domain: 'contoso.example', selector: 'rsa2048', privateKey: rsa.privateKeyPem }])).message;
  const json = await verifyJson(file('mailflow-rsa.eml', signed));
  assert.deepEqual(Object.keys(json), ['spf', 'dkim', 'arc', 'dmarc', 'disposition', 'authenticationResults']);
  assert.equal(json.spf.result, 'pass');
  assert.equal(json.spf.hop.reason, 'connection');
  assert.deepEqual(json.dkim.signatures.map((s) => [s.result, s.domain, s.selector, s.keyBits]), [['pass', 'contoso.example', 'rsa2048', 2048]]);
  assert.equal(json.arc.cv, 'none');
  assert.equal(json.arc.policy.reason, 'dmarc-not-failed');
  assert.equal(json.dmarc.result, 'pass');
  assert.deepEqual([json.disposition.action, json.disposition.reason], ['none', 'dmarc-pass']);
  assert.match(json.authenticationResults, /^Authentication-Results: mx\.wingtoys\.example;/);
  assert.match(json.authenticationResults, /dkim=pass header\.d=contoso\.example header\.s=rsa2048\s+header\.b="?[A-Za-z0-9+/]{8}/);
  assert.match(json.authenticationResults, /dmarc=pass \(p=reject dis=none arc=none\) header\.from=contoso\.example\s+policy\.dmarc=reject/);
});

test('dkimpy-signed (RSA-2048 relaxed/simple, Ed25519 relaxed/relaxed): pass through the CLI', async () => {
  const headers = ['from', 'to', 'subject', 'date', 'message-id'];
  const rsaSigned = dkimpySign(plain, {
    domain: 'contoso.example',
    selector: 'rsa2048',
    key: createPrivateKey(rsa.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }) as string,
    algorithm: 'rsa-sha256',
    canonicalization: 'relaxed/simple',
    headers,
  });
  const seed = Buffer.from(createPrivateKey(ed.privateKeyPem).export({ format: 'jwk' }).d as string, 'base64url').toString('base64');
  const edSigned = dkimpySign(plain, { domain: 'contoso.example', selector: 'ed', key: seed, algorithm: 'ed25519-sha256', canonicalization: 'relaxed/relaxed', headers });
  for (const [name, message, selector] of [['dkimpy-rsa.eml', rsaSigned, 'rsa2048'], ['dkimpy-ed.eml', edSigned, 'ed']] as const) {
    const json = await verifyJson(file(name, message), ['--ip', '198.51.100.1', '--helo', 'relay.example', '--sender', 'alice@contoso.example']);
    assert.equal(json.spf.result, 'fail', 'the relay is not in contoso SPF');
    assert.deepEqual(json.dkim.signatures.map((s) => [s.result, s.selector]), [['pass', selector]], name);
    assert.equal(json.dmarc.result, 'pass', name);
    assert.equal(json.dmarc.reason, 'aligned-dkim');
  }
});

test('the human report says which identifier aligned and which did not', async () => {
  const signed = (await signDkim(plain, [{ domain: 'esp.example', selector: 'esp', privateKey: esp.privateKeyPem }])).message;
  const path = file('esp.eml', signed);
  const out = await runCli(['verify', path, '--ip', '203.0.113.9', '--helo', 'out.esp.example', '--sender', 'bounce@esp.example', '--dns', dns()]);
  assert.equal(out.code, 0, out.stderr);
  const text = out.stdout.replace(/\u001b\[[0-9;]*m/g, '');
  assert.match(text, /^spf: {3}pass \(matched-mechanism\) mailfrom bounce@esp\.example from 203\.0\.113\.9/m);
  assert.match(text, /^dmarc: fail \(not-aligned\) header\.from=contoso\.example; policy p=reject from _dmarc\.contoso\.example/m);
  assert.match(text, /SPF {2}✗ not aligned: SPF pass for esp\.example but different-org with contoso\.example \(aspf=relaxed\)/);
  assert.match(text, /DKIM ✗ not aligned: d=esp\.example passed but different-org with contoso\.example \(adkim=relaxed\)/);
  assert.match(text, /DMARC fails: no authenticated identifier is aligned/);
  assert.match(text, /^disposition: reject \(dmarc-fail\)/m);
  assert.match(text, /^Authentication-Results: mailflow;\n/m);
  const signedOk = (await signDkim(plain, [{ domain: 'contoso.example', selector: 'ed', privateKey: ed.privateKeyPem }])).message;
  const ok = (await runCli(['verify', file('ok.eml', signedOk), ...direct, '--dns', dns()])).stdout.replace(/\u001b\[[0-9;]*m/g, '');
  assert.match(ok, /SPF {2}✓ aligned: SPF pass for contoso\.example \(identical, aspf=relaxed\)/);
  assert.match(ok, /DKIM ✓ aligned: d=contoso\.example passed \(identical, adkim=relaxed\)/);
});

test('--trusted-hop: SPF is checked against the hop before our filter', async () => {
  const received = Buffer.from('Received: from mail.contoso.example (mail.contoso.example [192.0.2.25])\r\n\tby filter.wingtoys.example (Postfix) with ESMTPS id 9; Mon, 1 Jan 2024 00:00:00 +0000\r\n');
  const path = file('filtered.eml', Buffer.concat([received, plain]));
  const viaFilter = ['--ip', '10.20.30.40', '--helo', 'filter.wingtoys.example', '--sender', 'alice@contoso.example'];
  const without = await verifyJson(path, viaFilter);
  assert.equal(without.spf.result, 'fail');
  const withHop = await verifyJson(path, [...viaFilter, '--trusted-hop', '10.0.0.0/8', '--trusted-hop', '2001:db8::/32']);
  assert.equal(withHop.spf.result, 'pass');
  assert.deepEqual(withHop.spf.hop, {
    ip: '192.0.2.25',
    helo: 'mail.contoso.example',
    receivedIndex: 0,
    reason: 'first-untrusted',
    detail: withHop.spf.hop.detail,
    trustedPath: ['10.20.30.40'],
    by: 'filter.wingtoys.example',
  });
  assert.equal(withHop.dmarc.result, 'pass');
});

test('a DNS failure over the wire is temperror, never pass', async () => {
  const out = await verifyJson(file('plain.eml', plain), ['--ip', '192.0.2.25', '--helo', 'x.example', '--sender', 'a@broken.example']);
  assert.equal(out.spf.result, 'temperror');
  assert.equal(out.dmarc.result, 'fail', 'no DKIM and SPF did not pass');
});

test('usage errors exit 2 with a message', async () => {
  const path = file('u.eml', plain);
  const badHop = await runCli(['verify', path, ...direct, '--trusted-hop', '10.0.0.0/99', '--dns', dns()]);
  assert.equal(badHop.code, 2);
  assert.match(badHop.stderr, /10\.0\.0\.0\/99' is not an IP address or CIDR/);
  assert.equal((await runCli(['verify', path, '--helo', 'h', '--sender', 's@x.example', '--dns', dns()])).code, 2, 'missing --ip');
  assert.equal((await runCli(['verify', path, ...direct, '--mode', 'rfc1234', '--dns', dns()])).code, 2);
  assert.equal((await runCli(['verify', join(dir, 'missing.eml'), ...direct, '--dns', dns()])).code, 2);
  assert.equal((await runCli(['verify', path, ...direct, '--authserv-id', ' ', '--dns', dns()])).code, 2);
});

test('verify --psl with an unreadable file is the same usage error as dmarc check --psl', async () => {
  const path = file('psl-check.eml', plain);
  const missing = file('psl-check.eml', plain) + '.no-such-psl';
  const viaVerify = await runCli(['verify', path, '--ip', '192.0.2.1', '--helo', 'h.example', '--sender', 'a@example.com', '--mode', 'rfc7489', '--psl', missing, '--dns', dns()]);
  const viaDmarc = await runCli(['dmarc', 'check', 'example.com', '--mode', 'rfc7489', '--psl', missing, '--dns', dns()]);
  assert.equal(viaVerify.code, 2, viaVerify.stderr);
  assert.equal(viaVerify.stderr, viaDmarc.stderr);
});
