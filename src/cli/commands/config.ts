// `mailflow config check FILE` (precise errors: file:line:column, the key's path, what was expected; exit 2
// when invalid), `mailflow config schema` (the documented table; --json, --markdown) and
// `mailflow config hash-password` (an scrypt hash for accounts[].passwordHash, password read from stdin).

import type { Command } from 'commander';
import { formatConfigError, loadConfigFile, schemaMarkdown, schemaRows, schemaText } from '../../config/index.js';
import { hashPassword } from '../../gateway/policy/accounts.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson, type CliIO } from '../output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Registers `mailflow config …` on the program. */
export function registerConfigCommands(program: Command, io: CliIO): void {
  const config = program.command('config').description('the gateway config file: check one, print the schema');

  config
    .command('check <file>')
    .description('validate a config file: every error with its line, key path and what was expected (exit 2 when invalid)')
    .action((file: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const result = loadConfigFile(file);
      if (globals.json) {
        printJson(io, result.ok ? { file, valid: true, errors: [] } : { file, valid: false, errors: result.errors });
      } else if (result.ok) {
        const c = result.config;
        io.stdout(`${file}: valid — ${c.listeners.length} listener(s), ${c.acceptedDomains.length} accepted domain(s), ${c.accounts.length} account(s), ${c.connectors.length} connector(s)\n`);
      } else {
        io.stdout(result.errors.map((e) => `${formatConfigError(e, file)}\n`).join(''));
      }
      if (!result.ok) throw new UsageError('config-invalid', `${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`);
    });

  config
    .command('schema')
    .description('print every setting: name, type, default and meaning (--json for tools, --markdown for docs)')
    .option('--markdown', 'the Markdown table of docs/config.md', false)
    .action((options: { markdown: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if (globals.json) printJson(io, schemaRows());
      else io.stdout(options.markdown ? schemaMarkdown() : schemaText());
    });

  config
    .command('hash-password')
    .description('read a password on stdin and print its scrypt hash for accounts[].passwordHash')
    .action(async () => {
      const password = (await readStdin()).replace(/\r?\n$/, '');
      if (password === '') throw new UsageError('empty-password', 'give the password on stdin, e.g. printf %s "$PASSWORD" | mailflow config hash-password');
      io.stdout(`${await hashPassword(password)}\n`);
    });
}
