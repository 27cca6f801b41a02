// Outbound DKIM signing in the gateway process: with `dkimSigning.keys` for mailflow.test (RSA and Ed25519 key
// files from `mailflow dkim keygen`), swaks submits as demo@mailflow.test and the delivered message carries two
// signatures, below our Received field, that verify against the published records; the trace records the
// signing. A key file that cannot be used stops `mailflow gateway` with exit code 2 and the file named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock } from '../../src/core/clock.js';
import { parseTagList, verifyDkim } from '../../src/auth/dkim/index.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { CLI, eventually, GatewayProcess, gatewayTestScope, LOOPBACK_LISTENERS, maildirMessages, writeConfig } from './gateway-main-harness.js';

const run = promisify(execFile);
const { work, running } = gatewayTestScope('mailflow-gw-dkim-');

/** `mailflow dkim keygen --json`: the key file it wrote and the TXT record to publish. */
async function keygen(type: 'rsa' | 'ed25519', selector: string): Promise<{ keyFile: string; dnsName: string; txt: string }> {
  const keyFile = join(work, `${selector}.key`);
  const { stdout } = await run(process.execPath, [...CLI, 'dkim', 'keygen', '--domain', 'mailflow.test', '--selector', selector, '--type', type, '--out', keyFile, '--json']);
  const out = JSON.parse(stdout) as { dnsName: string; txtRecord: string };
  return { keyFile, dnsName: out.dnsName, txt: out.txtRecord };
}

test('submitted mail is DKIM-signed with the From domain keys (RSA + Ed25519) and verifies', async () => {
  const rsa = await keygen('rsa', 'rsa1');
  const ed = await keygen('ed25519', 'ed1');
  const config = writeConfig(work, `hostname: mx.mailflow.test
dkimSigning:
  keys:
    - { domain: mailflow.test, selector: rsa1, keyFile: ${rsa.keyFile} }
    - { domain: mailflow.test, selector: ed1, keyFile: ${ed.keyFile} }
${LOOPBACK_LISTENERS}`);
  const dataDir = join(work, 'data');
  const gw = await GatewayProcess.start(dataDir, config);
  running.push(gw);
  assert.deepEqual(gw.lines.filter((l) => l.event === 'dkim-signing-key').map((l) => [l.selector, l.algorithm]), [['rsa1', 'rsa-sha256'], ['ed1', 'ed25519-sha256']]);
  const args = gw.firstMessage.split(' ').slice(1).map((a) => a.replace(/^'(.*)'$/, '$1'));
  await run('swaks', [...args, '--header', 'Subject: signed at the gateway', '--body', 'hello, signed', '--timeout', '10']);
  await eventually(() => maildirMessages(dataDir, 'postmaster@mailflow.test').length === 1, 10_000, 'Maildir delivery');
  const delivered = Buffer.from(maildirMessages(dataDir, 'postmaster@mailflow.test')[0] ?? '', 'latin1');
  // Return-Path and Delivered-To (added at delivery), then our Received, then the signatures.
  assert.match(delivered.toString('latin1'), /^Return-Path: .*\r\nDelivered-To: .*\r\nReceived: [^]*?\r\nDKIM-Signature: v=1; a=rsa-sha256;[^]*?\r\nDKIM-Signature: v=1; a=ed25519-sha256;/);
  const resolver = new ZoneResolver({ [rsa.dnsName]: [{ TXT: rsa.txt }], [ed.dnsName]: [{ TXT: ed.txt }] });
  const verified = await verifyDkim(delivered, { resolver, clock: new ManualClock(Date.now()) });
  assert.deepEqual(verified.signatures.map((s) => [s.domain, s.selector, s.result]), [['mailflow.test', 'rsa1', 'pass'], ['mailflow.test', 'ed1', 'pass']]);
  const h = parseTagList(delivered.toString('latin1').split('DKIM-Signature:')[1]?.split(/\r\n(?=\S)/)[0] ?? '');
  assert.ok(h.ok && (h.value.byName.get('h')?.value ?? '').includes('from:from'), 'From is over-signed');
  const { stdout } = await run(process.execPath, [...CLI, 'trace', '--data-dir', dataDir, '--json']);
  const events = (JSON.parse(stdout) as { events: { kind: string; data: Record<string, unknown> }[] }[])[0]?.events ?? [];
  assert.ok(events.some((e) => e.data['stage'] === 'dkim-sign' && e.data['decision'] === 'signed' && e.data['domain'] === 'mailflow.test'));
  assert.equal((await gw.stop('SIGTERM')).code, 0);
});

test('a signing key that cannot be used stops the start with exit code 2 and the file named', async () => {
  const missing = join(work, 'missing.key');
  const config = writeConfig(work, `hostname: mx.mailflow.test\ndkimSigning: { keys: [{ domain: mailflow.test, selector: s1, keyFile: ${missing} }] }\n${LOOPBACK_LISTENERS}`, 'bad-key.yaml');
  const failed = (await run(process.execPath, [...CLI, 'gateway', '--data-dir', join(work, 'data-bad'), '--config', config]).catch((e: unknown) => e)) as { code: number; stderr: string };
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, new RegExp(`mailflow: dkimSigning: cannot read the key file ${missing.replace(/[.]/g, '\\.')} \\(ENOENT\\)`));
});
