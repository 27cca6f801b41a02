// Every limit gives a definite reply over real TCP: 10,000 RCPTs, SIZE at MAIL and during DATA (100 MB streamed),
// header size, line length, idle and session timeouts, early talkers, HTTP on the SMTP port, bad commands, error
// floods, STARTTLS injection, half-closed connections, connections per IP, and a client that never reads.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ehloClient, makeCerts, message, RawClient, startTestGateway, testConfig, type MemorySink, type TestCerts } from '../e2e/gateway-harness.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';

let certs: TestCerts;
let gw: { gateway: SmtpGateway; sink: MemorySink; port: (n: string) => number };

before(async () => {
  certs = makeCerts();
  gw = await startTestGateway(
    await testConfig(certs, {
      limits: { idleTimeoutMs: 300, maxConnectionsPerIp: 5, maxHeaderBytes: 4096, maxMessageBytes: 1024 * 1024, maxLineBytes: 1000 },
    }),
  );
});

after(async () => {
  await gw.gateway.close(100);
  certs.dispose();
});

const port = () => gw.port('inbound');

async function transaction(client: RawClient, rcpt = 'x@example.com'): Promise<void> {
  client.send(`MAIL FROM:<a@remote.example>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`);
  assert.deepEqual((await client.readMany(3)).map((r) => r.code), [250, 250, 354]);
}

test('10,000 RCPTs pipelined: 100 accepted, then 452 4.5.3, then 421 and close after the overshoot limit', async () => {
  const { client } = await ehloClient(port());
  client.send('MAIL FROM:<a@remote.example>\r\n');
  assert.equal((await client.read()).code, 250);
  let batch = '';
  for (let i = 0; i < 10_000; i++) batch += `RCPT TO:<user${i}@example.com>\r\n`;
  client.send(batch);
  const counts = new Map<number, number>();
  let last = 0;
  for (;;) {
    let r;
    try {
      r = await client.read(5000);
    } catch {
      break;
    }
    counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
    last = r.code;
    if (r.code === 421) break;
  }
  assert.equal(counts.get(250), 100);
  assert.equal(counts.get(452), 1000);
  assert.equal(last, 421);
  await client.waitClosed();
});

test('SIZE: MAIL with SIZE over the limit gets 552 5.3.4', async () => {
  const { client } = await ehloClient(port());
  const r = await client.command(`MAIL FROM:<a@remote.example> SIZE=${1024 * 1024 + 1}`);
  assert.equal(r.code, 552);
  assert.match(r.text, /5\.3\.4/);
  client.destroy();
});

test('SIZE: 100 MB streamed through DATA is read to the end, refused with 552, session stays usable', async () => {
  const before = gw.sink.messages.length;
  const { client } = await ehloClient(port());
  await transaction(client);
  client.send('From: a@remote.example\r\nSubject: big\r\n\r\n');
  const line = Buffer.from(`${'x'.repeat(998)}\r\n`);
  const chunk = Buffer.concat(Array.from({ length: 1024 }, () => line)); // 1 MB
  for (let i = 0; i < 100; i++) client.send(chunk);
  client.send('.\r\n');
  const r = await client.read(30_000);
  assert.equal(r.code, 552, r.text);
  assert.equal((await client.command('NOOP')).code, 250);
  assert.equal(gw.sink.messages.length, before);
  client.destroy();
});

test('header over maxHeaderBytes gets 552 5.3.4 at the end of data', async () => {
  const { client } = await ehloClient(port());
  await transaction(client);
  client.send(`From: a@remote.example\r\nX-Big: ${'y'.repeat(5000)}\r\n\r\nbody\r\n.\r\n`);
  const r = await client.read();
  assert.equal(r.code, 552);
  assert.match(r.text, /header/i);
  client.destroy();
});

test('a command line over maxLineBytes gets 500 5.5.2 and the rest of the line is ignored', async () => {
  const { client } = await ehloClient(port());
  client.send(`NOOP ${'z'.repeat(5000)}\r\nNOOP\r\n`);
  const [long, noop] = await client.readMany(2);
  assert.equal(long!.code, 500);
  assert.match(long!.text, /too long/i);
  assert.equal(noop!.code, 250);
  client.destroy();
});

test('idle timeout: 421 4.4.2 and close; also in the middle of DATA (nothing queued)', async () => {
  const before = gw.sink.messages.length;
  const { client } = await ehloClient(port());
  const r = await client.read(2000);
  assert.equal(r.code, 421);
  assert.match(r.text, /4\.4\.2/);
  await client.waitClosed();
  const { client: c2 } = await ehloClient(port());
  await transaction(c2);
  c2.send('From: a@remote.example\r\n\r\npartial');
  assert.equal((await c2.read(2000)).code, 421);
  await c2.waitClosed();
  assert.equal(gw.sink.messages.length, before);
});

test('early talker: EHLO pipelined with MAIL before the EHLO reply gets 554 5.5.0 and close', async () => {
  const client = await RawClient.connect(port());
  client.send('EHLO spam.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\n');
  const greeting = await client.read();
  assert.equal(greeting.code, 220);
  const r = await client.read();
  assert.equal(r.code, 554);
  assert.match(r.text, /pipelining/i);
  await client.waitClosed();
});

