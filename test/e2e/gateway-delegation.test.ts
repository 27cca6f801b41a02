// The three ways an application sends, end to end over TCP/TLS: client submission (accounts and the From
// addresses they may use, per-account rate), SMTP relay (connectors, their From restrictions, the SPF warning at
// start) and direct send (our domains only; the switch that refuses our own domain in an unauthenticated From).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { makeCerts, message, PASSWORDS, RawClient, startTestGateway, testConfig, type MemorySink, type TestCerts } from './gateway-harness.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';
import { checkAllConnectorsSpf } from '../../src/gateway/policy/connectors.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { WireResolver } from '../../src/adapters/dns/wire-resolver.js';

let certs: TestCerts;
let gw: { gateway: SmtpGateway; sink: MemorySink; port: (n: string) => number };

before(async () => {
  certs = makeCerts();
  const config = await testConfig(certs);
  config.connectors.push({ name: 'billing', ips: ['127.0.0.6'], fromAddresses: ['billing@example.com', '*@invoices.example.com'] });
  config.connectors.push({ name: 'newsletter', ips: ['127.0.0.7', '127.0.0.8'], messagesPerHour: 2 });
  gw = await startTestGateway(config);
});

after(async () => {
  await gw.gateway.close(100);
  certs.dispose();
});

async function submission(user: string, password: string): Promise<RawClient> {
  const client = await RawClient.connect(gw.port('submissions'), { tls: true });
  assert.equal((await client.read()).code, 220);
  await client.command('EHLO app.example.net');
  const plain = Buffer.from(`\0${user}\0${password}`).toString('base64');
  assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
  return client;
}

async function send(client: RawClient, mailFrom: string, rcpts: string[], body: string): Promise<number[]> {
  client.send(`MAIL FROM:<${mailFrom}>\r\n${rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`);
  const replies = await client.readMany(rcpts.length + 2);
  const codes = replies.map((r) => r.code);
  if (codes.at(-1) !== 354) return codes;
  client.send(`${body}.\r\n`);
  codes.push((await client.read()).code);
  return codes;
}

test('submission: own, delegated and wildcard From addresses are accepted with authUser set', async () => {
  const before = gw.sink.messages.length;
  const client = await submission('alice@example.com', PASSWORDS.alice);
  for (const from of ['alice@example.com', 'sales@example.com', 'weekly@news.example.com']) {
    const codes = await send(client, from, ['partner@external.example'], message(`Someone <${from}>`, 'partner@external.example'));
    assert.deepEqual(codes, [250, 250, 354, 250], from);
  }
  const added = gw.sink.messages.slice(before);
  assert.deepEqual(added.map((m) => m.client.authUser), ['alice@example.com', 'alice@example.com', 'alice@example.com']);
  client.destroy();
});

test('submission: an envelope or header From the account may not use is refused (553 / 550 5.7.1)', async () => {
  const before = gw.sink.messages.length;
  const client = await submission('alice@example.com', PASSWORDS.alice);
  const mail = await client.command('MAIL FROM:<ceo@example.com>');
  assert.equal(mail.code, 553);
  assert.match(mail.text, /5\.7\.1/);
  const cases: Array<[string, string]> = [
    ['header From of another user', message('CEO <ceo@example.com>')],
    ['a subdomain of a wildcard', message('x@sub.news.example.com')],
    ['two addresses, one not allowed', message('alice@example.com, ceo@example.com')],
    ['display name trick', message('"alice@example.com" <ceo@example.com>')],
    ['no From at all', 'To: x@external.example\r\nSubject: none\r\n\r\nbody\r\n'],
    ['two From fields', `From: alice@example.com\r\n${message('ceo@example.com')}`],
    ['unparsable From', message('alice@example.com <')],
  ];
  for (const [name, body] of cases) {
    const codes = await send(client, 'alice@example.com', ['x@external.example'], body);
    assert.deepEqual(codes, [250, 250, 354, 550], name);
  }
  assert.equal(gw.sink.messages.length, before);
  client.destroy();
});

test('submission: the per-account hourly limit gives 450 4.7.1 at MAIL', async () => {
  const client = await submission('limited', 'limited-pw');
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await send(client, 'limited@example.com', ['x@external.example'], message('limited@example.com')), [250, 250, 354, 250]);
  }
  const r = await client.command('MAIL FROM:<limited@example.com>');
  assert.equal(r.code, 450);
  assert.match(r.text, /4\.7\.1/);
  client.destroy();
});

test('relay connector: its hourly limit counts all its clients together and gives 450 4.7.1 at MAIL', async () => {
  const first = await RawClient.connect(gw.port('submission'), { localAddress: '127.0.0.7' });
  await first.read();
  await first.command('EHLO news1.example.net');
  assert.deepEqual(await send(first, 'news@example.com', ['a@external.example'], message('news@example.com')), [250, 250, 354, 250]);
  const second = await RawClient.connect(gw.port('submission'), { localAddress: '127.0.0.8' });
  await second.read();
  await second.command('EHLO news2.example.net');
  assert.deepEqual(await send(second, 'news@example.com', ['b@external.example'], message('news@example.com')), [250, 250, 354, 250]);
  const r = await second.command('MAIL FROM:<news@example.com>');
  assert.equal(r.code, 450);
  assert.match(r.text, /4\.7\.1 Hourly message limit \(2\) reached for connector newsletter/);
  // Another connector is not affected.
  const billing = await RawClient.connect(gw.port('submission'), { localAddress: '127.0.0.6' });
  await billing.read();
  await billing.command('EHLO billing.example.net');
  assert.equal((await billing.command('MAIL FROM:<billing@example.com>')).code, 250);
  for (const c of [first, second, billing]) c.destroy();
});

