import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueuedMessage, QueuedRecipient } from '../queue/types.js';
import { deliverMaildir, maildirFileName } from './maildir.js';

const recipient: QueuedRecipient = { index: 0, address: 'postmaster@mailflow.test', status: 'pending', attempts: 0, updatedAt: 0 };
const message = (id: string): QueuedMessage => ({
  id, state: 'active', kind: 'mail', direction: 'inbound', envelope: { mailFrom: 'a@example.com', body: '8BITMIME', smtputf8: false },
  client: { ip: '127.0.0.1', port: 1, helo: 'x', listener: 'inbound' }, receivedAt: Date.now(), queuedAt: Date.now(), size: 5,
  attempts: 0, nextAttemptAt: 0, delayNotified: false, recipients: [recipient],
});

test('Maildir delivery is idempotent per queue id and recipient: a retry after a crash writes no second file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-maildir-'));
  try {
    const m = message('01TESTID');
    const first = deliverMaildir(m, Buffer.from('hi\r\n'), [recipient], dir);
    assert.equal(first[0]?.status, 'delivered');
    const again = deliverMaildir(m, Buffer.from('hi\r\n'), [recipient], dir);
    assert.equal(again[0]?.status, 'delivered');
    assert.match(again[0]?.reply?.text ?? '', /already delivered/);
    const box = join(dir, 'postmaster@mailflow.test');
    assert.deepEqual(readdirSync(join(box, 'new')), [maildirFileName(m, recipient)]);
    // A reader moved it to cur/ with flags: still found, still one copy.
    const name = maildirFileName(m, recipient);
    renameSync(join(box, 'new', name), join(box, 'cur', `${name}:2,S`));
    assert.equal(deliverMaildir(m, Buffer.from('hi\r\n'), [recipient], dir)[0]?.status, 'delivered');
    assert.deepEqual(readdirSync(join(box, 'new')), []);
    // Another message is a new file, even when cur/ looks old (cur/ is only listed when it changed lately).
    utimesSync(join(box, 'cur'), 0, 0);
    deliverMaildir(message('01OTHER'), Buffer.from('hi\r\n'), [recipient], dir);
    assert.equal(readdirSync(join(box, 'new')).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
