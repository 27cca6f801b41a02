// `mailflow queue`: look at the gateway's queue and act on it (hold, release, delete) from another process while the
// gateway runs. SQLite in WAL mode lets both open the database; every change is the QueueStore port's own
// method, so it is committed (and traced) exactly as the gateway would. See docs/queue.md#operating-the-queue.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import pc from '../colors.js';
import { QUEUE_DB_FILE, SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { QUEUE_STATES, type QueuedMessage, type QueueState } from '../../gateway/queue/types.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';

/** The gateway's default data directory (config `dataDir`), used when --data-dir is not given. */
export const DEFAULT_DATA_DIR = './data';
const DEFAULT_LIST_LIMIT = 100;

interface DataDirOption {
  dataDir: string;
}

function openStore(dataDir: string, readonly: boolean): SqliteQueueStore {
  if (!existsSync(join(dataDir, QUEUE_DB_FILE))) {
    throw new UsageError('no-queue-database', `no ${QUEUE_DB_FILE} in ${dataDir}: is it the gateway's data directory? (--data-dir)`);
  }
  return SqliteQueueStore.openInDataDir(dataDir, { readonly });
}

async function withStore<T>(dataDir: string, readonly: boolean, work: (store: SqliteQueueStore) => Promise<T>): Promise<T> {
  const store = openStore(dataDir, readonly);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function parseState(value: string): QueueState {
  if (!(QUEUE_STATES as readonly string[]).includes(value)) {
    throw new UsageError('bad-state', `--state takes one of ${QUEUE_STATES.join(', ')}, got '${value}'`);
  }
  return value as QueueState;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('bad-limit', `--limit takes a positive integer, got '${value}'`);
  return limit;
}

/** Throws when the message does not exist, so scripts see exit code 2 and a clear message. */
async function mustGet(store: SqliteQueueStore, id: string): Promise<QueuedMessage> {
  const message = await store.get(id);
  if (message === undefined) throw new UsageError('no-such-message', `no message ${id} in the queue`);
  return message;
}

const STATE_COLOR: Record<QueueState, (text: string) => string> = {
  incoming: pc.cyan,
  active: pc.cyan,
  deferred: pc.yellow,
  hold: pc.magenta,
  corrupt: pc.red,
};

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One line per message, for people: id, state, age, size, sender → recipients, and why it waits. */
export function formatQueueLine(message: QueuedMessage): string {
  const pending = message.recipients.filter((r) => r.status === 'pending').map((r) => `<${r.address}>`);
  const why = message.reason === undefined ? '' : ` (${message.reason})`;
  const next = message.state === 'deferred' ? ` next ${iso(message.nextAttemptAt)}` : '';
  return `${pc.bold(message.id)} ${STATE_COLOR[message.state](message.state.padEnd(8))} ${iso(message.receivedAt)} ${String(message.size).padStart(8)} B <${message.envelope.mailFrom}> → ${pending.join(' ') || '(no pending recipients)'}${next}${why}\n`;
}

/** The whole record of one message, for people. */
export function formatQueueMessage(message: QueuedMessage): string {
  const lines = [
    `id          ${message.id}`,
    `state       ${message.state}${message.reason === undefined ? '' : ` (${message.reason})`}`,
    `direction   ${message.direction} (${message.kind})`,
    `received    ${iso(message.receivedAt)} from ${message.client.ip} (${message.client.helo}) on ${message.client.listener}` +
      `${message.client.authUser === undefined ? '' : `, account ${message.client.authUser}`}${message.client.connector === undefined ? '' : `, connector ${message.client.connector}`}`,
    `sender      <${message.envelope.mailFrom}>`,
    `size        ${message.size} bytes, body ${message.envelope.body}${message.envelope.smtputf8 ? ', SMTPUTF8' : ''}`,
    `attempts    ${message.attempts}, next ${iso(message.nextAttemptAt)}`,
    'recipients',
    ...message.recipients.map((r) => {
      const reply = r.lastReply === undefined ? '' : ` — ${r.lastReply.code} ${r.lastReply.enhanced} ${r.lastReply.text}${r.lastReply.remote === undefined ? '' : ` (${r.lastReply.remote})`}`;
      return `  <${r.address}> ${r.status}, ${r.attempts} attempt(s)${reply}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers `mailflow queue list|show|counts|hold|release|delete` on the program. */
export function registerQueueCommands(program: Command, io: CliIO): void {
  const queue = program
    .command('queue')
    .description("look at the gateway's queue and hold, release or delete messages (works while the gateway runs)");
  const dataDirOption = (command: Command) => command.option('--data-dir <dir>', `the gateway data directory (holds ${QUEUE_DB_FILE})`, DEFAULT_DATA_DIR);

  dataDirOption(
    queue
      .command('list')
      .description('messages in the queue, oldest first: id, state, received, size, sender, pending recipients, reason')
      .option('--state <state>', `only this state: ${QUEUE_STATES.join(', ')}`)
      .option('--limit <n>', `most messages shown (default ${DEFAULT_LIST_LIMIT})`),
  ).action(async (options: DataDirOption & { state?: string; limit?: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const state = options.state === undefined ? undefined : parseState(options.state);
    const limit = options.limit === undefined ? DEFAULT_LIST_LIMIT : parseLimit(options.limit);
    const messages = await withStore(options.dataDir, true, (store) => store.list({ ...(state === undefined ? {} : { state }), limit }));
    if (globals.json) printJson(io, messages);
    else io.stdout(messages.length === 0 ? `no messages${state === undefined ? '' : ` in ${state}`}\n` : messages.map(formatQueueLine).join(''));
  });

  dataDirOption(queue.command('counts').description('how many messages are in each state')).action(async (options: DataDirOption, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const counts = await withStore(options.dataDir, true, (store) => store.counts());
    if (globals.json) printJson(io, counts);
    else io.stdout(`${QUEUE_STATES.map((s) => `${s.padEnd(9)}${counts[s]}`).join('\n')}\n`);
  });

  dataDirOption(
    queue
      .command('show')
      .description('one message: envelope, client, state and reason, each recipient with its last reply')
      .argument('<id>', 'queue id')
      .option('--body', 'print the message itself (as queued) instead of its record'),
  ).action(async (id: string, options: DataDirOption & { body?: boolean }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    await withStore(options.dataDir, true, async (store) => {
      const message = await mustGet(store, id);
      if (options.body === true) {
        const body = await store.readBody(id);
        if (body === undefined) throw new UsageError('no-body', `message ${id} has no stored body (state ${message.state})`);
        io.stdout(body.toString('latin1'));
      } else if (globals.json) printJson(io, message);
      else io.stdout(formatQueueMessage(message));
    });
  });

  dataDirOption(
    queue
      .command('hold')
      .description('set a message aside: it is not delivered until released')
      .argument('<id>', 'queue id')
      .option('--reason <text>', 'why, for the queue listing and the trace', 'held by an operator'),
  ).action(async (id: string, options: DataDirOption & { reason: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    await withStore(options.dataDir, false, async (store) => {
      const before = await mustGet(store, id);
      if (before.state === 'hold') throw new UsageError('already-held', `message ${id} is already on hold (${before.reason ?? 'no reason'})`);
      if (!(await store.hold(id, options.reason))) throw new UsageError('cannot-hold', `message ${id} is ${before.state} and cannot be held`);
      report(io, globals.json, { id, state: 'hold', previousState: before.state, reason: options.reason }, `${id} is on hold (was ${before.state})\n`);
    });
  });

  dataDirOption(
    queue.command('release').description('put a held (or quarantined) message back in line for delivery now').argument('<id>', 'queue id'),
  ).action(async (id: string, options: DataDirOption, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const now = globals.now === undefined ? Date.now() : Number(globals.now) * 1000;
    await withStore(options.dataDir, false, async (store) => {
      const before = await mustGet(store, id);
      if (!(await store.release(id, now))) throw new UsageError('not-held', `message ${id} is ${before.state}, not on hold: nothing to release`);
      report(io, globals.json, { id, state: 'deferred', previousReason: before.reason ?? null }, `${id} released: it will be delivered on the next queue run\n`);
    });
  });

  dataDirOption(
    queue
      .command('delete')
      .description('drop a message that is not being delivered (quarantined spam, say): no bounce is sent; the trace keeps the reason')
      .argument('<id>', 'queue id')
      .option('--reason <text>', 'why, for the trace', 'deleted by an operator'),
  ).action(async (id: string, options: DataDirOption & { reason: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    await withStore(options.dataDir, false, async (store) => {
      const before = await mustGet(store, id);
      if (!(await store.discard(id, options.reason))) {
        throw new UsageError('cannot-delete', `message ${id} is ${before.state}${before.state === 'active' ? ': it is being delivered now; hold it first' : ''}`);
      }
      report(io, globals.json, { id, state: 'deleted', previousState: before.state, reason: options.reason }, `${id} deleted (was ${before.state}); no bounce is sent\n`);
    });
  });
}

function report(io: CliIO, json: boolean, value: object, text: string): void {
  if (json) printJson(io, value);
  else io.stdout(text);
}
