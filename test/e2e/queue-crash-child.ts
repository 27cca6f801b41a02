// The crash test's victim: a process that accepts messages through the real MessageSink (QueueSink over the
// SQLite store) and acknowledges each one only when `enqueue` resolved, as the SMTP listener answers 250.
// Protocol on stdin/stdout, one line each: in "<seq>", out "250 <seq> <queue-id>"; "ready" once open.
// End of stdin closes the store and exits 0. The whole-gateway crash test will drive the listener instead.

import { createInterface } from 'node:readline';
import { SqliteQueueStore } from '../../src/adapters/storage/sqlite/queue-store.js';
import { QueueSink } from '../../src/gateway/queue/sink.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: queue-crash-child DATA_DIR');
const store = SqliteQueueStore.openInDataDir(dataDir);
const sink = new QueueSink(store);
const pending = new Set<Promise<void>>();

/** A 10 KB message that carries its sequence number, so the checker can count it wherever it ends up. */
function messageFor(seq: string): Buffer {
  return Buffer.from(`From: <load@crash.test>\r\nTo: <sink@example.com>\r\nX-Seq: ${seq}\r\nSubject: load ${seq}\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(10_240, 'y') + '\r\n');
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const seq = line.trim();
    const task = sink
      .enqueue({
        envelope: { mailFrom: 'load@crash.test', recipients: [{ address: 'sink@example.com' }], body: '8BITMIME', smtputf8: false },
        client: { ip: '127.0.0.1', port: 0, helo: 'driver', listener: 'inbound' },
        receivedAt: Date.now(),
        data: messageFor(seq),
        direction: 'outbound',
      })
      .then(({ id }) => {
        process.stdout.write(`250 ${seq} ${id}\n`);
      })
      .finally(() => pending.delete(task));
    pending.add(task);
  })
  .on('close', () => {
    void Promise.all(pending).then(() => store.close());
  });
process.stdout.write('ready\n');
