// The files a command line names: messages given as FILE or - (standard input), and the key, list and other
// files options point at. A file that cannot be read is the user's mistake: a UsageError (exit 2), never an
// internal error.

import { readFileSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { UsageError } from './errors.js';

/** The argument that means standard input. */
export const STDIN_ARGUMENT = '-';

/** Reads a file named on the command line; throws UsageError `file-unreadable` when it cannot be read. */
export function readFileOrUsage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** Checks that a file named on the command line can be read now, before any work or output; UsageError `file-unreadable` if not. */
export async function assertReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** Reads a message given as FILE, or as - for all of standard input. */
export async function readMessageArgument(file: string): Promise<Buffer> {
  return file === STDIN_ARGUMENT ? readAll(process.stdin) : readFileOrUsage(file);
}

/** Throws UsageError `bad-file` when - appears more than once among FILES: standard input can be read only once. */
export function assertStdinOnce(files: string[]): void {
  if (files.filter((f) => f === STDIN_ARGUMENT).length > 1) throw new UsageError('bad-file', 'standard input (-) can be read only once');
}

/** Reads a stream to its end. */
async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

function unreadable(path: string, error: unknown): UsageError {
  return new UsageError('file-unreadable', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
}
