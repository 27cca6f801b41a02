// End-to-end tests of `mailflow arc …`: generated keys published in the test DNS server, seal → verify over
// real UDP on 127.0.0.1, in-process through the CLI (never a live lookup): one hop, two hops, a tampered
// body, several files, usage errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDkimKey } from '../../src/auth/dkim/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import type { ZoneData } from '../../src/testing/zone.js';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-arc-e2e-'));
const message =
  'Authentication-Results: mx.forwarder.example; spf=pass smtp.mailfrom=alice@example.com;\n dkim=pass header.d=example.com\n' +
  'From: Alice <alice@example.com>\nTo: list@forwarder.example\nSubject: hello\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <1@example.com>\n\nHello list.\n';
const messageFile = join(dir, 'message.eml');
writeFileSync(messageFile, message);

let server: TestDnsServer | undefined;
const dns = (): string => (server as TestDnsServer).address;

before(async () => {
  const zone: ZoneData = {};
  for (const [domain, selector, type] of [['forwarder.example', 'arc1', 'rsa'], ['list.example', 'arc2', 'ed25519']] as const) {
    const key = generateDkimKey({ type, domain, selector, ...(type === 'rsa' ? { bits: 1024 } : {}) });
    writeFileSync(join(dir, `${selector}.pem`), key.privateKeyPem);
    zone[key.dnsName] = [{ TXT: key.txtStrings }];
  }
  server = await TestDnsServer.start(zone);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function seal(file: string, domain: string, selector: string, authservId: string, extra: string[] = []): Promise<string> {
  const out = await runCli(['arc', 'seal', file, '--domain', domain, '--selector', selector, '--key', join(dir, `${selector}.pem`), '--authserv-id', authservId, '--dns', dns(), '--now', '1700000000', ...extra]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

test('seal then verify through the test DNS server: cv=pass with one instance', async () => {
  const sealed = await seal(messageFile, 'forwarder.example', 'arc1', 'mx.forwarder.example');
  assert.match(sealed, /^ARC-Seal: i=1; a=rsa-sha256; cv=none; d=forwarder\.example; s=arc1;\s+t=1700000000;/);
  assert.match(sealed, /\r\nARC-Message-Signature: i=1; a=rsa-sha256;/);
  assert.match(sealed, /\r\nARC-Authentication-Results: i=1; mx\.forwarder\.example;\r\n spf=pass smtp\.mailfrom=alice@example\.com;\r\n dkim=pass header\.d=example\.com\r\n/);
  const file = join(dir, 'hop1.eml');
  writeFileSync(file, sealed);
  const out = await runCli(['arc', 'verify', file, '--dns', dns(), '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.cv, 'pass', json.detail);
  assert.equal(json.reason, 'verified');
  assert.equal(json.instances.length, 1);
  assert.equal(json.instances[0].domain, 'forwarder.example');
  assert.equal(json.instances[0].aar.authservId, 'mx.forwarder.example');
  assert.deepEqual(json.instances[0].aar.results.map((r: { method: string; result: string }) => `${r.method}=${r.result}`), ['spf=pass', 'dkim=pass']);
});

test('seal twice (two hops, RSA then Ed25519): cv=pass with two instances; the second seal says cv=pass', async () => {
  const first = join(dir, 'two-1.eml');
  writeFileSync(first, await seal(messageFile, 'forwarder.example', 'arc1', 'mx.forwarder.example'));
  const second = await seal(first, 'list.example', 'arc2', 'mx.list.example');
  assert.match(second, /^ARC-Seal: i=2; a=ed25519-sha256; cv=pass; d=list\.example; s=arc2;/);
  const file = join(dir, 'two-2.eml');
  writeFileSync(file, second);
  const out = await runCli(['arc', 'verify', file, '--dns', dns(), '--json']);
  const json = JSON.parse(out.stdout);
  assert.equal(json.cv, 'pass', json.detail);
  assert.equal(json.oldestPass, 0);
  assert.deepEqual(json.instances.map((i: { instance: number; domain: string; cv: string }) => [i.instance, i.domain, i.cv]), [
    [1, 'forwarder.example', 'none'],
    [2, 'list.example', 'pass'],
  ]);
  // The human report ends with the Authentication-Results entry.
  const human = await runCli(['arc', 'verify', file, '--dns', dns()]);
  assert.match(human.stdout, /Authentication-Results: mailflow; arc=pass \(i=2 d=list\.example\)\n$/);
});

test('a tampered body fails (ams-invalid, body hash); several files print one JSON line each', async () => {
  const sealed = await seal(messageFile, 'forwarder.example', 'arc1', 'mx.forwarder.example');
  const good = join(dir, 'good.eml');
  const bad = join(dir, 'bad.eml');
  writeFileSync(good, sealed);
  writeFileSync(bad, sealed.replace('Hello list.', 'Send money.'));
  const out = await runCli(['arc', 'verify', good, bad, messageFile, '--dns', dns(), '--json']);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((l) => [l.path, l.cv, l.reason]), [
    [good, 'pass', 'verified'],
    [bad, 'fail', 'ams-invalid'],
    [messageFile, 'none', 'no-arc-sets'],
  ]);
  assert.equal(lines[1].instances[0].amsResult.reason, 'body-hash-mismatch');
  assert.equal(lines[1].failedInstance, 1);
});

test('sealing a tampered chain adds a cv=fail set; a chain marked failed gets no more sets', async () => {
  const sealed = await seal(messageFile, 'forwarder.example', 'arc1', 'mx.forwarder.example');
  const tampered = join(dir, 'tampered.eml');
  writeFileSync(tampered, sealed.replace('Hello list.', 'Send money.'));
  const failSealed = await seal(tampered, 'list.example', 'arc2', 'mx.list.example');
  assert.match(failSealed, /^ARC-Seal: i=2; a=ed25519-sha256; cv=fail;/);
  const marked = join(dir, 'marked.eml');
  writeFileSync(marked, failSealed);
  const verified = JSON.parse((await runCli(['arc', 'verify', marked, '--dns', dns(), '--json'])).stdout);
  assert.equal(verified.cv, 'fail');
  assert.equal(verified.reason, 'chain-marked-failed');

  const again = await runCli(['arc', 'seal', marked, '--domain', 'forwarder.example', '--selector', 'arc1', '--key', join(dir, 'arc1.pem'), '--authserv-id', 'mx3.example', '--dns', dns(), '--json']);
  assert.equal(again.code, 0, again.stderr);
  const json = JSON.parse(again.stdout);
  assert.equal(json.sealed, false);
  assert.equal(json.reason, 'chain-already-failed');
});

test('usage errors exit 2 with a code-bearing message', async () => {
  const missing = await runCli(['arc', 'verify', join(dir, 'nope.eml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
  const badKey = join(dir, 'bad.pem');
  writeFileSync(badKey, 'not a key');
  const out = await runCli(['arc', 'seal', messageFile, '--domain', 'forwarder.example', '--selector', 'arc1', '--key', badKey, '--authserv-id', 'mx.example', '--dns', dns()]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /private key/);
  const badId = await runCli(['arc', 'seal', messageFile, '--domain', 'forwarder.example', '--selector', 'arc1', '--key', join(dir, 'arc1.pem'), '--authserv-id', 'a;b', '--dns', dns()]);
  assert.equal(badId.code, 2);
  assert.match(badId.stderr, /authserv-id/);
  const noDomain = await runCli(['arc', 'seal', messageFile, '--selector', 'arc1', '--key', join(dir, 'arc1.pem'), '--authserv-id', 'mx.example']);
  assert.equal(noDomain.code, 2);
});
