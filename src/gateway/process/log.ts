// The gateway process's log: one JSON object per line on stdout (for journald, Docker, log shippers), or a
// short human line when a person watches a terminal. Only the main job writes it; library code publishes
// diagnostics_channel events that main.ts turns into log lines.

import { format } from 'node:util';
import pc from 'picocolors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface GatewayLogger {
  /** `event` is a stable short name (`listening`, `queued`, `spf-warning`); fields are plain data. */
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  format: 'json' | 'pretty';
  level: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
  /**
   * Join the lines logged in one turn of the event loop into one write (made before the next turn, and at
   * exit). Under load the gateway logs a line per queued message; a write per line cost a system call each
   * (~12 µs of the event loop per message in the gateway bench) and woke the reader as often.
   */
  batch?: boolean;
}

/** Wraps `write` so that lines written in one turn of the event loop reach it as one string. */
export function batchedWriter(write: (text: string) => void): (line: string) => void {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    write(text);
  };
  process.once('exit', flush);
  return (line) => {
    pending += line;
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
}

/** A logger writing lines at or above `level` through `write` (default stdout). */
export function createLogger(options: LoggerOptions): GatewayLogger {
  const direct = options.write ?? ((line: string) => process.stdout.write(line));
  const write = options.batch === true ? batchedWriter(direct) : direct;
  const now = options.now ?? (() => new Date());
  const min = LOG_LEVELS.indexOf(options.level);
  return {
    log(level, event, fields = {}) {
      if (LOG_LEVELS.indexOf(level) < min) return;
      const time = now().toISOString();
      if (options.format === 'json') {
        // The replacer (Errors as their message) slows every call down: use it only when a field needs it.
        const record = { time, level, event, ...fields };
        const needsReplacer = Object.values(fields).some((v) => v instanceof Error);
        write(`${needsReplacer ? JSON.stringify(record, (_k, v: unknown) => (v instanceof Error ? v.message : v)) : JSON.stringify(record)}\n`);
        return;
      }
      const paint = level === 'error' ? pc.red : level === 'warn' ? pc.yellow : level === 'debug' ? pc.dim : (s: string) => s;
      const { message, ...rest } = fields;
      const pairs = Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : format('%j', v)}`)
        .join(' ');
      const text = [typeof message === 'string' ? message : '', pairs].filter((s) => s !== '').join('  ');
      write(`${pc.dim(time.slice(11, 19))} ${paint(level.padEnd(5))} ${pc.bold(event)}${text === '' ? '' : ` ${text}`}\n`);
    },
  };
}
