// WAL checkpoints off the event loop. A checkpoint copies committed pages from the WAL into the main file and
// fsyncs it; done by the writing connection it stalls every SMTP session for 10–20 ms every few hundred
// messages (measured: p99 enqueue latency 20 ms with automatic checkpoints, 2 ms without). So a worker
// thread with its own connection runs PASSIVE checkpoints (they never block writers) on a timer, and a
// RESTART checkpoint only if the WAL still grew past WAL_FORCE_RESTART_PAGES (writers then wait briefly).
//
// The worker is plain JavaScript evaluated from a string so that it runs the same from src (tsx) and dist.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints. Short enough that the WAL stays small under load. */
export const CHECKPOINT_INTERVAL_MS = 250;

/** WAL pages (4 KiB) beyond which the worker forces a RESTART checkpoint: 256 MiB. */
export const WAL_FORCE_RESTART_PAGES = 65_536;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
function checkpoint(mode) {
  try {
    const [row] = db.pragma('wal_checkpoint(' + mode + ')');
    if (mode === 'PASSIVE' && row && row.log > workerData.forceRestartPages) checkpoint('RESTART');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.postMessage({ stopped: true });
  parentPort.close();
});
`;

/** A running checkpoint worker for one database file. */
export class Checkpointer {
  private readonly worker: Worker;
  /** The last error the worker reported (checkpoints are retried on the next tick). */
  lastError: string | undefined;

  constructor(path: string, busyTimeoutMs: number, onError?: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, busyTimeoutMs, intervalMs: CHECKPOINT_INTERVAL_MS, forceRestartPages: WAL_FORCE_RESTART_PAGES },
    });
    this.worker.on('message', (message: { error?: string }) => {
      if (message.error !== undefined) {
        this.lastError = message.error;
        onError?.(message.error);
      }
    });
    this.worker.on('error', (error) => {
      this.lastError = error.message;
      onError?.(error.message);
    });
    // The worker must not keep a process alive that is otherwise done.
    this.worker.unref();
  }

  /** Runs a last checkpoint and stops the worker. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // An unref'd worker would let the event loop end while we wait for it.
    this.worker.postMessage('stop');
    await exited;
  }
}
