// Inbound authentication and DMARC enforcement, end to end: the whole gateway (startGateway: listeners,
// policy, queue, Maildir delivery) asks a real DNS server on 127.0.0.1 (TestDnsServer over our wire
// resolver) and real SMTP clients talk to it over TCP. What is checked: the Authentication-Results field in
// the delivered file, 550 5.7.1 for a p=reject spoof, quarantine into hold (never delivered), forged
// Authentication-Results with our authserv-id removed, DKIM through DNS, authenticated and connector mail
// left alone, a SERVFAIL on the DMARC lookup, and hostile messages.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireResolver } from '../../src/adapters/dns/wire-resolver.js';
import { generateDkimKey, signDkim } from '../../src/auth/dkim/index.js';
import { parseConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway/main.js';
import type { GatewayLogger } from '../../src/gateway/process/log.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { RawClient, type Reply } from './gateway-harness.js';
import { eventually, maildirMessages } from './gateway-main-harness.js';

const work = mkdtempSync(join(tmpdir(), 'mailflow-inbound-auth-'));
const dataDir = join(work, 'data');
const USER = 'user@inbox.test';
const ID = 'mx.inbox.test';
const dkimKey = generateDkimKey({ type: 'ed25519', domain: 'signed.test', selector: 'sel' });

let dns: TestDnsServer;
let gw: RunningGateway;
const logged: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
const logger: GatewayLogger = { log: (level, event, fields) => void logged.push({ level, event, ...(fields ? { fields } : {}) }) };

before(async () => {
  dns = await TestDnsServer.start({
    'pass.test': [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.pass.test': [{ TXT: 'v=DMARC1; p=reject' }],
    'spoofed.test': [{ TXT: 'v=spf1 ip4:192.0.2.1 -all' }],
    '_dmarc.spoofed.test': [{ TXT: 'v=DMARC1; p=reject' }],
    'quar.test': [{ TXT: 'v=spf1 ip4:192.0.2.1 -all' }],
    '_dmarc.quar.test': [{ TXT: 'v=DMARC1; p=quarantine' }],
    'signed.test': [{ TXT: 'v=spf1 ip4:192.0.2.1 -all' }],
    '_dmarc.signed.test': [{ TXT: 'v=DMARC1; p=reject' }],
    [dkimKey.dnsName]: [{ TXT: dkimKey.txtStrings }],
    'esp.test': [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    'broken.test': [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.broken.test': ['SERVFAIL'],
  });
  const parsed = parseConfig(`hostname: ${ID}
listeners:
  - { role: inbound, host: 127.0.0.1, port: 0 }
  - { role: submission, host: 127.0.0.1, port: 0 }
acceptedDomains: [{ domain: inbox.test, mailboxes: [user] }]
accounts: [{ username: app@inbox.test, generatedPassword: true, fromAddresses: [app@inbox.test] }]
connectors: [{ name: lab, ips: [127.0.0.2] }]
inboundAuth: { enabled: true }
log: { level: debug }
`);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  gw = await startGateway({ config: parsed.config, dataDir, logger, resolver: new WireResolver({ servers: [dns.address], caseRandomization: false, timeoutMs: 500, attempts: 1 }) });
});

after(async () => {
  await gw?.stop(100);
  await dns?.stop();
  rmSync(work, { recursive: true, force: true });
});

function port(role: 'inbound' | 'submission'): number {
  const listener = gw.listeners.find((l) => l.role === role);
  assert.ok(listener);
  return listener.port;
}

/** A message with a unique Subject (to find it in the Maildir); `headers` go on top. */
function compose(subject: string, from: string | undefined, headers: string[] = []): Buffer {
  const lines = [...headers, ...(from === undefined ? [] : [`From: ${from}`]), `To: <${USER}>`, `Subject: ${subject}`, `Message-ID: <${subject}@client.test>`, '', `Body of ${subject}.`, ''];
  return Buffer.from(lines.join('\r\n'));
}

interface SendOptions {
  localAddress?: string;
  /** Log in on the submission listener first (STARTTLS + AUTH PLAIN). */
  auth?: { user: string; password: string };
}

/** One SMTP transaction over TCP; resolves with the reply to the end of data. */
async function send(mailFrom: string, data: Buffer, options: SendOptions = {}): Promise<Reply> {
  const client = await RawClient.connect(port(options.auth ? 'submission' : 'inbound'), options.localAddress ? { localAddress: options.localAddress } : {});
  try {
    assert.equal((await client.read()).code, 220);
    assert.equal((await client.command('EHLO client.pass.test')).code, 250);
    if (options.auth) {
      assert.equal((await client.command('STARTTLS')).code, 220);
      await client.startTls();
      assert.equal((await client.command('EHLO client.pass.test')).code, 250);
      const plain = Buffer.from(`\0${options.auth.user}\0${options.auth.password}`).toString('base64');
      assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
    }
    assert.equal((await client.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
    assert.equal((await client.command(`RCPT TO:<${USER}>`)).code, 250);
    assert.equal((await client.command('DATA')).code, 354);
    client.send(Buffer.concat([data, Buffer.from('.\r\n')]));
    const reply = await client.read(15_000);
    client.send('QUIT\r\n');
    return reply;
  } finally {
    client.destroy();
  }
}

function queueId(reply: Reply): string {
  const match = /queued as (\S+)/.exec(reply.text);
  assert.ok(match, reply.text);
  return match[1] as string;
}

/** The delivered file whose Subject is `subject` (waits for it). */
async function delivered(subject: string): Promise<string> {
  const find = () => maildirMessages(dataDir, USER).find((m) => m.includes(`\r\nSubject: ${subject}\r\n`));
  await eventually(() => find() !== undefined, 15_000, `delivery of ${subject}`);
  return find() as string;
}

/** The header block's fields, unfolded, in order. */
function fields(message: string): string[] {
  const header = message.slice(0, message.indexOf('\r\n\r\n'));
  return header.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

function ourAuthResults(message: string): string[] {
  return fields(message).filter((f) => new RegExp(`^Authentication-Results:\\s*${ID.replace(/\./g, '\\.')};`, 'i').test(f));
}

async function traceOf(id: string): Promise<Record<string, unknown>> {
  const [trace] = await gw.store.queryTrace({ id });
  const event = trace?.events.find((e) => e.kind === 'policy' && e.data.stage === 'inbound-auth');
  assert.ok(event, `no inbound-auth trace event for ${id}`);
  return event.data;
}

test('SPF pass and DMARC p=reject pass: 250, and the delivered file has our A-R (spf=pass, dmarc=pass) on top, above our Received', async () => {
  const reply = await send('alice@pass.test', compose('pass-1', '<alice@pass.test>'));
  assert.equal(reply.code, 250, reply.text);
  const message = await delivered('pass-1');
  // Maildir delivery adds Return-Path (and Delivered-To) at the top; below them, ours come first.
  const list = fields(message).filter((f) => !/^(Return-Path|Delivered-To):/i.test(f));
  assert.match(list[0] ?? '', /^Authentication-Results: mx\.inbox\.test;/);
  assert.match(list[1] ?? '', /^Received: from client\.pass\.test \(\[127\.0\.0\.1\]\) by mx\.inbox\.test \(mailflow\) with ESMTP/);
  assert.match(list[0] ?? '', /spf=pass .*smtp\.mailfrom=alice@pass\.test/);
  assert.match(list[0] ?? '', /dmarc=pass .*header\.from=pass\.test/);
  assert.equal(ourAuthResults(message).length, 1);
  const trace = await traceOf(queueId(reply));
  assert.equal(trace.decision, 'accept');
  assert.equal(trace.reason, 'dmarc-pass');
  assert.equal(trace.spf, 'pass');
  assert.equal(trace.dmarc, 'pass');
});

test('a spoofed From of a p=reject domain gets 550 5.7.1 naming the domain and the reason; nothing is queued', async () => {
  const before = (await gw.store.counts()).incoming + (await gw.store.counts()).hold;
  const reply = await send('bounce@spoofed.test', compose('spoof-1', 'CEO <ceo@spoofed.test>'));
  assert.equal(reply.code, 550);
  assert.match(reply.text, /5\.7\.1 .*DMARC policy of spoofed\.test is reject.*\(not-aligned\)/);
  const after = (await gw.store.counts()).incoming + (await gw.store.counts()).hold;
  assert.equal(after, before);
  const decision = logged.find((l) => l.event === 'smtp-decision' && l.fields?.stage === 'inbound-auth');
  assert.equal(decision?.fields?.reason, 'dmarc-reject');
  // The refusal is logged at info (the default level): the message gets no queue id or trace of its own.
  const refused = logged.find((l) => l.event === 'smtp-message-refused' && l.fields?.reason === 'dmarc-reject');
  assert.equal(refused?.level, 'info');
  assert.deepEqual([refused?.fields?.stage, refused?.fields?.mailFrom, refused?.fields?.recipients, refused?.fields?.reply], ['inbound-auth', 'bounce@spoofed.test', 1, '550 5.7.1']);
});

test('a p=quarantine failure gets 250 and lands in hold with a quarantine: reason; it is not delivered', async () => {
  const reply = await send('bounce@quar.test', compose('quar-1', '<news@quar.test>'));
  assert.equal(reply.code, 250, reply.text);
  const id = queueId(reply);
  const stored = await gw.store.get(id);
  assert.equal(stored?.state, 'hold');
  assert.equal(stored?.reason, 'quarantine: dmarc p=quarantine for quar.test');
  const trace = await traceOf(id);
  assert.equal(trace.decision, 'quarantine');
  assert.equal(trace.reason, 'dmarc-quarantine');
  assert.equal((await gw.store.queryTrace({ id }))[0]?.status, 'held');
  // Its A-R is already in the held body (what an operator sees before releasing it).
  assert.match((await gw.store.readBody(id))?.toString('latin1') ?? '', /^Authentication-Results: mx\.inbox\.test;[\s\S]*dmarc=fail/);
  // A message sent after it is delivered; the held one still is not.
  assert.equal((await send('alice@pass.test', compose('after-quar', '<alice@pass.test>'))).code, 250);
  await delivered('after-quar');
  assert.ok(!maildirMessages(dataDir, USER).some((m) => m.includes('Subject: quar-1')));
  assert.equal((await gw.store.get(id))?.state, 'hold');
});

test('a forged A-R with our authserv-id is removed; one from another authserv-id stays', async () => {
  const reply = await send('alice@pass.test', compose('forged-1', '<alice@pass.test>', [
    'Authentication-Results: MX.INBOX.TEST.; dmarc=pass header.from=paypal.example',
    'Authentication-Results: (comment first) mx.inbox.test; spf=pass (unterminated',
    'Authentication-Results: other.example; spf=pass smtp.mailfrom=alice@pass.test',
  ]));
  assert.equal(reply.code, 250, reply.text);
  const message = await delivered('forged-1');
  assert.equal(ourAuthResults(message).length, 1);
  assert.doesNotMatch(message, /paypal\.example|unterminated/);
  assert.ok(fields(message).includes('Authentication-Results: other.example; spf=pass smtp.mailfrom=alice@pass.test'));
  assert.equal((await traceOf(queueId(reply))).removedAuthResults, 2);
});

test('a DKIM-signed message (Ed25519 key in the test zone) passes DKIM and, through it, DMARC', async () => {
  const { message: signed } = await signDkim(compose('dkim-1', '<billing@signed.test>'), [{ domain: 'signed.test', selector: 'sel', privateKey: dkimKey.privateKeyPem }]);
  // MAIL FROM at the ESP: SPF passes for esp.test, which is not aligned with signed.test.
  const reply = await send('bounces@esp.test', signed);
  assert.equal(reply.code, 250, reply.text);
  const [ar] = ourAuthResults(await delivered('dkim-1'));
  assert.match(ar ?? '', /dkim=pass .*header\.d=signed\.test header\.s=sel/);
  assert.match(ar ?? '', /spf=pass .*smtp\.mailfrom=bounces@esp\.test/);
  assert.match(ar ?? '', /dmarc=pass .*header\.from=signed\.test/);
});

test('authenticated submission and relay-connector mail is not checked (no A-R added, no 550), but forged A-R with our id is still removed', async () => {
  const secret = gw.generatedPasswords[0];
  assert.ok(secret);
  const submitted = await send('app@inbox.test', compose('sub-1', '<app@inbox.test>', ['Authentication-Results: mx.inbox.test; dmarc=pass header.from=inbox.test']), { auth: { user: secret.username, password: secret.password } });
  assert.equal(submitted.code, 250, submitted.text);
  const subMessage = await delivered('sub-1');
  assert.deepEqual(ourAuthResults(subMessage), []);
  // The connector (127.0.0.2) sends a From that would fail DMARC p=reject: it is not ours to judge here.
  const relayed = await send('bounce@spoofed.test', compose('relay-1', '<ceo@spoofed.test>'), { localAddress: '127.0.0.2' });
  assert.equal(relayed.code, 250, relayed.text);
  assert.deepEqual(ourAuthResults(await delivered('relay-1')), []);
  const [trace] = await gw.store.queryTrace({ id: queueId(relayed) });
  assert.ok(!trace?.events.some((e) => e.data.stage === 'inbound-auth'));
});

test('a SERVFAIL on the DMARC lookup does not bounce: 250, delivered with dmarc=temperror', async () => {
  const reply = await send('alice@broken.test', compose('servfail-1', '<alice@broken.test>'));
  assert.equal(reply.code, 250, reply.text);
  const [ar] = ourAuthResults(await delivered('servfail-1'));
  assert.match(ar ?? '', /spf=pass/);
  assert.match(ar ?? '', /dmarc=temperror/);
  assert.equal((await traceOf(queueId(reply))).reason, 'dmarc-temperror');
});

test('hostile: 500 forged A-R fields with our authserv-id are all removed', async () => {
  const forged = Array.from({ length: 500 }, (_, i) => `Authentication-Results: ${i % 2 ? 'mx.inbox.test' : 'Mx.Inbox.Test'}; dmarc=pass header.from=bank${i}.example`);
  const reply = await send('alice@pass.test', compose('flood-1', '<alice@pass.test>', forged));
  assert.equal(reply.code, 250, reply.text);
  const message = await delivered('flood-1');
  assert.equal(ourAuthResults(message).length, 1);
  assert.doesNotMatch(message, /bank\d+\.example/);
  assert.equal((await traceOf(queueId(reply))).removedAuthResults, 500);
});

test('hostile: a From with several addresses, and no From at all, get what verifyMessage says', async () => {
  // Two author domains, one of which (spoofed.test, p=reject) fails: DMARC evaluates every author domain.
  const several = await send('alice@pass.test', compose('multi-1', '<alice@pass.test>, <ceo@spoofed.test>'));
  assert.equal(several.code, 550, several.text);
  assert.match(several.text, /5\.7\.1 /);
  // Two From addresses of the same passing domain: one author domain, pass.
  const same = await send('alice@pass.test', compose('multi-2', '<alice@pass.test>, <bob@pass.test>'));
  assert.equal(same.code, 250, same.text);
  // No From: DMARC permerror (no-from); not a DMARC verdict we enforce, so the message is accepted.
  const none = await send('alice@pass.test', compose('nofrom-1', undefined));
  assert.equal(none.code, 250, none.text);
  const [ar] = ourAuthResults(await delivered('nofrom-1'));
  assert.match(ar ?? '', /dmarc=permerror/);
  assert.equal((await traceOf(queueId(none))).reason, 'dmarc-permerror');
});
