// The gateway's SMTP listeners over real TCP and TLS on 127.0.0.1, driven by real clients (Debian's swaks,
// nodemailer) and by a raw client for what real clients do not do: pipelining checks, BDAT, DSN parameters,
// SMTPUTF8, failing sinks and policy stages, graceful shutdown.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ehloClient, makeCerts, message, PASSWORDS, RawClient, startTestGateway, testConfig, type TestCerts } from './gateway-harness.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';
import type { MemorySink } from './gateway-harness.js';
import { SMTP_CHANNEL_NAME } from '../../src/gateway/smtp/events.js';
import { tempfail } from '../../src/gateway/policy/decision.js';

const run = promisify(execFile);

let certs: TestCerts;
let gateway: SmtpGateway;
let sink: MemorySink;
let port: (name: string) => number;

before(async () => {
  certs = makeCerts();
  ({ gateway, sink, port } = await startTestGateway(await testConfig(certs)));
});

after(async () => {
  await gateway.close(200);
  certs.dispose();
});

async function swaks(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('swaks', ['--server', '127.0.0.1', '--timeout', '5', ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('greeting comes at once (no greeting delay) and EHLO lists the extensions', async () => {
  const started = performance.now();
  const client = await RawClient.connect(port('inbound'));
  const greeting = await client.read();
  const elapsed = performance.now() - started;
  assert.equal(greeting.code, 220);
  assert.match(greeting.lines[0]!, /^mx\.example\.com ESMTP/);
  assert.ok(elapsed < 50, `greeting took ${elapsed.toFixed(1)} ms`);
  const ehlo = await client.command('EHLO client.example.net');
  assert.equal(ehlo.code, 250);
  for (const keyword of ['PIPELINING', 'SIZE 26214400', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'DSN', 'STARTTLS']) {
    assert.ok(ehlo.lines.includes(keyword), `${keyword} in ${ehlo.lines.join('|')}`);
  }
  assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), 'no AUTH on the inbound listener');
  assert.equal((await client.command('QUIT')).code, 221);
  await client.waitClosed();
});

test('submission: AUTH only after STARTTLS (538 before), then 235; EHLO after TLS offers AUTH not STARTTLS', async () => {
  const { client, ehlo } = await ehloClient(port('submission'));
  assert.ok(ehlo.lines.includes('STARTTLS'));
  assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')));
  const plain = Buffer.from(`\0alice@example.com\0${PASSWORDS.alice}`).toString('base64');
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 538);
  assert.equal((await client.command('MAIL FROM:<alice@example.com>')).code, 530, 'submission requires auth');
  assert.equal((await client.command('STARTTLS')).code, 220);
  await client.startTls();
  const ehlo2 = await client.command('EHLO client.example.net');
  assert.ok(ehlo2.lines.includes('AUTH PLAIN LOGIN'));
  assert.ok(!ehlo2.lines.includes('STARTTLS'));
  assert.equal((await client.command('STARTTLS')).code, 503);
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 503, 'already authenticated');
  client.destroy();
});

test('AUTH LOGIN step by step, cancel with "*", bad base64, and 421 after three failures', async () => {
  const client = await RawClient.connect(port('submissions'), { tls: true });
  assert.equal((await client.read()).code, 220);
  await client.command('EHLO c.example');
  assert.equal((await client.command('AUTH LOGIN')).lines[0], 'VXNlcm5hbWU6');
  assert.equal((await client.command('*')).code, 501);
  assert.equal((await client.command('AUTH LOGIN')).code, 334);
  assert.equal((await client.command('not base64!')).code, 501);
  assert.equal((await client.command('AUTH CRAM-MD5')).code, 504);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (let i = 1; i <= 3; i++) {
    assert.equal((await client.command(`AUTH LOGIN ${b64('alice@example.com')}`)).lines[0], 'UGFzc3dvcmQ6');
    const r = await client.command(b64('wrong password'));
    assert.equal(r.code, i < 3 ? 535 : 421, r.text);
  }
  await client.waitClosed();
});

test('swaks: submission with STARTTLS + AUTH LOGIN, and implicit TLS with AUTH PLAIN', async () => {
  const before = sink.messages.length;
  const starttls = await swaks(['--port', String(port('submission')), '--tls', '--auth', 'LOGIN', '--auth-user', 'alice@example.com', '--auth-password', PASSWORDS.alice, '--from', 'alice@example.com', '--to', 'partner@external.example', '--header', 'Subject: swaks starttls']);
  assert.equal(starttls.code, 0, starttls.out);
  assert.match(starttls.out, /250 2\.0\.0 OK queued as/);
  const implicit = await swaks(['--port', String(port('submissions')), '--tlsc', '--auth', 'PLAIN', '--auth-user', 'alice@example.com', '--auth-password', PASSWORDS.alice, '--from', 'sales@example.com', '--to', 'partner@external.example', '--pipeline']);
  assert.equal(implicit.code, 0, implicit.out);
  const [m1, m2] = sink.messages.slice(before);
  assert.equal(m1?.client.authUser, 'alice@example.com');
  assert.equal(m1?.direction, 'outbound');
  assert.ok(m1?.client.tls?.version.startsWith('TLSv1.'));
  assert.equal(m1?.client.listener, 'submission');
  assert.equal(m2?.client.listener, 'submissions');
  assert.equal(m2?.envelope.mailFrom, 'sales@example.com');
});

