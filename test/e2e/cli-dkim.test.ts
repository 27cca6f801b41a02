// End-to-end tests of `mailflow dkim …`: keygen → publish the record in the test DNS server → sign →
// verify over real UDP on 127.0.0.1, in-process through the CLI (never a live lookup).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-dkim-e2e-'));
const message = 'From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: hello\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <1@example.com>\n\nHello Bob.\n';
const messageFile = join(dir, 'message.eml');
writeFileSync(messageFile, message);

let server: TestDnsServer | undefined;
const zone: Record<string, { TXT: string[] }[]> = {};

before(async () => {
  // Keys first: the zone is served from the records keygen prints.
  for (const [selector, type] of [['rsa1', 'rsa'], ['ed1', 'ed25519']] as const) {
    const out = await runCli(['dkim', 'keygen', '--domain', 'example.com', '--selector', selector, '--type', type, '--out', join(dir, `${selector}.pem`), '--json']);
    assert.equal(out.code, 0, out.stderr);
    const json = JSON.parse(out.stdout) as { dnsName: string; txtStrings: string[] };
    zone[json.dnsName] = [{ TXT: json.txtStrings }];
  }
  server = await TestDnsServer.start(zone);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('keygen writes the private key with mode 0600 and refuses to overwrite it', async () => {
  const mode = statSync(join(dir, 'rsa1.pem')).mode & 0o777;
  assert.equal(mode, 0o600);
  const again = await runCli(['dkim', 'keygen', '--domain', 'example.com', '--selector', 'rsa1', '--out', join(dir, 'rsa1.pem')]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists/);
});

test('keygen prints the record and zone line; RSA records are split into 255-octet strings', async () => {
  const out = await runCli(['dkim', 'keygen', '--domain', 'example.com', '--selector', 's', '--bits', '2048', '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.match(json.txtRecord, /^v=DKIM1; k=rsa; p=MII/);
  assert.ok(json.txtStrings.length >= 2 && json.txtStrings.every((s: string) => s.length <= 255));
  assert.match(json.zoneLine, /^s\._domainkey\.example\.com\. 3600 IN TXT \( "/);
  assert.match(json.privateKeyPem, /BEGIN PRIVATE KEY/);
});

test('sign (dual RSA + Ed25519) then verify through the test DNS server: both pass', async () => {
  const signed = await runCli([
    'dkim', 'sign', messageFile,
    '--domain', 'example.com', '--selector', 'rsa1', '--key', join(dir, 'rsa1.pem'),
    '--domain', 'example.com', '--selector', 'ed1', '--key', join(dir, 'ed1.pem'), '--algorithm', 'rsa-sha256', '--algorithm', 'ed25519-sha256',
    '--now', '1700000000',
  ]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /^DKIM-Signature: v=1; a=rsa-sha256;/);
  assert.match(signed.stdout, /\r\nDKIM-Signature: v=1; a=ed25519-sha256;/);
  const signedFile = join(dir, 'signed.eml');
  writeFileSync(signedFile, signed.stdout);

  const out = await runCli(['dkim', 'verify', signedFile, '--dns', (server as TestDnsServer).address, '--json', '--now', '1700000100']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.deepEqual(
    json.signatures.map((s: { result: string; domain: string; selector: string; algorithm: string; reason: string }) => [s.result, s.domain, s.selector, s.algorithm, s.reason]),
    [
      ['pass', 'example.com', 'rsa1', 'rsa-sha256', 'verified'],
      ['pass', 'example.com', 'ed1', 'ed25519-sha256', 'verified'],
    ],
  );
});

test('verify with several files prints one JSON line per file; a tampered copy fails', async () => {
  const signed = await runCli(['dkim', 'sign', messageFile, '--domain', 'example.com', '--selector', 'ed1', '--key', join(dir, 'ed1.pem')]);
  assert.equal(signed.code, 0, signed.stderr);
  const good = join(dir, 'good.eml');
  const bad = join(dir, 'bad.eml');
  writeFileSync(good, signed.stdout);
  writeFileSync(bad, signed.stdout.replace('Hello Bob.', 'Send money.'));
  const out = await runCli(['dkim', 'verify', good, bad, messageFile, '--dns', (server as TestDnsServer).address, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].path, good);
  assert.equal(lines[0].signatures[0].result, 'pass');
  assert.equal(lines[1].signatures[0].result, 'fail');
  assert.equal(lines[1].signatures[0].reason, 'body-hash-mismatch');
  assert.deepEqual(lines[2].signatures, []);
});

test('human output shows the result and the Authentication-Results entry; no signature is none', async () => {
  const out = await runCli(['dkim', 'verify', messageFile, '--dns', (server as TestDnsServer).address]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /dkim=none/);
});

test('usage errors exit 2: unpaired signer options, unreadable file, rotate without a key', async () => {
  const unpaired = await runCli(['dkim', 'sign', messageFile, '--domain', 'example.com', '--domain', 'example.org', '--selector', 's', '--key', join(dir, 'ed1.pem')]);
  assert.equal(unpaired.code, 2);
  const missing = await runCli(['dkim', 'verify', join(dir, 'nope.eml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
  const rotate = await runCli(['dkim', 'rotate', '--domain', 'example.com', '--current', 'a', '--new', 'b']);
  assert.equal(rotate.code, 2);
});

test('rotate generates the new key and prints the four steps', async () => {
  const out = await runCli(['dkim', 'rotate', '--domain', 'example.com', '--current', 'rsa1', '--new', 'rsa2', '--out', join(dir, 'rsa2.pem'), '--json']);
  assert.equal(out.code, 0, out.stderr);
  const plan = JSON.parse(out.stdout);
  assert.deepEqual(plan.steps.map((s: { action: string }) => s.action), ['publish-new', 'switch-signing', 'revoke-old', 'remove-old']);
  assert.equal(plan.steps[0].publish[0].name, 'rsa2._domainkey.example.com');
  assert.equal(plan.steps[2].publish[0].txt, 'v=DKIM1; k=rsa; p=');
  assert.match(readFileSync(join(dir, 'rsa2.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
});

test('sign --out into a directory that does not exist is a usage error (exit 2), not a crash', async () => {
  const out = await runCli(['dkim', 'sign', messageFile, '--domain', 'example.com', '--selector', 'ed1', '--key', join(dir, 'ed1.pem'), '--out', join(dir, 'no-such-dir', 'signed.eml')]);
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /^mailflow: cannot write .*ENOENT/);
});
