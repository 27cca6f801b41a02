// Runs the QueueStore contract against every implementation: the embedded SQLite store with checkpoints in a
// worker thread (the default) and with SQLite's automatic checkpoints. PostgreSQL joins here later.

import { join } from 'node:path';
import { SqliteQueueStore } from '../../src/adapters/storage/sqlite/queue-store.js';
import { queueStoreContract } from './queue-store.contract.js';

queueStoreContract('SQLite (worker checkpoints)', (dir, clock) => new SqliteQueueStore({ path: join(dir, 'queue.sqlite'), clock }));
queueStoreContract('SQLite (automatic checkpoints)', (dir, clock) =>
  new SqliteQueueStore({ path: join(dir, 'queue.sqlite'), clock, checkpoints: 'auto' }));
