// The gateway bench's baseline: a bare smtp-server that writes each message to its own file and fsyncs the
// file and the directory before answering 250 (what "durable" costs with a file per message). Run as a child:
// `node --import tsx bench/fsync-sink.ts DIR`; prints "ready PORT".

import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: fsync-sink DIR');
mkdirSync(dir, { recursive: true });
let counter = 0;

async function store(data: Buffer): Promise<void> {
  const file = join(dir as string, `${process.pid}.${++counter}.eml`);
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const dirHandle = await fs.open(dir as string, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      store(Buffer.concat(chunks)).then(() => callback(), (error: Error) => callback(error));
    });
  },
});
// Same as the gateway and the load client: no Nagle delay on replies.
(server as unknown as { server: import('node:net').Server }).server.on('connection', (socket) => socket.setNoDelay(true));
server.listen(0, '127.0.0.1', () => {
  const address = (server as unknown as { server: import('node:net').Server }).server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
