// 8-bit → 7-bit MIME conversion (RFC 6152 §3, RFC 2045/2046): the converted messages are read back by an
// independent MIME implementation (Python's email package, /usr/bin/python3), whose decoded parts must equal
// the originals; refusals for what cannot be converted; hostile shapes (deep nesting, huge lines, many parts);
// and delivery through the engine to servers with and without 8BITMIME.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { createResolver } from '../../adapters/dns/index.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { TestDnsServer } from '../../testing/dns-server.js';
import { DeliveryEngine } from './engine.js';
import { downgradeTo7bit, encodeQuotedPrintable, has8bit, MAX_MIME_DEPTH, parseContentType } from './mime-downgrade.js';
import { SmtpSink } from './testing/smtp-sink.js';

const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
const GREEK = 'Καλημέρα κόσμε — naïve café, 日本語のテキスト';
const BINARY = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) % 256));

/** Python's email package parses `data` and prints, per leaf part, its content type and decoded payload (hex). */
function pythonParts(data: Buffer): { type: string; payload: Buffer }[] {
  const script = [
    'import sys, json, email, email.policy',
    'm = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.compat32)',
    'out = []',
    'for p in m.walk():',
    '    if p.is_multipart() or p.get_content_type() == "message/rfc822": continue',
    '    out.append([p.get_content_type(), (p.get_payload(decode=True) or b"").hex()])',
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: data });
  assert.equal(run.status, 0, run.stderr?.toString());
  return (JSON.parse(run.stdout.toString()) as [string, string][]).map(([type, hex]) => ({ type, payload: Buffer.from(hex, 'hex') }));
}

function assertSevenBit(data: Buffer): void {
  assert.equal(has8bit(data), false, 'no 8-bit octet left');
  for (const line of data.toString('latin1').split('\r\n')) assert.ok(line.length <= 998, 'RFC 5322 line limit');
}

test('a 7-bit message comes back as it is (the same buffer)', () => {
  const message = crlf('From: a@example.com\nSubject: plain\n\nhello\n');
  const result = downgradeTo7bit(message);
  assert.ok(result.ok);
  assert.equal(result.data, message);
  assert.equal(result.convertedParts, 0);
});

test('8-bit text becomes quoted-printable that decodes to the same bytes', () => {
  const body = `${GREEK}\n${'x'.repeat(200)} ${GREEK}\ntrailing space \nequals = sign\n`;
  const message = crlf(`From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${body}`);
  const result = downgradeTo7bit(message);
  assert.ok(result.ok);
  assertSevenBit(result.data);
  const text = result.data.toString('latin1');
  assert.match(text, /\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n/);
  assert.doesNotMatch(text, /Content-Transfer-Encoding: 8bit/);
  for (const line of text.split('\r\n\r\n')[1]?.split('\r\n') ?? []) assert.ok(line.length <= 76, `QP line of ${line.length}`);
  assert.deepEqual(pythonParts(result.data), [{ type: 'text/plain', payload: crlf(body) }]);
});

test('a message without MIME headers gets MIME-Version and text/plain; charset=unknown-8bit (RFC 1428)', () => {
  const message = crlf(`From: a@example.com\nSubject: just-send-8\n\n${GREEK}\n`);
  const result = downgradeTo7bit(message);
  assert.ok(result.ok);
  assert.match(result.data.toString('latin1'), /^From: a@example\.com\r\nSubject: just-send-8\r\nMIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n/);
  assert.deepEqual(pythonParts(result.data)[0]?.payload, crlf(`${GREEK}\n`));
});

