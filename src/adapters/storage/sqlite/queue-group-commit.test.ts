import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommitter } from './group-commit.js';

function open(): { db: Database.Database; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-group-commit-'));
  const path = join(dir, 'q.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
  return { db, path, dir };
}

test('concurrent writes share one commit and one fdatasync; a failing write fails alone', async () => {
  const { db, path, dir } = open();
  const committer = new GroupCommitter(db, `${path}-wal`);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const results = await Promise.allSettled([
    committer.submit(() => insert.run(1).changes),
    committer.submit(() => {
      insert.run(2);
      throw new Error('lease lost');
    }),
    committer.submit(() => insert.run(3).changes),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v), [1, 3]);
  assert.deepEqual(committer.stats, { batches: 1, writes: 3, largestBatch: 3, syncs: 1, busyRetries: 0, isolatedReruns: 1 });
  await committer.idle();
  db.close();
  committer.close();
  rmSync(dir, { recursive: true, force: true });
});

test('writes that arrive while an fdatasync runs are committed together after it', async () => {
  const { db, path, dir } = open();
  const committer = new GroupCommitter(db, `${path}-wal`);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const first = committer.submit(() => insert.run(0));
  await new Promise((resolve) => setImmediate(resolve)); // batch 1 committed, its fdatasync running
  const later = Array.from({ length: 10 }, (_, i) => committer.submit(() => insert.run(i + 1)));
  await Promise.all([first, ...later]);
  assert.equal(committer.stats.batches, 2);
  assert.equal(committer.stats.largestBatch, 10);
  await committer.idle();
  db.close();
  committer.close();
  rmSync(dir, { recursive: true, force: true });
});

test('when the WAL cannot be synced, nothing is acknowledged, then or later (fail safe)', async () => {
  const { db, dir } = open();
  const committer = new GroupCommitter(db, join(dir, 'missing', 'q.sqlite-wal'));
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  await assert.rejects(committer.submit(() => insert.run(1)), { code: 'ENOENT' });
  await assert.rejects(committer.submit(() => insert.run(2)), { code: 'ENOENT' });
  await committer.idle();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a BEGIN refused with SQLITE_BUSY before any write ran is tried again, not failed', async () => {
  const { db, path, dir } = open();
  const committer = new GroupCommitter(db, `${path}-wal`);
  const other = new Database(path);
  other.pragma('busy_timeout = 0');
  db.pragma('busy_timeout = 0'); // SQLite answers BUSY at once, as it sometimes does despite a timeout
  other.exec('BEGIN IMMEDIATE');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const write = committer.submit(() => insert.run(1).changes);
  setTimeout(() => other.exec('COMMIT'), 30);
  assert.equal(await write, 1);
  assert.ok(committer.stats.busyRetries > 0);
  await committer.idle();
  other.close();
  db.close();
  committer.close();
  rmSync(dir, { recursive: true, force: true });
});
