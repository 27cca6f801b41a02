// Runs `mailflow ARGV` for the end-to-end tests: in-process through main() with the output captured (fast,
// and the test DNS server in this process can answer), or as a real child process from source (exit codes,
// environment variables, the bin entry point).

import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';
import { runProcess } from './child-process.js';

/** What one CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The node arguments that run the CLI from source: `node ...CLI_FROM_SOURCE ARGV`. */
export const CLI_FROM_SOURCE = ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url))];

/** Runs `mailflow ARGV` in-process with captured output; resolves with main()'s exit code. */
export async function runCli(argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/**
 * Runs `mailflow ARGV` as a child process. Asynchronous on purpose: a test DNS server in this process must
 * keep answering while the child runs. A child killed by a signal counts as exit code 1.
 */
export async function runCliProcess(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  const { code, stdout, stderr } = await runProcess(process.execPath, [...CLI_FROM_SOURCE, ...argv], { env });
  return { code: code ?? 1, stdout, stderr };
}
