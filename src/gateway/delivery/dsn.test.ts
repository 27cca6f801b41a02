import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueuedMessage, QueuedRecipient } from '../queue/types.js';
import { buildDsn, dsnRecipients, DSN_MAX_RETURNED_BYTES } from './dsn.js';
import { dotStuff } from './dot-stuff.js';
import { parseReply } from './smtp-client.js';
import { mailboxFolderName } from './maildir.js';
import { backoffMs, isExpired, MAX_QUEUE_AGE_MS } from '../queue/retry.js';

const T0 = Date.UTC(2025, 0, 15, 12);

function rcpt(address: string, notify?: string[], orcpt?: string): QueuedRecipient {
  return { index: 0, address, status: 'failed', attempts: 1, updatedAt: T0, ...(notify || orcpt ? { dsn: { ...(notify ? { notify } : {}), ...(orcpt ? { orcpt } : {}) } } : {}) };
}

function message(overrides: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id: 'q1', state: 'active', kind: 'mail', direction: 'outbound',
    envelope: { mailFrom: 'alice@example.org', body: '8BITMIME', smtputf8: false, dsn: { envid: 'ENV+2B1' } },
    client: { ip: '192.0.2.1', port: 1, helo: 'h', listener: 'submission' },
    receivedAt: T0, queuedAt: T0, size: 10, attempts: 0, nextAttemptAt: T0, delayNotified: false, recipients: [],
    ...overrides,
  };
}

test('dsnRecipients: never to the null sender or about a DSN; NOTIFY decides (absent = FAILURE,DELAY)', () => {
  const reports = [rcpt('a@x'), rcpt('b@x', ['NEVER']), rcpt('c@x', ['SUCCESS']), rcpt('d@x', ['FAILURE', 'DELAY'])].map((recipient) => ({ recipient }));
  const names = (list: { recipient: QueuedRecipient }[]): string[] => list.map((r) => r.recipient.address);
  assert.deepEqual(names(dsnRecipients(message(), 'failed', reports)), ['a@x', 'd@x']);
  assert.deepEqual(names(dsnRecipients(message(), 'delayed', reports)), ['a@x', 'd@x']);
  assert.deepEqual(names(dsnRecipients(message(), 'delivered', reports)), ['c@x']);
  assert.deepEqual(dsnRecipients(message({ envelope: { mailFrom: '', body: '7BIT', smtputf8: false } }), 'failed', reports), []);
  assert.deepEqual(dsnRecipients(message({ kind: 'dsn' }), 'failed', reports), []);
});

test('buildDsn: RFC 3464 multipart/report with per-message and per-recipient fields', () => {
  const body = Buffer.from('Subject: hello\r\nFrom: alice@example.org\r\n\r\nsecret body\r\n');
  const text = buildDsn({
    message: message(), body, reportingMta: 'gw.test', now: T0 + 60_000,
    reports: [{ recipient: rcpt('bob@example.com', undefined, 'rfc822;Bob+2Bx@example.com'), action: 'failed', reply: { code: 550, enhanced: '5.1.1', text: 'no such user', remote: 'mx.example.com[192.0.2.5]' } }],
  }).toString();
  assert.match(text, /^From: MAILER-DAEMON@gw\.test \(Mail Delivery System\)\r\nTo: <alice@example\.org>\r\n/);
  assert.match(text, /Auto-Submitted: auto-replied\r\n/);
  assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status; boundary="([^"]+)"/);
  assert.match(text, /Reporting-MTA: dns; gw\.test\r\n[\s\S]*Original-Envelope-Id: ENV\+1\r\n[\s\S]*Arrival-Date: Wed, 15 Jan 2025 12:00:00 \+0000\r\n\r\n/);
  assert.match(text, /Final-Recipient: rfc822; bob@example\.com\r\nOriginal-Recipient: rfc822; Bob\+x@example\.com\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.example\.com\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user\r\n/);
  assert.match(text, /Content-Type: message\/rfc822\r\n\r\nSubject: hello[\s\S]*secret body\r\n\r\n--.*--\r\n$/);
  const delayed = buildDsn({ message: message(), body, reportingMta: 'gw.test', now: T0, willRetryUntil: T0 + 1, reports: [{ recipient: rcpt('b@x'), action: 'delayed', reply: { code: 451, enhanced: '4.4.3', text: 'dns', remote: 'dns' } }] }).toString();
  assert.match(delayed, /Action: delayed\r\nStatus: 4\.4\.3\r\nDiagnostic-Code: X-Mailflow; dns\r\n[\s\S]*Will-Retry-Until:/);
  assert.match(delayed, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hello/);
  assert.doesNotMatch(delayed, /secret body/);
  const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(DSN_MAX_RETURNED_BYTES, 'x')]);
  assert.doesNotMatch(buildDsn({ message: message(), body: big, reportingMta: 'g', now: T0, reports: [{ recipient: rcpt('b@x'), action: 'failed', reply: { code: 550, enhanced: '5.0.0', text: 'no' } }] }).toString(), /xxxx/);
});

test('dotStuff doubles leading dots and ends with CRLF', () => {
  assert.equal(dotStuff(Buffer.from('.a\r\nb\r\n..c\r\n')).toString(), '..a\r\nb\r\n...c\r\n');
  assert.equal(dotStuff(Buffer.from('no end')).toString(), 'no end\r\n');
  const same = Buffer.from('plain\r\n');
  assert.equal(dotStuff(same), same);
});

test('parseReply keeps code, enhanced code and text of multi-line replies', () => {
  assert.deepEqual(parseReply(['550-5.1.1 no such', '550 5.1.1 user here']), { code: 550, enhanced: '5.1.1', text: 'no such user here' });
  assert.deepEqual(parseReply(['250 ok']), { code: 250, enhanced: '', text: 'ok' });
});

test('mailbox folder names refuse path tricks', () => {
  assert.equal(mailboxFolderName('Post@Mailflow.test'), 'post@mailflow.test');
  for (const bad of ['../x@y', 'a/b@c', '.hidden@x', 'nul\0@x', 'noat', '']) assert.equal(mailboxFolderName(bad), undefined, bad);
});

test('backoff doubles from 5 minutes up to 4000 s; messages expire after the maximum age', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n) / 1000), [300, 600, 1200, 2400, 4000, 4000, 4000]);
  assert.equal(isExpired(T0, T0 + MAX_QUEUE_AGE_MS - 1, 'mail'), false);
  assert.equal(isExpired(T0, T0 + MAX_QUEUE_AGE_MS, 'mail'), true);
});
