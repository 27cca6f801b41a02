// Where CLI output goes: injected so tests can run commands in-process and read what they printed.

import { writeFileSync } from 'node:fs';
import { UsageError } from './errors.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Writes a file named by --out; UsageError `file-unwritable` (exit 2) when it cannot. */
export function writeOutputFile(path: string, data: Buffer): void {
  try {
    writeFileSync(path, data);
  } catch (error) {
    throw new UsageError('file-unwritable', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Machine output: one JSON document (or line) on stdout. */
export function printJson(io: CliIO, value: unknown, pretty = true): void {
  io.stdout(JSON.stringify(value, jsonReplacer, pretty ? 2 : undefined) + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/**
 * Machine output for one of the files a command was given: a pretty document when it was given one file;
 * with several, one JSON line per file carrying its `path` (JSON lines, in argument order).
 */
export function printFileJson(io: CliIO, path: string, value: object, several: boolean): void {
  if (several) printJson(io, { path, ...value }, false);
  else printJson(io, value);
}

/** Prints message bytes: as text when they are UTF-8, else (real stdout only) the bytes themselves. */
export function printMessage(io: CliIO, message: Buffer): void {
  const text = message.toString('utf8');
  if (io === processIO && !Buffer.from(text, 'utf8').equals(message)) {
    process.stdout.write(message);
    return;
  }
  io.stdout(text);
}
