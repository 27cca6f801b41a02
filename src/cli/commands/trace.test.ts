// `mailflow trace` over a real queue database: queries, JSON and human output, usage errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ManualClock } from '../../core/clock.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import type { TraceMessage } from '../../gateway/trace/types.js';
import { UsageError } from '../errors.js';
import { parseSince, registerTraceCommands } from './trace.js';

const T0 = Date.UTC(2025, 0, 15, 12);

async function run(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('mailflow').option('--json', 'json', false).option('--now <s>').exitOverride();
  registerTraceCommands(program, { stdout: (t) => (out += t), stderr: () => undefined });
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(args, { from: 'user' });
  return out;
}

test('mailflow trace finds messages by sender, recipient, time and id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-trace-cli-'));
  try {
    const store = SqliteQueueStore.openInDataDir(dir, { clock: new ManualClock(T0), checkpoints: 'auto' });
    const base = { client: { ip: '192.0.2.1', port: 1, helo: 'h', listener: 'inbound' }, data: Buffer.from('x'), direction: 'inbound' as const };
    const a = await store.enqueue({ ...base, receivedAt: T0, envelope: { mailFrom: 'a@x.test', recipients: [{ address: 'p@mailflow.test' }], body: '7BIT', smtputf8: false } });
    const b = await store.enqueue({ ...base, receivedAt: T0 + 3_600_000, envelope: { mailFrom: 'b@y.test', recipients: [{ address: 'q@mailflow.test' }], body: '7BIT', smtputf8: false } });
    await store.close();
    const json = async (args: string[]): Promise<string[]> =>
      (JSON.parse(await run(['--json', 'trace', '--data-dir', dir, ...args])) as TraceMessage[]).map((m) => m.id);
    assert.deepEqual(await json([]), [b.id, a.id]);
    assert.deepEqual(await json(['--from', 'a@x.test']), [a.id]);
    assert.deepEqual(await json(['--to', '@mailflow.test', '--limit', '1']), [b.id]);
    assert.deepEqual(await json(['--since', String((T0 + 1000) / 1000)]), [b.id]);
    assert.deepEqual(await json(['--id', a.id]), [a.id]);
    const human = await run(['trace', '--data-dir', dir, '--id', a.id]);
    assert.match(human, new RegExp(`${a.id} .* <a@x\\.test> → <p@mailflow\\.test> \\[.*queued.*\\] from 192\\.0\\.2\\.1`));
    assert.match(human, /connection +ip=192\.0\.2\.1/);
    assert.equal(await run(['trace', '--data-dir', dir, '--from', 'nobody@x.test']), 'no messages match\n');
    await assert.rejects(run(['trace', '--data-dir', join(dir, 'missing')]), UsageError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--since takes seconds, ISO dates and durations', () => {
  assert.equal(parseSince('1736942400', 0), 1736942400000);
  assert.equal(parseSince('2025-01-15T12:00:00Z', 0), T0);
  assert.equal(parseSince('2h', T0), T0 - 7_200_000);
  assert.throws(() => parseSince('yesterday', T0), UsageError);
});