test('swaks: direct send to our domain is inbound; to an external domain it is refused', async () => {
  const before = sink.messages.length;
  const ok = await swaks(['--port', String(port('inbound')), '--from', 'app@vendor.example', '--to', 'info@example.org', '--pipeline']);
  assert.equal(ok.code, 0, ok.out);
  const m = sink.messages[before]!;
  assert.equal(m.direction, 'inbound');
  assert.equal(m.client.authUser, undefined);
  const relay = await swaks(['--port', String(port('inbound')), '--from', 'app@vendor.example', '--to', 'someone@external.example']);
  assert.notEqual(relay.code, 0);
  assert.match(relay.out, /554 5\.7\.1 Relay access denied/);
  assert.equal(sink.messages.length, before + 1);
});

test('nodemailer: submission with STARTTLS and implicit TLS, DSN parameters kept on the envelope', async () => {
  const before = sink.messages.length;
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: port('submission'),
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'alice@example.com', pass: PASSWORDS.alice },
  });
  const info = await transport.sendMail({
    from: 'Alice <alice@example.com>',
    to: ['bob@external.example', 'carol@example.com'],
    subject: 'hello',
    text: 'Hello from nodemailer.\n.\nA line with a single dot above.',
    envelope: { from: 'alice@example.com', to: ['bob@external.example', 'carol@example.com'] },
    dsn: { id: 'env-42', return: 'headers', notify: ['failure', 'delay'], recipient: 'alice@example.com' },
  });
  assert.match(info.response, /^250 2\.0\.0 OK queued as/);
  transport.close();
  const m = sink.messages[before]!;
  assert.deepEqual(m.envelope.recipients.map((r) => r.address), ['bob@external.example', 'carol@example.com']);
  assert.deepEqual(m.envelope.dsn, { ret: 'HDRS', envid: 'env-42' });
  assert.deepEqual(m.envelope.recipients[0]!.dsn?.notify, ['FAILURE', 'DELAY']);
  assert.match(m.envelope.recipients[0]!.dsn?.orcpt ?? '', /^rfc822;alice@example\.com$/i);
  assert.equal(m.direction, 'outbound');
  assert.match(m.data.toString(), /\r\n\.\r\nA line with a single dot above/);

  const secure = nodemailer.createTransport({ host: '127.0.0.1', port: port('submissions'), secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORDS.alice } });
  const info2 = await secure.sendMail({ from: 'news-bot@news.example.com', to: 'x@external.example', subject: 's', text: 't' });
  assert.match(info2.response, /^250 /);
  secure.close();
});

test('PIPELINING: a whole transaction in one write gets its replies in order', async () => {
  const before = sink.messages.length;
  const { client } = await ehloClient(port('inbound'));
  client.send('MAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\nRCPT TO:<y@external.example>\r\nRCPT TO:<z@example.com>\r\nDATA\r\n');
  const replies = await client.readMany(5);
  assert.deepEqual(replies.map((r) => r.code), [250, 250, 554, 250, 354]);
  client.send(`${message('a@remote.example')}.\r\nMAIL FROM:<b@remote.example>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n`);
  const more = await client.readMany(4);
  assert.deepEqual(more.map((r) => r.code), [250, 250, 250, 354]);
  client.send(`${message('b@remote.example')}.\r\nQUIT\r\n`);
  assert.deepEqual((await client.readMany(2)).map((r) => r.code), [250, 221]);
  assert.equal(sink.messages.length, before + 2);
  assert.deepEqual(sink.messages[before]!.envelope.recipients.map((r) => r.address), ['x@example.com', 'z@example.com']);
});

test('CHUNKING: BDAT chunks, BDAT 0 LAST, BDAT without a transaction still consumes its octets', async () => {
  const before = sink.messages.length;
  const { client } = await ehloClient(port('inbound'));
  const body = message('a@remote.example', 'x@example.com', 'chunked body');
  const half = Math.floor(body.length / 2);
  // Octets that look like commands inside a chunk are data, never commands.
  const fake = 'QUIT\r\nRSET\r\nMAIL FROM:<a@b>\r\n';
  client.send(`BDAT ${fake.length}\r\n${fake}`);
  const out = await client.read();
  assert.equal(out.code, 503, 'no transaction yet, but the 30 octets were read');
  client.send(`MAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\nBDAT ${half}\r\n${body.slice(0, half)}BDAT ${body.length - half}\r\n${body.slice(half)}BDAT 0 LAST\r\n`);
  const replies = await client.readMany(5);
  assert.deepEqual(replies.map((r) => r.code), [250, 250, 250, 250, 250]);
  assert.match(replies[4]!.text, /queued as/);
  assert.equal(sink.messages.length, before + 1);
  assert.equal(sink.messages[before]!.data.toString(), body);
  assert.equal((await client.command('DATA')).code, 503, 'no transaction after BDAT LAST');
  client.send('MAIL FROM:<a@remote.example>\r\nRCPT TO:<nobody@external.example>\r\nBDAT 5 LAST\r\nHELLONOOP\r\n');
  assert.deepEqual((await client.readMany(4)).map((r) => r.code), [250, 554, 554, 250]);
  client.destroy();
});

