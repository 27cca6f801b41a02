// Never an open relay: the classic relay tricks, from an unauthenticated client, from addresses near but outside
// a connector, from a connector address without its required client certificate (or with a wrong or untrusted
// one), and after a wrong password. Every trick must be refused and nothing may reach the sink.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeCerts, message, RawClient, startTestGateway, testConfig, type MemorySink, type TestCerts } from '../e2e/gateway-harness.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';

// ours: example.com (any mailbox), example.org (postmaster, info); external: external.example.
const TRICKS = [
  'user%external.example@example.com',
  'user%external.example@EXAMPLE.COM',
  'user%external.example%example.org@example.com',
  '"user@external.example"@example.com',
  '"user%external.example"@example.com',
  '"user@external.example"@EXAMPLE.com',
  'external.example!user@example.com',
  'external.example!user',
  '@example.com:user@external.example',
  '@example.com,@example.org:user@external.example',
  '@EXAMPLE.COM:user@external.example',
  'user@external.example@example.com',
  'user\\@external.example@example.com',
  'user@external.example.',
  'user@example.com.',
  'user@external.example%example.com',
  'user@[127.0.0.1]',
  'user@[192.0.2.1]',
  'user@[IPv6:::1]',
  'user@[external.example]',
  'user@EXTERNAL.EXAMPLE',
  'user@External.Example',
  'user@example.com.external.example',
  'user@sub.example.com',
  'user@externаl.example', // Cyrillic "а"
  'user@exаmple.com', // a look-alike of ours
  'postmaster@external.example',
  'external.example:user@example.com',
  'user@external.example>',
  '<user@external.example>',
  'user@localhost',
];

let certs: TestCerts;
let gw: { gateway: SmtpGateway; sink: MemorySink; port: (n: string) => number };

before(async () => {
  certs = makeCerts();
  const config = await testConfig(certs, {
    // One listener where every kind of client can try: direct send, AUTH (after STARTTLS), connectors.
    listeners: [{ role: 'inbound', host: '127.0.0.1', port: 0, auth: true }],
    connectors: [
      { name: 'crm', ips: ['127.0.0.2'] },
      { name: 'certapp', ips: ['127.0.0.4', '127.0.0.5'], tlsClientCertName: 'relay.example.net' },
    ],
    limits: { maxErrors: 1000, idleTimeoutMs: 5000 },
  });
  gw = await startTestGateway(config);
});

after(async () => {
  await gw.gateway.close(100);
  certs.dispose();
});

interface Who {
  name: string;
  open: () => Promise<RawClient>;
}

async function greeted(localAddress: string): Promise<RawClient> {
  const client = await RawClient.connect(gw.port('inbound'), { localAddress });
  assert.equal((await client.read()).code, 220);
  return client;
}

async function withTls(client: RawClient, cert?: { cert: string; key: string }): Promise<RawClient> {
  assert.equal((await client.command('EHLO client.example.net')).code, 250);
  assert.equal((await client.command('STARTTLS')).code, 220);
  await client.startTls(cert ?? {});
  return client;
}

const CLIENTS: Who[] = [
  { name: 'unauthenticated', open: () => greeted('127.0.0.1') },
  { name: 'a neighbouring IP (127.0.0.3)', open: () => greeted('127.0.0.3') },
  { name: 'a connector IP without its required certificate', open: async () => withTls(await greeted('127.0.0.4')) },
  { name: 'a connector IP with a certificate of another name', open: async () => withTls(await greeted('127.0.0.4'), { cert: certs.otherClientCert, key: certs.otherClientKey }) },
  { name: 'a connector IP with the right name from an untrusted CA', open: async () => withTls(await greeted('127.0.0.5'), { cert: certs.rogueClientCert, key: certs.rogueClientKey }) },
  {
    name: 'a wrong password',
    open: async () => {
      const client = await withTls(await greeted('127.0.0.1'));
      assert.equal((await client.command('EHLO client.example.net')).code, 250);
      const plain = Buffer.from('\0alice@example.com\0not-the-password').toString('base64');
      assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 535);
      return client;
    },
  },
];

