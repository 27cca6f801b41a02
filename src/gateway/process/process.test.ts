import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from '../message-sink.js';
import { DataDirLockedError, generatedCertificate, generatedPassword, LOCK_FILE, lockDataDir } from './data-dir.js';
import { createLogger } from './log.js';
import { receivedHeader, ReceivedHeaderSink } from './received.js';
import { isQueueId } from '../queue/ids.js';
import { QueueSink } from '../queue/sink.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { certificateStillGood, createSelfSignedCertificate } from './self-signed.js';

const message = (over: Partial<IncomingMessage['client']> = {}, smtputf8 = false): IncomingMessage => ({
  envelope: { mailFrom: 'a@example.com', recipients: [{ address: 'b@example.org' }], body: '8BITMIME', smtputf8 },
  client: { ip: '192.0.2.1', port: 4000, helo: 'client.example.com', listener: 'submission', ...over },
  receivedAt: Date.UTC(2025, 6, 1, 10, 0, 0),
  data: Buffer.from('Subject: x\r\n\r\nhi\r\n'),
  direction: 'outbound',
});

test('Received: protocol names per RFC 3848 / 6531, TLS and auth as comments, client text cannot break the field', () => {
  assert.equal(
    receivedHeader(message({ tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, authUser: 'app@example.com' }), 'mx.example.net'),
    'Received: from client.example.com ([192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) (authenticated as app@example.com)\r\n' +
      '\tby mx.example.net (mailflow) with ESMTPSA\r\n\tfor <b@example.org>;\r\n\tTue, 01 Jul 2025 10:00:00 +0000\r\n',
  );
  assert.match(receivedHeader(message(), 'mx'), /with ESMTP\r\n/);
  assert.match(receivedHeader(message({ tls: { version: 'TLSv1.2', cipher: 'X' } }), 'mx'), /with ESMTPS\r\n/);
  assert.match(receivedHeader(message({ authUser: 'u' }, true), 'mx'), /with UTF8SMTPA\r\n/);
  assert.match(receivedHeader(message({ ip: '2001:db8::1' }), 'mx'), /\(\[IPv6:2001:db8::1\]\)/);
  const evil = receivedHeader(message({ helo: 'x\r\nBcc: a@b (c)' }), 'mx');
  assert.equal(evil.split('\r\n').length, 5);
  assert.ok(!evil.includes('Bcc: a@b (c)'));
});

test('ReceivedHeaderSink prepends the field and keeps everything else', async () => {
  let seen: IncomingMessage | undefined;
  const sink = new ReceivedHeaderSink({ enqueue: (m) => { seen = m; return Promise.resolve({ id: 'Q1' }); } }, 'mx');
  assert.deepEqual(await sink.enqueue(message()), { id: 'Q1' });
  assert.ok(seen?.data.toString().startsWith('Received: from client.example.com'));
  assert.ok(seen?.data.toString().endsWith('Subject: x\r\n\r\nhi\r\n'));
  // The queue id is chosen here, named in the field (RFC 5321 §4.4 "id") and handed on for the queue to use.
  assert.ok(isQueueId(seen?.queueId ?? ''));
  assert.match(seen?.data.toString() ?? '', new RegExp(`\\(mailflow\\) with ESMTP id ${seen?.queueId ?? 'none'}\r\n`));
});

test('the queue id in the Received field is the id the queue stores the message under', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-received-id-'));
  try {
    const store = SqliteQueueStore.openInDataDir(dir, { checkpoints: 'auto' });
    const sink = new ReceivedHeaderSink(new QueueSink(store), 'mx');
    const { id } = await sink.enqueue(message());
    const body = (await store.readBody(id))?.toString() ?? '';
    assert.match(body, new RegExp(`with ESMTP id ${id}\r\n`));
    assert.equal((await store.get(id))?.id, id);
    await assert.rejects(store.enqueue({ ...message(), id: 'not-an-id' }), /not a queue id/);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('self-signed certificate: parses, names the host, matches its key, valid for years', () => {
  const pair = createSelfSignedCertificate('mx.example.com');
  const cert = new X509Certificate(pair.certPem);
  assert.equal(cert.subject, 'CN=mx.example.com');
  assert.equal(cert.subjectAltName, 'DNS:mx.example.com');
  assert.ok(cert.verify(cert.publicKey));
  assert.ok(certificateStillGood(pair, 'mx.example.com'));
  assert.ok(!certificateStillGood(pair, 'other.example.com'));
  assert.ok(!certificateStillGood(pair, 'mx.example.com', Date.now() + 824 * 86_400_000));
  // Random serials must always be minimal DER INTEGERs (a leading zero byte once broke 1 start in 128).
  for (let i = 0; i < 300; i++) assert.ok(new X509Certificate(createSelfSignedCertificate('a.example').certPem).serialNumber.length >= 30);
});

test('data directory: one lock per directory, stale locks replaced, passwords and certificates kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-datadir-'));
  try {
    writeFileSync(join(dir, LOCK_FILE), '1\n'); // pid 1 is always alive: another gateway holds it
    assert.throws(() => lockDataDir(dir), DataDirLockedError);
    writeFileSync(join(dir, LOCK_FILE), '999999999\n'); // a killed gateway's stale lock
    const release = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`);
    release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    const first = generatedPassword(dir, 'demo@mailflow.test');
    assert.ok(first.created && first.password.length >= 24);
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    assert.deepEqual(generatedPassword(dir, 'demo@mailflow.test'), { ...first, created: false });
    const cert = generatedCertificate(dir, 'mx.example.com');
    assert.ok(cert.created);
    assert.equal(generatedCertificate(dir, 'mx.example.com').created, false);
    assert.equal(generatedCertificate(dir, 'other.example.com').created, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logger: JSON lines with time, level, event and fields; levels below the minimum dropped', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'json', level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
  log.log('debug', 'smtp-connect', { ip: '1' });
  log.log('warn', 'connector-spf', { connector: 'crm', error: new Error('boom') });
  assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ time: '1970-01-01T00:00:00.000Z', level: 'warn', event: 'connector-spf', connector: 'crm', error: 'boom' }]);
  const pretty: string[] = [];
  createLogger({ format: 'pretty', level: 'debug', write: (l) => pretty.push(l) }).log('info', 'listening', { message: 'inbound on 127.0.0.1:2525', port: 2525 });
  assert.match(pretty[0] ?? '', /listening.*inbound on 127\.0\.0\.1:2525.*port=2525/);
});
