// A gateway behind a load balancer: listeners with `proxyProtocol` read the PROXY header (v1 text, v2 binary)
// from trusted proxies and treat the client it names as the client (Received, relay connectors, per-IP
// limits, the trace); untrusted peers, missing or malformed headers and silent proxies are dropped before
// the greeting. Real TCP (and TLS on an implicit-TLS listener) on 127.0.0.1.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseProxyHeader } from '../../src/gateway/smtp/framing/proxy-header.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';
import { makeCerts, MemorySink, startTestGateway, testConfig, type TestCerts } from './gateway-harness.js';

let certs: TestCerts;
let gateway: SmtpGateway;
let sink: MemorySink;
let port: (name: string) => number;

before(async () => {
  certs = makeCerts();
  const config = await testConfig(certs, {
    listeners: [
      { name: 'lb', role: 'inbound', host: '127.0.0.1', port: 0, proxyProtocol: { trustedProxies: ['127.0.0.1/32'] } },
      { name: 'lbs', role: 'submission', host: '127.0.0.1', port: 0, tls: 'implicit', proxyProtocol: { trustedProxies: ['127.0.0.1'] } },
    ],
    limits: { idleTimeoutMs: 400 },
  });
  ({ gateway, sink, port } = await startTestGateway(config));
});
after(async () => {
  await gateway.close(0);
  certs.dispose();
});

/**
 * Connects from `localAddress`, writes `first` (the PROXY header), then sends `lines` one at a time, each
 * after the server's next complete reply (so the greeting comes first, as SMTP wants); collects everything
 * until the server closes.
 */
function session(first: Buffer | string, lines: string[], localAddress = '127.0.0.1'): Promise<{ text: string; closedWithoutGreeting: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect({ port: port('lb'), host: '127.0.0.1', localAddress });
    const queue = [...lines];
    let text = '';
    let replies = 0;
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(first));
    socket.on('data', (d: string) => {
      text += d;
      const complete = text.match(/^\d{3} [^\r]*\r\n/gm)?.length ?? 0;
      while (replies < complete) {
        replies++;
        const next = queue.shift();
        if (next !== undefined) socket.write(`${next}\r\n`);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, closedWithoutGreeting: !text.startsWith('220') }));
    setTimeout(() => socket.end(), 1500).unref();
  });
}

function v2(command: 'PROXY' | 'LOCAL', family: 0x11 | 0x21 | 0x00, addresses: Buffer, tlvs = Buffer.alloc(0)): Buffer {
  const head = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, command === 'PROXY' ? 0x21 : 0x20, family, 0, 0]);
  head.writeUInt16BE(addresses.length + tlvs.length, 14);
  return Buffer.concat([head, addresses, tlvs]);
}

const ipv4 = (a: string) => Buffer.from(a.split('.').map(Number));
const port16 = (p: number) => Buffer.from([p >> 8, p & 255]);
const MESSAGE = ['EHLO client.example', 'MAIL FROM:<a@sender.example>', 'RCPT TO:<postmaster@example.org>', 'DATA', 'Subject: via proxy\r\n\r\nhi\r\n.', 'QUIT'];

test('PROXY v1 TCP4 names the client: the message carries its address, not the proxy\'s', async () => {
  const before = sink.messages.length;
  const { text } = await session('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n', MESSAGE);
  assert.match(text, /^220 /);
  assert.match(text, /250 2\.0\.0 .*queued/i);
  const message = sink.messages[before];
  assert.equal(message?.client.ip, '203.0.113.7');
  assert.equal(message?.client.port, 40000);
});

test('PROXY v2 over IPv4 and IPv6 (with TLVs), and LOCAL (a health check: the proxy itself)', async () => {
  const cases: [Buffer, string][] = [
    [v2('PROXY', 0x11, Buffer.concat([ipv4('198.51.100.9'), ipv4('192.0.2.1'), port16(50000), port16(25)]), Buffer.from([0x04, 0x00, 0x01, 0x00])), '198.51.100.9'],
    [v2('PROXY', 0x21, Buffer.concat([Buffer.from('20010db8000000000000000000000007', 'hex'), Buffer.alloc(16), port16(1), port16(25)])), '2001:db8::7'],
    [v2('LOCAL', 0x00, Buffer.alloc(0)), '127.0.0.1'],
  ];
  for (const [header, ip] of cases) {
    const before = sink.messages.length;
    const { text } = await session(header, MESSAGE);
    assert.match(text, /250 2\.0\.0 .*queued/i, ip);
    assert.equal(sink.messages[before]?.client.ip, ip);
  }
});