test('multipart: 8-bit text → quoted-printable, 8-bit binary → base64, 7-bit and base64 parts untouched, nested message converted', () => {
  const inner = crlf(`From: b@example.org\nSubject: inner\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${GREEK} (inner)\n`);
  const message = Buffer.concat([
    crlf('From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_outer (x)"\n\nThis is a preamble.\n--=_outer (x)\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'),
    crlf(`${GREEK}\n`),
    crlf('--=_outer (x)\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n'),
    BINARY,
    crlf('\n--=_outer (x)\nContent-Type: text/plain\n\nseven bit\n--=_outer (x)\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--=_outer (x)\nContent-Type: message/rfc822\n\n'),
    inner,
    crlf('--=_outer (x)--\nepilogue\n'),
  ]);
  // The binary part must not contain a CRLF + delimiter by accident.
  assert.equal(BINARY.includes('--=_outer'), false);
  const result = downgradeTo7bit(message);
  assert.ok(result.ok, !result.ok ? result.reason : '');
  assert.equal(result.convertedParts, 3);
  assertSevenBit(result.data);
  const parts = pythonParts(result.data);
  assert.deepEqual(parts.map((p) => p.type), ['text/plain', 'application/octet-stream', 'text/plain', 'image/png', 'text/plain']);
  // The CRLF before a delimiter line belongs to the delimiter (RFC 2046 §5.1.1), not to the part.
  assert.deepEqual(parts[0]?.payload, Buffer.from(GREEK));
  assert.deepEqual(parts[1]?.payload, BINARY);
  assert.deepEqual(parts[2]?.payload, Buffer.from('seven bit'));
  assert.deepEqual(parts[3]?.payload, Buffer.from('iVBORw0KGgo=', 'base64'));
  assert.deepEqual(parts[4]?.payload, Buffer.from(`${GREEK} (inner)`));
  const text = result.data.toString('latin1');
  assert.match(text, /This is a preamble\.\r\n--=_outer \(x\)\r\n/);
  assert.match(text, /--=_outer \(x\)--\r\nepilogue\r\n$/);
});

test('what cannot be converted is refused with the reason', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['8-bit header', crlf(`From: a@example.com\nSubject: ${GREEK}\n\nbody ${GREEK}\n`), /header fields/],
    ['8-bit in base64', crlf(`Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${GREEK}\n`), /declared base64/],
    ['no boundary', crlf(`Content-Type: multipart/mixed\n\n${GREEK}\n`), /without a boundary/],
    ['8-bit preamble', crlf(`Content-Type: multipart/mixed; boundary=b\n\n${GREEK}\n--b\n\nx\n--b--\n`), /preamble/],
    ['8-bit epilogue', crlf(`Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n${GREEK}\n`), /epilogue/],
    ['no delimiter', crlf(`Content-Type: multipart/mixed; boundary=b\n\n${GREEK}\n`), /no delimiter line/],
  ];
  for (const [name, message, reason] of cases) {
    const result = downgradeTo7bit(message);
    assert.equal(result.ok, false, name);
    assert.match(result.ok ? '' : result.reason, reason, name);
  }
});

test('hostile shapes: deep nesting is refused, a 1 MB 8-bit line and 2,000 parts convert', () => {
  let deep = crlf(`Content-Type: text/plain\n\n${GREEK}\n`);
  for (let k = 0; k < MAX_MIME_DEPTH + 5; k++) deep = Buffer.concat([crlf('Content-Type: message/rfc822\n\n'), deep]);
  const refused = downgradeTo7bit(deep);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.reason, /nesting/);

  const huge = Buffer.concat([crlf('Content-Type: text/plain\n\n'), Buffer.alloc(1 << 20, 0xe9), crlf('\n')]);
  const long = downgradeTo7bit(huge);
  assert.ok(long.ok);
  assertSevenBit(long.data);
  assert.ok(long.data.toString('latin1').split('\r\n').every((l) => l.length <= 76));

  const many = [crlf('Content-Type: multipart/mixed; boundary=p\n\n')];
  for (let k = 0; k < 2000; k++) many.push(crlf(`--p\nContent-Type: text/plain\n\n${k} ${GREEK}\n`));
  many.push(crlf('--p--\n'));
  const parts = downgradeTo7bit(Buffer.concat(many));
  assert.ok(parts.ok);
  assert.equal(parts.convertedParts, 2000);
  assertSevenBit(parts.data);
});

test('quoted-printable details: =, trailing white space, CR and LF inside a line, soft breaks never split an escape', () => {
  assert.equal(encodeQuotedPrintable(Buffer.from('a=b \r\nc\t\r\n')).toString(), 'a=3Db=20\r\nc=09\r\n');
  assert.equal(encodeQuotedPrintable(Buffer.from('x\ry\nz')).toString(), 'x=0Dy=0Az');
  const line = encodeQuotedPrintable(Buffer.alloc(100, 0xff)).toString().split('\r\n');
  assert.ok(line.every((l) => l.length <= 76 && !/=[0-9A-F]?=$/.test(l.slice(0, -1))));
  assert.deepEqual(parseContentType('Multipart/Mixed (c (nested)); BOUNDARY="a\\"b (not a comment)"', 'text/plain'), { type: 'multipart', subtype: 'mixed', boundary: 'a"b (not a comment)' });
  assert.deepEqual(parseContentType(undefined, 'message/rfc822'), { type: 'message', subtype: 'rfc822' });
});

