// End-to-end forwarding: contoso.example sends, fabrikam.example forwards, wingtoys.example receives — every
// hop through the CLI (verify at the forwarder, `srs forward`, `arc seal`, verify at the receiver) against
// the test DNS server. Plain forward, SRS, ARC, both; an unmodified forward and a mailing-list-style one; a
// receiver that trusts the sealer and one that does not; a forged seal. Then `explain-forwarding`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDkimKey, signDkim } from '../../src/auth/dkim/index.js';
import type { VerifyResult } from '../../src/auth/pipeline/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-forwarding-e2e-'));
const CONTOSO_IP = '192.0.2.25';
const FABRIKAM_IP = '198.51.100.25';
const contosoKey = generateDkimKey({ type: 'rsa', bits: 2048, domain: 'contoso.example', selector: 'mail' });
const arcKey = generateDkimKey({ type: 'ed25519', domain: 'fabrikam.example', selector: 'arc' });
const evilKey = generateDkimKey({ type: 'ed25519', domain: 'fabrikam.example', selector: 'arc' });
const original = Buffer.from(
  'From: Alice <alice@contoso.example>\r\nTo: friends@fabrikam.example\r\nSubject: dinner on Friday\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <fwd-1@contoso.example>\r\n\r\nDinner at eight?\r\n',
);
let server: TestDnsServer | undefined;
const dns = (): string => (server as TestDnsServer).address;
const path = (name: string): string => join(dir, name);

