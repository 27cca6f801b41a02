// Measures enqueue throughput of the SQLite queue store: N producers (SMTP sessions) each enqueuing 10 KB
// messages as fast as their previous one is acknowledged. Run:
//   node --import tsx src/adapters/storage/sqlite/measure-enqueue.ts [messages] [producers]
// Prints msg/s, p50/p99 latency of enqueue and the group-commit batch sizes, for each checkpoint mode and
// for one producer (one commit, one fsync per message) as the baseline.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteQueueStore } from './queue-store.js';

const MESSAGE_BYTES = 10 * 1024;

async function measure(label: string, total: number, producers: number, checkpoints: 'worker' | 'auto'): Promise<void> {
  const dir = mkdtempSync(join(process.cwd(), 'tmp-measure-'));
  const store = new SqliteQueueStore({ path: join(dir, 'queue.sqlite'), checkpoints });
  const data = Buffer.alloc(MESSAGE_BYTES, 'x');
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: producers }, async () => {
    while (next < total) {
      next++;
      const t = performance.now();
      await store.enqueue({
        envelope: { mailFrom: 'a@example.org', recipients: [{ address: 'b@example.com' }], body: '8BITMIME', smtputf8: false },
        client: { ip: '127.0.0.1', port: 1, helo: 'bench', listener: 'inbound' },
        receivedAt: Date.now(), data, direction: 'outbound',
      });
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const stats = store.commitStats;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const pct = (p: number): string => (latencies[Math.floor(latencies.length * p)] ?? 0).toFixed(2);
  process.stdout.write(`${label.padEnd(34)} ${String(Math.round(total / seconds)).padStart(6)} msg/s  p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms  ` +
    `batches ${stats.batches} (avg ${(stats.writes / stats.batches).toFixed(1)}, max ${stats.largestBatch})\n`);
}

const total = Number(process.argv[2] ?? 10_000);
const producers = Number(process.argv[3] ?? 20);
await measure(`${producers} producers, worker checkpoints`, total, producers, 'worker');
await measure(`${producers} producers, auto checkpoints`, total, producers, 'auto');
await measure('1 producer (fsync per message)', Math.min(total, 2_000), 1, 'worker');
