// Child processes for the tests, run asynchronously to completion: the CLI from source, and the peers the
// interop tests compare against (dkimpy, pyspf, OpenDKIM). Asynchronous because a test DNS server in this
// process must keep answering while the child runs; a deadline turns a hung peer into a failure, not a hang.

import { spawn } from 'node:child_process';

export interface ProcessOptions {
  /** Written to the child's standard input, which is then closed (closed at once when absent). */
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child (SIGKILL) and reject when it runs longer than this. No deadline when absent. */
  deadlineMs?: number;
  /** What to call the child in the deadline error (default: the command). */
  name?: string;
}

export interface ProcessOutput {
  /** The exit code; null when a signal ended the child. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs COMMAND ARGS to completion and resolves with its exit code and output; rejects when it cannot start or misses its deadline. */
export function runProcess(command: string, args: string[], options: ProcessOptions = {}): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const { deadlineMs } = options;
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${options.name ?? command} did not finish within ${deadlineMs} ms`));
          }, deadlineMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs a batch driver: REQUEST as JSON on its standard input, one JSON document on its standard output.
 * Rejects, naming the driver, when it exits non-zero, prints no JSON or misses the deadline.
 */
export async function runJsonDriver<T>(name: string, command: string, args: string[], request: unknown, deadlineMs: number): Promise<T> {
  const { code, stdout, stderr } = await runProcess(command, args, { input: JSON.stringify(request), deadlineMs, name });
  if (code !== 0) throw new Error(`${name} exited with ${code}: ${stderr.trim()}`);
  try {
    return JSON.parse(stdout) as T;
  } catch (error) {
    throw new Error(`${name} printed no JSON (${(error as Error).message}); stderr: ${stderr.trim()}`);
  }
}