for (const who of CLIENTS) {
  test(`relay tricks from ${who.name}: every RCPT refused, nothing queued`, async () => {
    const before = gw.sink.messages.length;
    const client = await who.open();
    assert.equal((await client.command('EHLO client.example.net')).code, 250);
    const mail = await client.command('MAIL FROM:<spammer@remote.example>');
    assert.equal(mail.code, 250, mail.text);
    const accepted: string[] = [];
    for (const trick of TRICKS) {
      const r = await client.command(`RCPT TO:<${trick}>`);
      if (r.code < 400) accepted.push(`${trick} → ${r.text}`);
    }
    // Plain relaying, with and without spaces, without brackets.
    for (const line of ['RCPT TO:<user@external.example>', 'RCPT TO: <user@external.example>', 'RCPT TO:user@external.example', 'RCPT TO:<user@external.example> NOTIFY=NEVER']) {
      const r = await client.command(line);
      if (r.code < 400) accepted.push(`${line} → ${r.text}`);
    }
    assert.deepEqual(accepted, []);
    const data = await client.command('DATA');
    assert.equal(data.code, 554, 'no valid recipients');
    // BDAT cannot sneak a message through either.
    const body = message('spammer@remote.example', 'user@external.example');
    client.send(`BDAT ${body.length} LAST\r\n${body}`);
    assert.equal((await client.read()).code, 554);
    client.destroy();
    assert.equal(gw.sink.messages.length, before);
  });
}

test('our own domain in other cases is ours (inbound), not a relay: direction inbound', async () => {
  const before = gw.sink.messages.length;
  const client = await greeted('127.0.0.1');
  await client.command('EHLO client.example.net');
  assert.equal((await client.command('MAIL FROM:<someone@remote.example>')).code, 250);
  assert.equal((await client.command('RCPT TO:<User@EXAMPLE.COM>')).code, 250);
  assert.equal((await client.command('RCPT TO:<INFO@Example.Org>')).code, 250);
  assert.equal((await client.command('RCPT TO:<nobody@example.org>')).code, 550, 'unknown mailbox in a domain that lists mailboxes');
  assert.equal((await client.command('RCPT TO:<Postmaster>')).code, 250, 'RFC 5321 §4.1.1.3');
  assert.equal((await client.command('DATA')).code, 354);
  client.send(`${message('someone@remote.example', 'User@EXAMPLE.COM')}.\r\n`);
  assert.equal((await client.read()).code, 250);
  const m = gw.sink.messages[before]!;
  assert.equal(m.direction, 'inbound');
  assert.deepEqual(m.envelope.recipients.map((r) => r.address), ['User@example.com', 'INFO@example.org', 'postmaster@example.com']);
  client.destroy();
});

test('positive controls: the matching connector IP, and a connector IP with the right certificate, may relay', async () => {
  const before = gw.sink.messages.length;
  for (const open of [() => greeted('127.0.0.2'), async () => withTls(await greeted('127.0.0.4'), { cert: certs.clientCert, key: certs.clientKey })]) {
    const client = await open();
    await client.command('EHLO app.example.net');
    assert.equal((await client.command('MAIL FROM:<app@example.com>')).code, 250);
    assert.equal((await client.command('RCPT TO:<customer@external.example>')).code, 250);
    // Routing characters stay refused even for a connector.
    assert.equal((await client.command('RCPT TO:<user%other.example@external.example>')).code, 550);
    assert.equal((await client.command('DATA')).code, 354);
    client.send(`${message('app@example.com', 'customer@external.example')}.\r\n`);
    assert.equal((await client.read()).code, 250);
    client.destroy();
  }
  const added = gw.sink.messages.slice(before);
  assert.deepEqual(added.map((m) => [m.client.connector, m.direction]), [['crm', 'outbound'], ['certapp', 'outbound']]);
});
