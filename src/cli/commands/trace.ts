// `mailflow trace`: the trail of queued and delivered messages from the gateway's database, read-only.
// A thin layer over TraceStore.queryTrace; see docs/queue.md#trace.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import pc from '../colors.js';
import { QUEUE_DB_FILE, SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import type { TraceEvent, TraceMessage, TraceQuery } from '../../gateway/trace/types.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { DEFAULT_DATA_DIR } from './queue.js';

interface TraceCliOptions {
  from?: string;
  to?: string;
  since?: string;
  id?: string;
  limit?: string;
  dataDir: string;
}

const RELATIVE = /^(\d+)([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses --since: Unix seconds, an ISO 8601 date, or a duration back from now ("30m", "2h", "7d"). */
export function parseSince(value: string, now: number): number {
  const relative = RELATIVE.exec(value);
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError('bad-since', `--since takes Unix seconds, an ISO date or a duration like 2h, got '${value}'`);
  return ms;
}

/** Registers `mailflow trace` on the program. */
export function registerTraceCommands(program: Command, io: CliIO): void {
  program
    .command('trace')
    .description('show the trail of gateway messages: connection, envelope, policy, queue moves, delivery attempts, final status')
    .option('--from <address>', 'envelope sender (or @domain)')
    .option('--to <address>', 'envelope recipient (or @domain)')
    .option('--since <time>', 'received at or after: Unix seconds, ISO date, or a duration back from now (2h, 7d)')
    .option('--id <queue-id>', 'one message by queue id')
    .option('--limit <n>', 'most messages shown, newest first (default 100)')
    .option('--data-dir <dir>', 'the gateway data directory (holds queue.sqlite)', DEFAULT_DATA_DIR)
    .action(async (options: TraceCliOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & TraceCliOptions>();
      const now = globals.now === undefined ? Date.now() : Number(globals.now) * 1000;
      const query: TraceQuery = {};
      if (options.from !== undefined) query.from = options.from;
      if (options.to !== undefined) query.to = options.to;
      if (options.id !== undefined) query.id = options.id;
      if (options.since !== undefined) query.since = parseSince(options.since, now);
      if (options.limit !== undefined) {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('bad-limit', `--limit takes a positive integer, got '${options.limit}'`);
        query.limit = limit;
      }
      if (!existsSync(join(options.dataDir, QUEUE_DB_FILE))) {
        throw new UsageError('no-queue-database', `no ${QUEUE_DB_FILE} in ${options.dataDir}: is it the gateway's data directory?`);
      }
      const store = SqliteQueueStore.openInDataDir(options.dataDir, { readonly: true });
      try {
        const messages = await store.queryTrace(query);
        if (globals.json) printJson(io, messages);
        else io.stdout(messages.length === 0 ? 'no messages match\n' : messages.map(formatMessage).join('\n'));
      } finally {
        await store.close();
      }
    });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function formatEvent(event: TraceEvent): string {
  const fields = Object.entries(event.data)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join(' ');
  return `  ${iso(event.at)} ${pc.cyan(event.kind.padEnd(10))} ${fields}\n`;
}

/** One message and its events, for people. */
export function formatMessage(message: TraceMessage): string {
  const status = message.status === 'delivered' ? pc.green(message.status) : message.status === 'queued' ? pc.yellow(message.status) : pc.red(message.status);
  const head = `${pc.bold(message.id)} ${iso(message.receivedAt)} ${message.direction} <${message.mailFrom}> → ${message.recipients.map((r) => `<${r}>`).join(' ')} [${status}] from ${message.clientIp}\n`;
  return head + message.events.map(formatEvent).join('');
}