test('SMTPUTF8: UTF-8 addresses need the parameter (553 5.6.7); invalid UTF-8 is refused', async () => {
  const before = sink.messages.length;
  const { client } = await ehloClient(port('inbound'));
  assert.equal((await client.command('MAIL FROM:<jörg@bücher.example>')).code, 553);
  assert.equal((await client.command('MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME')).code, 250);
  assert.equal((await client.command('RCPT TO:<müller@example.com>')).code, 250);
  assert.equal((await client.command('DATA')).code, 354);
  client.send(`From: jörg@bücher.example\r\nSubject: ü\r\n\r\nGrüße\r\n.\r\n`);
  assert.equal((await client.read()).code, 250);
  const m = sink.messages[before]!;
  assert.equal(m.envelope.smtputf8, true);
  assert.equal(m.envelope.body, '8BITMIME');
  assert.equal(m.envelope.recipients[0]!.address, 'müller@example.com');
  client.send(Buffer.concat([Buffer.from('MAIL FROM:<a\xff\xfe@example.com>\r\n', 'latin1')]));
  const bad = await client.read();
  assert.equal(bad.code, 500);
  assert.match(bad.text, /UTF-8/);
  client.send(Buffer.from('RCPT TO:<\xc3\x28@example.com>\r\n', 'latin1'));
  assert.equal((await client.read()).code, 500);
  client.destroy();
});

test('a failing sink gives 451 and the client keeps the message; a throwing policy stage gives 451 too', async () => {
  const certsLocal = undefined;
  const config = await testConfig(certsLocal);
  const local = await startTestGateway(config);
  try {
    local.sink.failWith = new Error('disk full');
    const { client } = await ehloClient(local.port('inbound'));
    client.send(`MAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n`);
    assert.deepEqual((await client.readMany(3)).map((r) => r.code), [250, 250, 354]);
    client.send(`${message('a@remote.example')}.\r\n`);
    const r = await client.read();
    assert.equal(r.code, 451);
    client.destroy();
  } finally {
    await local.gateway.close(100);
  }
  const { startSmtpGateway } = await import('../../src/gateway/smtp/server.js');
  const { MemorySink } = await import('./gateway-harness.js');
  const sink2 = new MemorySink();
  const throwing = await startSmtpGateway(await testConfig(undefined), {
    sink: sink2,
    extendPolicy: (policy) => ({
      ...policy,
      rcpt: [{ name: 'broken', run: () => { throw new Error('database down'); } }, ...policy.rcpt],
      data: [...policy.data, { name: 'slow-scanner', run: () => tempfail(451, '4.7.1', 'Scanner busy', 'scanner-busy') }],
    }),
  });
  try {
    const { client } = await ehloClient(throwing.listener('inbound').address.port);
    assert.equal((await client.command('MAIL FROM:<a@remote.example>')).code, 250);
    const r = await client.command('RCPT TO:<x@example.com>');
    assert.equal(r.code, 451, 'a stage that throws is a tempfail, never continue');
    assert.equal(sink2.messages.length, 0);
    client.destroy();
  } finally {
    await throwing.close(100);
  }
});

test('diagnostics_channel events: connect, decision, queued, close', async () => {
  const events: Array<{ type: string }> = [];
  const listener = (e: unknown) => events.push(e as { type: string });
  subscribe(SMTP_CHANNEL_NAME, listener);
  try {
    const { client } = await ehloClient(port('inbound'));
    client.send(`MAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n`);
    await client.readMany(3);
    client.send(`${message('a@remote.example')}.\r\nQUIT\r\n`);
    await client.readMany(2);
    await client.waitClosed();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    unsubscribe(SMTP_CHANNEL_NAME, listener);
  }
  const types = events.map((e) => e.type);
  for (const t of ['connect', 'decision', 'queued', 'close']) assert.ok(types.includes(t), `${t} in ${types.join(',')}`);
});

test('graceful shutdown: idle sessions get 421, new connections are refused, close() resolves', async () => {
  const local = await startTestGateway(await testConfig(undefined));
  const { client } = await ehloClient(local.port('inbound'));
  const closing = local.gateway.close(2000);
  const r = await client.read();
  assert.equal(r.code, 421);
  await client.waitClosed();
  await closing;
});
