// A worker thread of the DKIM benchmark: verifies one signed message in a loop for a fixed time and posts
// its rate. It gets everything as data (message bytes, key records) and builds its own resolver, so the
// threads share nothing and the main thread can start them together with a 'go' message.

import { parentPort, workerData } from 'node:worker_threads';
import { verifyDkim } from '../src/auth/dkim/index.js';
import { CachingResolver } from '../src/core/dns/cache.js';
import { ZoneResolver } from '../src/testing/zone-resolver.js';
import type { ZoneData } from '../src/testing/zone.js';
import { timeLoop, type TimingOptions } from './timing.js';

export interface DkimWorkerData {
  message: Uint8Array;
  zone: ZoneData;
  timing: TimingOptions;
}

const data = workerData as DkimWorkerData;
const message = Buffer.from(data.message);
const resolver = new CachingResolver(new ZoneResolver(data.zone));
const port = parentPort;
if (port === null) throw new Error('dkim-worker: must run as a worker thread');

const check = await verifyDkim(message, { resolver });
if (check.signatures[0]?.result !== 'pass') throw new Error(`dkim-worker: the bench message does not verify: ${check.signatures[0]?.reason}`);
port.postMessage({ ready: true });
port.once('message', () => {
  void timeLoop(() => verifyDkim(message, { resolver }), data.timing).then((timing) => port.postMessage({ timing }));
});
