// Crash safety of the durable queue: a child process accepts 1,000 messages through the MessageSink and
// prints an acknowledgement (our "250") when each enqueue resolves; we SIGKILL it in the middle of the load,
// restart it, and check that every acknowledged message is stored exactly once and, after the delivery
// engine ran against a test SMTP server (MX from the test DNS server), delivered exactly once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/core/clock.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { createResolver } from '../../src/adapters/dns/index.js';
import { SqliteQueueStore } from '../../src/adapters/storage/sqlite/queue-store.js';
import { DeliveryEngine } from '../../src/gateway/delivery/engine.js';
import { SmtpSink } from '../../src/gateway/delivery/testing/smtp-sink.js';

const TOTAL = 1_000;
/** Kill once this many were acknowledged: well inside the load. */
const KILL_AFTER = 300;
/** Messages sent after the restart. */
const RESTART_MESSAGES = 100;
const CHILD = new URL('./queue-crash-child.ts', import.meta.url).pathname;

function startChild(dataDir: string): { child: ChildProcessWithoutNullStreams; acks: Map<string, string>; ready: Promise<void>; onAck: (f: () => void) => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acks = new Map<string, string>();
  let listener: (() => void) | undefined;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`child exited early (${code ?? signal}): ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') return resolve();
      const [code, seq, id] = line.split(' ');
      if (code === '250' && seq !== undefined && id !== undefined) {
        assert.equal(acks.has(seq), false, `seq ${seq} acknowledged twice`);
        acks.set(seq, id);
        listener?.();
      }
    });
  });
  return { child, acks, ready, onAck: (f) => (listener = f) };
}

function seqOf(body: Buffer): string {
  return /X-Seq: (\d+)/.exec(body.toString('latin1'))?.[1] ?? '?';
}

test('SIGKILL mid-load: every acknowledged message is queued exactly once and delivered exactly once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-crash-'));
  const sink = await SmtpSink.start();
  const dns = await TestDnsServer.start({ 'example.com': [{ MX: [10, 'mx.example.com'] }], 'mx.example.com': [{ A: '127.0.0.1' }] });
  try {
    // Run 1: load, killed mid-way.
    const first = startChild(dir);
    await first.ready;
    const killed = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    first.onAck(() => {
      if (first.acks.size === KILL_AFTER) first.child.kill('SIGKILL');
    });
    first.child.stdin.on('error', () => undefined); // writes after the kill hit a closed pipe
    for (let seq = 0; seq < TOTAL; seq++) first.child.stdin.write(`${seq}\n`);
    await killed;
    const ackedFirst = new Map(first.acks);
    assert.ok(ackedFirst.size >= KILL_AFTER && ackedFirst.size < TOTAL, `killed mid-load (${ackedFirst.size} acknowledged)`);

    // Run 2: restart on the same data directory and accept more. A client that got no 250 would resend, and
    // that copy may duplicate one committed just before the kill (RFC 5321 §6.1): so new numbers here.
    const second = startChild(dir);
    await second.ready;
    const more = Array.from({ length: RESTART_MESSAGES }, (_, i) => String(TOTAL + i));
    const allAcked = new Promise<void>((resolve) => second.onAck(() => second.acks.size === more.length && resolve()));
    for (const seq of more) second.child.stdin.write(`${seq}\n`);
    await allAcked;
    second.child.stdin.end();
    await new Promise<void>((resolve) => second.child.once('exit', () => resolve()));

    // Every acknowledged message is stored exactly once; one sent but not acknowledged may be there (committed,
    // acknowledgement lost in the kill), but never twice.
    const store = SqliteQueueStore.openInDataDir(dir);
    const acked = new Map([...ackedFirst, ...second.acks]);
    try {
      await store.recover(Date.now());
      const queued = await store.list({ limit: 10 * TOTAL });
      const seen = new Map<string, number>();
      for (const m of queued) {
        const seq = seqOf((await store.readBody(m.id)) as Buffer);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
      }
      for (const [seq, id] of acked) {
        assert.equal(seen.get(seq), 1, `acknowledged seq ${seq} (${id}) stored once`);
        assert.ok(queued.some((m) => m.id === id), `queue id ${id} present`);
      }
      assert.ok([...seen.values()].every((n) => n === 1), 'no message stored twice');
      t.diagnostic(`killed after ${ackedFirst.size} acknowledged; ${seen.size - acked.size} more were committed without an acknowledgement`);

    // Deliver everything and count at the receiving server.
      const engine = new DeliveryEngine({
        store, clock: systemClock, resolver: createResolver({ servers: [`127.0.0.1:${dns.port}`], cache: false }),
        hostname: 'gw.crash.test', isLocalDomain: () => false, inbound: { kind: 'maildir', dataDir: dir }, outbound: { port: sink.port },
      });
      await engine.drain();
      await engine.stop();
      const delivered = new Map<string, number>();
      for (const t of sink.transactions) delivered.set(seqOf(t.data), (delivered.get(seqOf(t.data)) ?? 0) + 1);
      for (const seq of acked.keys()) assert.equal(delivered.get(seq), 1, `acknowledged seq ${seq} delivered exactly once`);
      for (const seq of seen.keys()) assert.equal(delivered.get(seq), 1, `queued seq ${seq} delivered exactly once`);
      assert.equal(sink.transactions.length, seen.size);
      assert.deepEqual(await store.counts(), { incoming: 0, active: 0, deferred: 0, hold: 0, corrupt: 0 });
    } finally {
      await store.close();
    }
  } finally {
    await sink.stop();
    await dns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
