// The `mailflow` command: global options, the command tree, and the single place where errors become
// exit codes (0 completed, 2 usage, 1 internal; see docs/errors.md).

import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { registerSpfCommands } from './commands/spf.js';
import { registerDkimCommands } from './commands/dkim.js';
import { registerArcCommands } from './commands/arc.js';
import { registerSrsCommands } from './commands/srs.js';
import { registerDmarcCommands } from './commands/dmarc.js';
import { registerVerifyCommands } from './commands/verify.js';
import { registerTraceCommands } from './commands/trace.js';
import { registerTlsPolicyCommands } from './commands/tls-policy.js';
import { registerGatewayCommands } from './commands/gateway.js';
import { registerConfigCommands } from './commands/config.js';
import { registerQueueCommands } from './commands/queue.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import { collect } from './option-values.js';
import { type CliIO, processIO } from './output.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Builds the command tree. Global options are declared once here and work before or after a subcommand. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('mailflow')
    .description('mailflow: protect an organization\'s mail flow (SPF, DKIM, DMARC, ARC, SRS, MTA-STS, DANE, TLS-RPT)')
    .version(packageVersion(), '-V, --version')
    .option('--dns <host[:port]>', 'DNS server to query (repeatable; default: $MAILFLOW_DNS, then /etc/resolv.conf)', collect, [])
    .option('--json', 'machine-readable JSON on stdout', false)
    .option('--now <unix-seconds>', 'fix the clock (for %{t}, signature times and tests)')
    .addOption(new Option('--timeout <ms>', 'per-query DNS timeout in milliseconds'))
    .addOption(new Option('--zone <file>', 'answer DNS from a JSON zone file instead of the network (try a record before publishing it)'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    });
  registerSpfCommands(program, io);
  registerDkimCommands(program, io);
  registerArcCommands(program, io);
  registerDmarcCommands(program, io);
  registerVerifyCommands(program, io);
  registerSrsCommands(program, io);
  registerTraceCommands(program, io);
  registerQueueCommands(program, io);
  registerTlsPolicyCommands(program, io);
  registerGatewayCommands(program, io);
  registerConfigCommands(program, io);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    // --help and --version end through exitOverride too, with exit code 0: they are successes. Anything
    // else is a usage error, and commander has already printed its one-line message to stderr.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    io.stderr(`mailflow: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`mailflow: internal error: ${message.split('\n')[0]}\n`);
  if (process.env.MAILFLOW_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
  return EXIT_INTERNAL;
}
