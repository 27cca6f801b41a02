import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainForwarding } from './forwarding.js';
import { VerifyOptionsError } from './types.js';

const clock = { now: () => 1_700_000_000_000 };
const message = Buffer.from('From: Alice <alice@contoso.example>\nTo: list@fabrikam.example\nSubject: hello\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <1@contoso.example>\n\nHello.\n');

type Row = [string, string, string, string, string, string];
function rows(e: Awaited<ReturnType<typeof explainForwarding>>): Row[] {
  return e.variants.map((v) => [v.name, v.result.spf.result, v.result.dkim.signatures.map((s) => s.result).join(',') || 'none', v.result.dmarc.result, v.result.arc.cv, v.result.disposition.reason]);
}

void test('unmodified forward: DKIM carries DMARC in every variant; SRS turns SPF fail into an unaligned pass', async () => {
  const e = await explainForwarding({ message, forwarder: 'fabrikam.example', receiver: 'wingtoys.example', clock });
  assert.equal(e.origin, 'contoso.example');
  assert.equal(e.atForwarder.dmarc.result, 'pass');
  assert.deepEqual(rows(e), [
    ['plain', 'fail', 'pass', 'pass', 'none', 'dmarc-pass'],
    ['srs', 'pass', 'pass', 'pass', 'none', 'dmarc-pass'],
    ['arc', 'fail', 'pass', 'pass', 'pass', 'dmarc-pass'],
    ['srs+arc', 'pass', 'pass', 'pass', 'pass', 'dmarc-pass'],
  ]);
  const srs = e.variants[1]!;
  assert.match(srs.mailFrom, /^SRS0=[^@]+=contoso\.example=alice@fabrikam\.example$/);
  assert.equal(srs.result.dmarc.alignment.spf.aligned, false);
});

void test('a modifying forwarder (mailing list) breaks DKIM: only a trusted ARC seal saves the message', async () => {
  const e = await explainForwarding({ message, forwarder: 'fabrikam.example', receiver: 'wingtoys.example', modifies: true, clock });
  assert.deepEqual(rows(e), [
    ['plain', 'fail', 'fail', 'fail', 'none', 'dmarc-fail'],
    ['srs', 'pass', 'fail', 'fail', 'none', 'dmarc-fail'],
    ['arc', 'fail', 'fail', 'fail', 'pass', 'arc-trusted-forwarder'],
    ['srs+arc', 'pass', 'fail', 'fail', 'pass', 'arc-trusted-forwarder'],
  ]);
  assert.deepEqual(e.variants.map((v) => v.result.disposition.action), ['reject', 'reject', 'none', 'none']);
  const arc = e.variants[2]!.result;
  assert.equal(arc.disposition.overridden, 'reject');
  assert.match(arc.authenticationResults, /dmarc=fail\r?\n?\s*\(p=reject dis=none arc=pass override=local_policy:arc-trusted-forwarder\)/);
  assert.match(arc.authenticationResults, /arc=pass[\s\S]*trusted sealer fabrikam\.example[\s\S]*smtp\.remote-ip=198\.51\.100\.25/);
});

void test('an unsigned origin under p=quarantine: SPF is all DMARC had, and forwarding loses it', async () => {
  const e = await explainForwarding({ message, forwarder: 'fabrikam.example', originSigns: false, originPolicy: 'quarantine', clock });
  assert.deepEqual(e.variants.map((v) => [v.name, v.result.dmarc.result, v.result.disposition.action, v.result.disposition.reason]), [
    ['plain', 'fail', 'quarantine', 'dmarc-fail'],
    ['srs', 'fail', 'quarantine', 'dmarc-fail'],
    ['arc', 'fail', 'none', 'arc-trusted-forwarder'],
    ['srs+arc', 'fail', 'none', 'arc-trusted-forwarder'],
  ]);
});

void test('existing signatures are replaced by the simulation; a message without a From domain is refused', async () => {
  const signedAlready = Buffer.concat([Buffer.from('DKIM-Signature: v=1; a=rsa-sha256; d=contoso.example; s=real; bh=x; b=y\r\n'), message]);
  const e = await explainForwarding({ message: signedAlready, forwarder: 'fabrikam.example', clock });
  assert.deepEqual(e.atForwarder.dkim.signatures.map((s) => s.selector), ['sim']);
  await assert.rejects(explainForwarding({ message: Buffer.from('Subject: x\r\n\r\nbody\r\n'), forwarder: 'fabrikam.example', clock }), (err: unknown) => err instanceof VerifyOptionsError && err.code === 'bad-scenario');
  await assert.rejects(explainForwarding({ message, forwarder: 'not a domain', clock }), VerifyOptionsError);
});