test('STARTTLS with plaintext commands after it (CVE-2011-0411) gets 554 and close, never runs them', async () => {
  const { client } = await ehloClient(gw.port('submission'));
  client.send('STARTTLS\r\nRSET\r\nMAIL FROM:<injected@remote.example>\r\n');
  const r = await client.read();
  assert.equal(r.code, 554);
  await client.waitClosed();
});

test('HTTP on the SMTP port: closed at the request line with 421', async () => {
  const client = await RawClient.connect(port());
  assert.equal((await client.read()).code, 220);
  client.send('GET / HTTP/1.1\r\nHost: mx.example.com\r\nUser-Agent: curl\r\n\r\n');
  const r = await client.read();
  assert.equal(r.code, 421);
  await client.waitClosed();
});

test('HTTP headers alone (a POST body cross-protocol attack) are not SMTP either', async () => {
  const client = await RawClient.connect(port());
  assert.equal((await client.read()).code, 220);
  client.send('Content-Type: text/plain\r\n');
  assert.equal((await client.read()).code, 421);
  await client.waitClosed();
});

test('unknown commands: 500 each, 421 at the tenth', async () => {
  const client = await RawClient.connect(port());
  await client.read();
  for (let i = 1; i < 10; i++) assert.equal((await client.command(`XYZZY${i}`)).code, 500);
  assert.equal((await client.command('XYZZY10')).code, 421);
  await client.waitClosed();
});

test('error flood: 421 after maxErrors error replies', async () => {
  const { client } = await ehloClient(port());
  let last = 0;
  for (let i = 0; i < 30 && last !== 421; i++) {
    const r = await client.command('RCPT TO:<x@example.com>'); // 503 each, no MAIL
    last = r.code;
    if (r.code === 503 && i === 19) {
      const extra = await client.read();
      last = extra.code;
    }
  }
  assert.equal(last, 421);
  await client.waitClosed();
});

test('junk commands: 421 after maxCommandsWithoutMail NOOPs', async () => {
  const { client } = await ehloClient(port());
  let batch = '';
  for (let i = 0; i < 120; i++) batch += 'NOOP\r\n';
  client.send(batch);
  let last = 0;
  for (let i = 0; i < 120; i++) {
    const r = await client.read();
    last = r.code;
    if (r.code === 421) break;
  }
  assert.equal(last, 421);
  await client.waitClosed();
});

test('half-closed: a complete pipelined transaction then FIN still gets its replies and is queued once', async () => {
  const before = gw.sink.messages.length;
  const { client } = await ehloClient(port());
  client.send(`MAIL FROM:<a@remote.example>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n`);
  await client.readMany(3);
  client.send(`${message('a@remote.example')}.\r\nQUIT\r\n`);
  client.halfClose();
  const [queued, bye] = await client.readMany(2);
  assert.equal(queued!.code, 250);
  assert.equal(bye!.code, 221);
  await client.waitClosed();
  assert.equal(gw.sink.messages.length, before + 1);
});

test('half-closed in the middle of DATA: nothing queued, the server closes', async () => {
  const before = gw.sink.messages.length;
  const { client } = await ehloClient(port());
  await transaction(client);
  client.send('From: a@remote.example\r\n\r\nunfinished\r\n');
  client.halfClose();
  await client.waitClosed();
  assert.equal(gw.sink.messages.length, before);
});

test('half-closed without QUIT after commands: replies sent, then the server closes', async () => {
  const { client } = await ehloClient(port());
  client.send('NOOP\r\nRSET\r\n');
  client.halfClose();
  assert.deepEqual((await client.readMany(2)).map((r) => r.code), [250, 250]);
  await client.waitClosed();
});

test('connections per IP: the sixth from one address gets 421 4.7.0 at connect', async () => {
  const clients: RawClient[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await RawClient.connect(port(), { localAddress: '127.0.0.9' });
    assert.equal((await c.read()).code, 220);
    clients.push(c);
  }
  const sixth = await RawClient.connect(port(), { localAddress: '127.0.0.9' });
  const r = await sixth.read();
  assert.equal(r.code, 421);
  assert.match(r.text, /4\.7\.0/);
  const other = await RawClient.connect(port(), { localAddress: '127.0.0.10' });
  assert.equal((await other.read()).code, 220, 'another address is not affected');
  for (const c of [...clients, sixth, other]) c.destroy();
});

test('a client that floods commands and never reads does not grow our memory without bound', async () => {
  const socket = connect({ port: port(), host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause(); // never read
  const junk = Buffer.from('NOOP\r\n'.repeat(50_000));
  socket.write(junk);
  await new Promise((r) => setTimeout(r, 400));
  // The junk limit closes the session long before 50,000 replies are queued.
  assert.ok(gw.gateway.listener('inbound').connectionCount <= 1);
  socket.destroy();
});

test('session time limit: 421 4.4.2 even for a client that keeps talking', async () => {
  const local = await startTestGateway(await testConfig(undefined, { limits: { sessionTimeoutMs: 300, idleTimeoutMs: 5000, maxCommandsWithoutMail: 10_000 } }));
  try {
    const { client } = await ehloClient(local.port('inbound'));
    let code = 0;
    for (let i = 0; i < 40 && code !== 421; i++) {
      await new Promise((r) => setTimeout(r, 20));
      code = (await client.command('NOOP')).code;
    }
    assert.equal(code, 421);
  } finally {
    await local.gateway.close(100);
  }
});