// Delivery: a server without 8BITMIME gets the converted message (BODY= not sent); one with it gets the
// original with BODY=8BITMIME; an unconvertible message to a 7-bit server fails with 554 5.6.3 and a DSN.
let dns: TestDnsServer;
let plain: SmtpSink;
let modern: SmtpSink;
before(async () => {
  plain = await SmtpSink.start({ host: '127.0.0.1', extensions: ['PIPELINING', 'SIZE 10485760', 'ENHANCEDSTATUSCODES'] });
  modern = await SmtpSink.start({ host: '127.0.0.2', port: plain.port });
  dns = await TestDnsServer.start({
    'old.test': [{ MX: [10, 'mx.old.test'] }],
    'mx.old.test': [{ A: '127.0.0.1' }],
    'new.test': [{ MX: [10, 'mx.new.test'] }],
    'mx.new.test': [{ A: '127.0.0.2' }],
    'sender.test': [{ MX: [10, 'mx.new.test'] }],
  });
});
after(async () => {
  await plain.stop();
  await modern.stop();
  await dns.stop();
});

test('delivery converts for a server without 8BITMIME, sends as it is to one with it, and bounces what cannot be converted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-8bit-'));
  const clock = new ManualClock(Date.UTC(2026, 11, 5));
  const store = SqliteQueueStore.openInDataDir(dir, { clock, checkpoints: 'auto' });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const engine = new DeliveryEngine({
    store, clock, hostname: 'gw.mailflow.test', isLocalDomain: () => false, inbound: { kind: 'maildir', dataDir: dir },
    resolver: createResolver({ servers: [dns.address], cache: false, timeoutMs: 500, attempts: 1 }),
    outbound: { port: plain.port, connectTimeoutMs: 2_000 },
  });
  const body = crlf(`From: a@sender.test\nSubject: 8-bit\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${GREEK}\n`);
  const enqueue = (to: string, data: Buffer) => store.enqueue({
    envelope: { mailFrom: 'a@sender.test', recipients: [{ address: to }], body: '8BITMIME', smtputf8: false },
    client: { ip: '192.0.2.1', port: 1, helo: 'c', listener: 'submission', authUser: 'a' }, receivedAt: clock.now(), data, direction: 'outbound',
  });
  const old = await enqueue('x@old.test', body);
  await enqueue('y@new.test', body);
  const bad = await enqueue('z@old.test', crlf(`From: a@sender.test\nSubject: ${GREEK}\n\n${GREEK}\n`));
  await engine.runOnce();

  const [converted] = plain.receivedBy('x@old.test');
  assert.ok(converted);
  assert.ok(converted.commands.some((c) => c.startsWith('MAIL FROM:<a@sender.test>') && !c.includes('BODY=')));
  assertSevenBit(converted.data);
  assert.deepEqual(pythonParts(converted.data)[0]?.payload, crlf(`${GREEK}\n`));
  const [trace] = await store.queryTrace({ id: old.id });
  assert.equal(trace?.events.find((e) => e.kind === 'attempt')?.data['converted'], '8bit-to-7bit');

  const [original] = modern.receivedBy('y@new.test');
  assert.ok(original?.commands.some((c) => c.includes('BODY=8BITMIME')));
  assert.deepEqual(original?.data, body);

  assert.equal(plain.receivedBy('z@old.test').length, 0);
  const [failed] = await store.queryTrace({ id: bad.id });
  assert.equal(failed?.status, 'bounced');
  const status = failed?.events.find((e) => e.kind === 'status')?.data;
  assert.deepEqual([status?.['code'], status?.['enhanced']], [554, '5.6.3']);
  assert.match(String(status?.['reply']), /does not support 8BITMIME and the message cannot be converted to 7 bits: 8-bit octets in header fields/);
});