test('submission: direction is inbound when every recipient is ours, outbound otherwise', async () => {
  const before = gw.sink.messages.length;
  const client = await submission('alice@example.com', PASSWORDS.alice);
  await send(client, 'alice@example.com', ['bob@example.com'], message('alice@example.com', 'bob@example.com'));
  await send(client, 'alice@example.com', ['bob@example.com', 'x@external.example'], message('alice@example.com'));
  assert.deepEqual(gw.sink.messages.slice(before).map((m) => m.direction), ['inbound', 'outbound']);
  client.destroy();
});

test('relay connector: matched by IP on the submission port without AUTH; its From restrictions apply', async () => {
  const before = gw.sink.messages.length;
  const client = await RawClient.connect(gw.port('submission'), { localAddress: '127.0.0.6' });
  await client.read();
  await client.command('EHLO billing.example.net');
  assert.deepEqual(await send(client, 'billing@example.com', ['customer@external.example'], message('Billing <billing@example.com>', 'customer@external.example')), [250, 250, 354, 250]);
  assert.deepEqual(await send(client, 'billing@example.com', ['customer@external.example'], message('q1@invoices.example.com', 'customer@external.example')), [250, 250, 354, 250]);
  assert.deepEqual(await send(client, 'billing@example.com', ['customer@external.example'], message('ceo@example.com')), [250, 250, 354, 550]);
  assert.equal((await client.command('MAIL FROM:<ceo@example.com>')).code, 553);
  const added = gw.sink.messages.slice(before);
  assert.deepEqual(added.map((m) => [m.client.connector, m.direction]), [['billing', 'outbound'], ['billing', 'outbound']]);
  client.destroy();
});

test('relay connector: nodemailer from the connector address sends without credentials', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gw.port('inbound'), secure: false, ignoreTLS: true, localAddress: '127.0.0.2' });
  const info = await transport.sendMail({ from: 'crm@example.com', to: 'lead@external.example', subject: 'offer', text: 'hi' });
  assert.match(info.response, /^250 /);
  transport.close();
  assert.equal(gw.sink.messages.at(-1)?.client.connector, 'crm');
});

test('direct send: unauthenticated mail claiming our domain in From is refused (550 5.7.1); others pass', async () => {
  const before = gw.sink.messages.length;
  const client = await RawClient.connect(gw.port('inbound'), { localAddress: '127.0.0.1' });
  await client.read();
  await client.command('EHLO scanner.vendor.example');
  assert.deepEqual(await send(client, 'scanner@vendor.example', ['info@example.org'], message('Scanner <scanner@vendor.example>', 'info@example.org')), [250, 250, 354, 250]);
  for (const from of ['CEO <ceo@example.com>', 'ceo@EXAMPLE.ORG', '"x" <ceo@example.com', 'Boss <boss @ example.com>']) {
    const codes = await send(client, 'scanner@vendor.example', ['info@example.org'], message(from, 'info@example.org'));
    assert.deepEqual(codes, [250, 250, 354, 550], from);
  }
  assert.equal(gw.sink.messages.length, before + 1);
  client.destroy();
});

test('direct send switch off: own-domain From passes; directSend disabled: 530 for unauthenticated MAIL', async () => {
  const off = await startTestGateway(await testConfig(undefined, { directSend: { enabled: true, rejectOwnDomainFrom: false } }));
  const closed = await startTestGateway(await testConfig(undefined, { directSend: { enabled: false, rejectOwnDomainFrom: true } }));
  try {
    const a = await RawClient.connect(off.port('inbound'));
    await a.read();
    await a.command('EHLO x.example');
    assert.deepEqual(await send(a, 'x@vendor.example', ['info@example.org'], message('ceo@example.com', 'info@example.org')), [250, 250, 354, 250]);
    a.destroy();
    const b = await RawClient.connect(closed.port('inbound'));
    await b.read();
    await b.command('EHLO x.example');
    assert.equal((await b.command('MAIL FROM:<x@vendor.example>')).code, 530);
    b.destroy();
  } finally {
    await off.gateway.close(100);
    await closed.gateway.close(100);
  }
});

test('checkAllConnectorsSpf over the wire: warns for a connector whose IPs the sending domain does not list', async () => {
  const dns = await TestDnsServer.start({
    'example.com': [{ TXT: 'v=spf1 ip4:127.0.0.2 ip4:10.0.0.0/8 -all' }],
    'invoices.example.com': [{ TXT: 'v=spf1 -all' }],
  });
  try {
    const resolver = new WireResolver({ servers: [dns.address], caseRandomization: false });
    const warnings = await checkAllConnectorsSpf(
      [
        { name: 'crm', ips: ['127.0.0.2', '10.0.0.0/8'], sendingDomains: ['example.com'] },
        { name: 'billing', ips: ['127.0.0.6'], sendingDomains: ['example.com', 'invoices.example.com'] },
        { name: 'nodomains', ips: ['192.0.2.1'] },
      ],
      resolver,
    );
    assert.deepEqual(
      warnings.map((w) => [w.connector, w.domain, w.ip, w.code]),
      [
        ['billing', 'example.com', '127.0.0.6', 'not-authorized'],
        ['billing', 'invoices.example.com', '127.0.0.6', 'not-authorized'],
      ],
    );
  } finally {
    await dns.stop();
  }
});
