// `mailflow queue` over a real queue database: list, counts, show (record and body), hold, release, delete, JSON and
// human output, and the usage errors scripts rely on (exit code 2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ManualClock } from '../../core/clock.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import type { QueuedMessage, QueueState } from '../../gateway/queue/types.js';
import type { TraceMessage } from '../../gateway/trace/types.js';
import { UsageError } from '../errors.js';
import { registerQueueCommands } from './queue.js';
import { registerTraceCommands } from './trace.js';

const T0 = Date.UTC(2026, 11, 4, 12);

async function run(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('mailflow').option('--json', 'json', false).option('--now <s>').exitOverride();
  registerQueueCommands(program, { stdout: (t) => (out += t), stderr: () => undefined });
  registerTraceCommands(program, { stdout: (t) => (out += t), stderr: () => undefined });
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  await program.parseAsync(args, { from: 'user' });
  return out;
}

async function seed(dir: string): Promise<string[]> {
  const store = SqliteQueueStore.openInDataDir(dir, { clock: new ManualClock(T0), checkpoints: 'auto' });
  const base = { client: { ip: '192.0.2.1', port: 1, helo: 'client.example', listener: 'inbound' }, direction: 'inbound' as const };
  const ids: string[] = [];
  for (const [k, from] of ['a@x.test', 'b@y.test', 'c@z.test'].entries()) {
    const data = Buffer.from(`From: <${from}>\r\nSubject: message ${k}\r\n\r\nbody ${k}\r\n`);
    const { id } = await store.enqueue({ ...base, data, receivedAt: T0 + k * 1000, envelope: { mailFrom: from, recipients: [{ address: `p${k}@mailflow.test` }], body: '7BIT', smtputf8: false } });
    ids.push(id);
  }
  await store.close();
  return ids;
}

test('mailflow queue lists, counts, shows, holds and releases messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-queue-cli-'));
  try {
    const [a, b, c] = (await seed(dir)) as [string, string, string];
    const list = async (...args: string[]): Promise<QueuedMessage[]> => JSON.parse(await run(['--json', 'queue', 'list', '--data-dir', dir, ...args])) as QueuedMessage[];
    assert.deepEqual((await list()).map((m) => m.id).sort(), [a, b, c].sort());
    assert.equal((await list('--limit', '2')).length, 2);
    const counts = JSON.parse(await run(['queue', 'counts', '--data-dir', dir, '--json'])) as Record<QueueState, number>;
    assert.equal(counts.incoming, 3);
    assert.equal(counts.hold, 0);

    // hold: the listing, counts and trace show it; holding twice is an error.
    const held = JSON.parse(await run(['--json', 'queue', 'hold', b, '--reason', 'looks like spam', '--data-dir', dir])) as { state: string; previousState: string };
    assert.deepEqual(held, { id: b, state: 'hold', previousState: 'incoming', reason: 'looks like spam' });
    assert.deepEqual((await list('--state', 'hold')).map((m) => [m.id, m.reason]), [[b, 'looks like spam']]);
    const human = await run(['queue', 'list', '--state', 'hold', '--data-dir', dir]);
    assert.match(human, new RegExp(`^${b} hold .* <b@y\\.test> → <p1@mailflow\\.test> \\(looks like spam\\)\\n$`));
    await assert.rejects(run(['queue', 'hold', b, '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'already-held');

    // show: the record, and the message itself with --body.
    const shown = await run(['queue', 'show', b, '--data-dir', dir]);
    assert.match(shown, /^id {10}\S+\nstate {7}hold \(looks like spam\)\n/);
    assert.match(shown, /received {4}.* from 192\.0\.2\.1 \(client\.example\) on inbound/);
    assert.match(shown, /<p1@mailflow\.test> pending, 0 attempt\(s\)/);
    assert.equal(await run(['queue', 'show', b, '--body', '--data-dir', dir]), 'From: <b@y.test>\r\nSubject: message 1\r\n\r\nbody 1\r\n');
    assert.equal((JSON.parse(await run(['--json', 'queue', 'show', a, '--data-dir', dir])) as QueuedMessage).state, 'incoming');

    // release: back in line now (deferred, due at --now); releasing what is not held is an error.
    const released = JSON.parse(await run(['--json', '--now', String(T0 / 1000 + 60), 'queue', 'release', b, '--data-dir', dir])) as { state: string; previousReason: string };
    assert.deepEqual(released, { id: b, state: 'deferred', previousReason: 'looks like spam' });
    const after = (await list('--state', 'deferred'))[0];
    assert.equal(after?.id, b);
    assert.equal(after?.nextAttemptAt, T0 + 60_000);
    await assert.rejects(run(['queue', 'release', a, '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'not-held');
    const trace = JSON.parse(await run(['--json', 'trace', '--id', b, '--data-dir', dir])) as TraceMessage[];
    const moves = trace[0]?.events.filter((e) => e.kind === 'queue').map((e) => e.data['state']);
    assert.deepEqual(moves?.slice(-2), ['hold', 'deferred']);

    // delete: gone from the queue, no bounce, the trace says why; deleting it again is an unknown id.
    const deleted = JSON.parse(await run(['--json', 'queue', 'delete', c, '--reason', 'spam', '--data-dir', dir])) as object;
    assert.deepEqual(deleted, { id: c, state: 'deleted', previousState: 'incoming', reason: 'spam' });
    assert.deepEqual((await list()).map((m) => m.id).sort(), [a, b].sort());
    const dropped = JSON.parse(await run(['--json', 'trace', '--id', c, '--data-dir', dir])) as TraceMessage[];
    assert.equal(dropped[0]?.status, 'dropped');
    await assert.rejects(run(['queue', 'delete', c, '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'no-such-message');

    // Usage errors: unknown id, bad state, bad limit, not a data directory.
    await assert.rejects(run(['queue', 'show', 'NOPE', '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'no-such-message');
    await assert.rejects(run(['queue', 'list', '--state', 'lost', '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'bad-state');
    await assert.rejects(run(['queue', 'list', '--limit', '0', '--data-dir', dir]), (e: unknown) => e instanceof UsageError && e.code === 'bad-limit');
    await assert.rejects(run(['queue', 'list', '--data-dir', join(dir, 'missing')]), (e: unknown) => e instanceof UsageError && e.code === 'no-queue-database');
    assert.equal(await run(['queue', 'list', '--state', 'corrupt', '--data-dir', dir]), 'no messages in corrupt\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