test('the client a proxy names is the one relay connectors see', async () => {
  const before = sink.messages.length;
  // 10.0.0.0/8 is the crm connector: an external recipient is allowed for it, not for anyone else.
  const relayed = await session('PROXY TCP4 10.1.2.3 192.0.2.1 1234 25\r\n', ['EHLO crm', 'MAIL FROM:<crm@example.com>', 'RCPT TO:<someone@elsewhere.example>', 'QUIT']);
  assert.match(relayed.text, /\r\n250 [^\r]*\r\n221 /);
  const stranger = await session('PROXY TCP4 203.0.113.8 192.0.2.1 1234 25\r\n', ['EHLO x', 'MAIL FROM:<x@sender.example>', 'RCPT TO:<someone@elsewhere.example>', 'QUIT']);
  assert.match(stranger.text, /\r\n55\d 5\.7\.1 /);
  assert.equal(sink.messages.length, before);
});

test('untrusted peers, missing or malformed headers and a silent proxy are dropped before the greeting', async () => {
  assert.equal((await session('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n', MESSAGE, '127.0.0.2')).closedWithoutGreeting, true);
  for (const bad of ['EHLO no-header\r\n', 'PROXY TCP4 999.0.0.1 192.0.2.1 1 25\r\n', 'PROXY TCP4 203.0.113.7 192.0.2.1 70000 25\r\n', `PROXY TCP4 ${'1'.repeat(120)}\r\n`, '']) {
    const { closedWithoutGreeting } = await session(bad, []);
    assert.equal(closedWithoutGreeting, true, JSON.stringify(bad));
  }
});

test('an implicit-TLS listener reads the header before the TLS handshake, even when both arrive together', async () => {
  const before = sink.messages.length;
  const raw = netConnect({ port: port('lbs'), host: '127.0.0.1' });
  await new Promise((resolve) => raw.once('connect', resolve));
  // Corked: the header and the TLS ClientHello leave in one write, so the server reads them in one chunk.
  raw.cork();
  raw.write('PROXY TCP4 192.0.2.77 192.0.2.1 2000 465\r\n');
  const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'mx.example.com' });
  setTimeout(() => raw.uncork(), 50);
  let text = '';
  secure.setEncoding('latin1');
  secure.on('data', (d: string) => (text += d));
  await new Promise((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.match(text, /^220 /);
  secure.end('QUIT\r\n');
  await new Promise((resolve) => secure.once('close', resolve));
  assert.equal(sink.messages.length, before);
});

test('the header parser: incomplete input waits, limits hold, IPv4-mapped v2 addresses come out dotted', () => {
  assert.deepEqual(parseProxyHeader(Buffer.from('PROX')), { kind: 'incomplete' });
  assert.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2')), { kind: 'incomplete' });
  assert.equal(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(110)}`)).kind, 'error');
  assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\nEHLO')), { kind: 'ok', consumed: 15, version: 1 });
  const mapped = v2('PROXY', 0x21, Buffer.concat([Buffer.from('00000000000000000000ffffc0000205', 'hex'), Buffer.alloc(16), port16(7), port16(25)]));
  assert.deepEqual(parseProxyHeader(mapped), { kind: 'ok', consumed: mapped.length, client: { ip: '192.0.2.5', port: 7 }, version: 2 });
  const truncated = v2('PROXY', 0x11, Buffer.alloc(4));
  assert.equal(parseProxyHeader(truncated).kind, 'error');
  const huge = v2('PROXY', 0x11, Buffer.alloc(2000));
  assert.equal(parseProxyHeader(huge.subarray(0, 16)).kind, 'error');
  assert.equal(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x31, 0x11, 0, 0])).kind, 'error');
});