before(async () => {
  server = await TestDnsServer.start({
    'contoso.example': [{ TXT: `v=spf1 ip4:${CONTOSO_IP} -all` }],
    '_dmarc.contoso.example': [{ TXT: 'v=DMARC1; p=reject' }],
    [contosoKey.dnsName]: [{ TXT: contosoKey.txtStrings }],
    'fabrikam.example': [{ TXT: `v=spf1 ip4:${FABRIKAM_IP} -all` }],
    [arcKey.dnsName]: [{ TXT: arcKey.txtStrings }],
  });
  writeFileSync(path('arc.pem'), arcKey.privateKeyPem);
  writeFileSync(path('evil.pem'), evilKey.privateKeyPem);
  writeFileSync(path('srs.secret'), 'e2e-forwarding-secret\n');
  writeFileSync(path('original.eml'), original);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function verify(file: string, args: string[]): Promise<VerifyResult> {
  const out = await runCli(['verify', file, ...args, '--dns', dns(), '--json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as VerifyResult;
}

/** contoso signs and delivers to fabrikam; fabrikam verifies and adds its Authentication-Results and Received. */
async function atFabrikam(modifies: boolean): Promise<{ file: string; result: VerifyResult }> {
  const signed = (await signDkim(original, [{ domain: 'contoso.example', selector: 'mail', privateKey: contosoKey.privateKeyPem }])).message;
  writeFileSync(path('signed.eml'), signed);
  const result = await verify(path('signed.eml'), ['--ip', CONTOSO_IP, '--helo', 'mail.contoso.example', '--sender', 'alice@contoso.example', '--authserv-id', 'mx.fabrikam.example']);
  const received = `Received: from mail.contoso.example (mail.contoso.example [${CONTOSO_IP}]) by mx.fabrikam.example (Postfix) with ESMTPS id F1; Mon, 1 Jan 2024 00:00:01 +0000`;
  let relayed = `${result.authenticationResults}\r\n${received}\r\n${signed.toString('utf8')}`;
  if (modifies) relayed = relayed.replace('Subject: dinner', 'Subject: [friends] dinner').replace(/\r\n$/, '\r\n-- \r\nfriends mailing list\r\n');
  const file = path(modifies ? 'relayed-list.eml' : 'relayed.eml');
  writeFileSync(file, relayed);
  return { file, result };
}

async function seal(file: string, key = 'arc.pem'): Promise<string> {
  const out = await runCli(['arc', 'seal', file, '--domain', 'fabrikam.example', '--selector', 'arc', '--key', path(key), '--authserv-id', 'mx.fabrikam.example', '--dns', dns()]);
  assert.equal(out.code, 0, out.stderr);
  const sealed = `${file}.sealed-${key}`;
  writeFileSync(sealed, out.stdout);
  return sealed;
}

async function srsSender(): Promise<string> {
  const out = await runCli(['srs', 'forward', 'alice@contoso.example', '--domain', 'fabrikam.example', '--secret-file', path('srs.secret')]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
}

const atWingtoys = (sender: string, trusted = true): string[] => [
  '--ip', FABRIKAM_IP, '--helo', 'mx.fabrikam.example', '--sender', sender, '--authserv-id', 'mx.wingtoys.example',
  ...(trusted ? ['--trusted-arc-sealer', 'fabrikam.example'] : []),
];

function summary(r: VerifyResult): string[] {
  return [r.spf.result, r.dkim.signatures.map((s) => s.result).join(','), r.dmarc.result, r.arc.cv, r.disposition.action, r.disposition.reason];
}

test('unmodified forward: DKIM survives, so DMARC passes with and without SRS and ARC', async () => {
  const { file, result } = await atFabrikam(false);
  assert.deepEqual(summary(result), ['pass', 'pass', 'pass', 'none', 'none', 'dmarc-pass']);
  const srs = await srsSender();
  assert.match(srs, /^SRS0=[^@]+=contoso\.example=alice@fabrikam\.example$/);
  const sealed = await seal(file);
  assert.deepEqual(summary(await verify(file, atWingtoys('alice@contoso.example'))), ['fail', 'pass', 'pass', 'none', 'none', 'dmarc-pass']);
  const withSrs = await verify(file, atWingtoys(srs));
  assert.deepEqual(summary(withSrs), ['pass', 'pass', 'pass', 'none', 'none', 'dmarc-pass']);
  assert.equal(withSrs.dmarc.alignment.spf.aligned, false, 'SRS: SPF passes for fabrikam.example, unaligned with contoso.example');
  assert.deepEqual(summary(await verify(sealed, atWingtoys('alice@contoso.example'))), ['fail', 'pass', 'pass', 'pass', 'none', 'dmarc-pass']);
  assert.deepEqual(summary(await verify(sealed, atWingtoys(srs))), ['pass', 'pass', 'pass', 'pass', 'none', 'dmarc-pass']);
});

test('mailing-list forward breaks DKIM: rejected unless a trusted ARC sealer vouches for what it saw', async () => {
  const { file } = await atFabrikam(true);
  const srs = await srsSender();
  const sealed = await seal(file);
  assert.deepEqual(summary(await verify(file, atWingtoys('alice@contoso.example'))), ['fail', 'fail', 'fail', 'none', 'reject', 'dmarc-fail']);
  assert.deepEqual(summary(await verify(file, atWingtoys(srs))), ['pass', 'fail', 'fail', 'none', 'reject', 'dmarc-fail']);
  const arc = await verify(sealed, atWingtoys('alice@contoso.example'));
  assert.deepEqual(summary(arc), ['fail', 'fail', 'fail', 'pass', 'none', 'arc-trusted-forwarder']);
  assert.equal(arc.arc.policy.sealer, 'fabrikam.example');
  assert.match(arc.arc.policy.evidence![0]!, /^dmarc=pass header\.from=contoso\.example/);
  assert.equal(arc.disposition.overridden, 'reject');
  assert.match(arc.authenticationResults, /arc=pass\s+\(i=1 d=fabrikam\.example; trusted sealer fabrikam\.example: local_policy arc-trusted-forwarder as\[1\]\.d=fabrikam\.example as\[1\]\.s=arc\)\s+smtp\.remote-ip=198\.51\.100\.25\s+header\.oldest-pass=0;/);
  assert.match(arc.authenticationResults, /dmarc=fail\s+\(p=reject dis=none arc=pass override=local_policy:arc-trusted-forwarder\)\s+header\.from=contoso\.example policy\.dmarc=reject/);
  assert.deepEqual(summary(await verify(sealed, atWingtoys(srs))), ['pass', 'fail', 'fail', 'pass', 'none', 'arc-trusted-forwarder']);
  // A receiver that does not trust fabrikam.example as a sealer applies the policy.
  const distrust = await verify(sealed, atWingtoys(srs, false));
  assert.deepEqual(summary(distrust), ['pass', 'fail', 'fail', 'pass', 'reject', 'dmarc-fail']);
  assert.equal(distrust.arc.policy.reason, 'no-trusted-sealers');
});

test('hostile: a seal made with a key fabrikam.example did not publish does not validate, so nothing is overridden', async () => {
  const { file } = await atFabrikam(true);
  const forged = await seal(file, 'evil.pem');
  const result = await verify(forged, atWingtoys('alice@contoso.example'));
  assert.equal(result.arc.cv, 'fail');
  assert.equal(result.arc.policy.reason, 'chain-not-pass');
  assert.deepEqual([result.disposition.action, result.disposition.reason], ['reject', 'dmarc-fail']);
});

test('explain-forwarding prints the four variants; --json carries the same verdicts', async () => {
  const out = await runCli(['explain-forwarding', path('original.eml'), '--forwarder', 'fabrikam.example', '--receiver', 'wingtoys.example', '--modifies']);
  assert.equal(out.code, 0, out.stderr);
  const text = out.stdout.replace(/\u001b\[[0-9;]*m/g, '');
  assert.match(text, /^contoso\.example \(192\.0\.2\.25\) → fabrikam\.example \(forwarder, 198\.51\.100\.25\) → wingtoys\.example$/m);
  assert.match(text, /^\| plain +\| original +\| fail +\| fail \(body-hash-mismatch\) +\| fail +\| none +\| reject \(dmarc-fail\) +\|$/m);
  assert.match(text, /^\| srs\+arc +\| SRS \(forwarder\) +\| pass, unaligned +\| fail \(body-hash-mismatch\) +\| fail +\| pass, trusted +\| none \(arc-trusted-forwarder\) +\|$/m);
  const json = await runCli(['explain-forwarding', path('original.eml'), '--forwarder', 'fabrikam.example', '--json']);
  const parsed = JSON.parse(json.stdout) as { variants: { name: string; spf: string; dmarc: { result: string }; disposition: { action: string } }[] };
  assert.deepEqual(parsed.variants.map((v) => [v.name, v.spf, v.dmarc.result, v.disposition.action]), [
    ['plain', 'fail', 'pass', 'none'],
    ['srs', 'pass', 'pass', 'none'],
    ['arc', 'fail', 'pass', 'none'],
    ['srs+arc', 'pass', 'pass', 'none'],
  ]);
  assert.equal((await runCli(['explain-forwarding', path('original.eml'), '--forwarder', 'fabrikam.example', '--policy', 'block'])).code, 2);
  assert.equal((await runCli(['explain-forwarding', path('original.eml'), '--forwarder', 'not a domain'])).code, 2);
});
