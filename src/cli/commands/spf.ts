// `mailflow spf check` and `mailflow spf lint`: thin layers over src/auth/spf.

import { isIP } from 'node:net';
import type { Command } from 'commander';
import pc from '../colors.js';
import {
  checkSpf,
  formatAuthResultsSpf,
  formatReceivedSpf,
  lintSpf,
  type SpfCheckInput,
  type SpfResult,
} from '../../auth/spf/index.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';

interface CheckOptions {
  ip: string;
  sender: string;
  helo?: string;
  receiver?: string;
  identity?: string;
}

/** Registers the `spf` command group on the program. */
export function registerSpfCommands(program: Command, io: CliIO): void {
  const spf = program.command('spf').description('SPF (RFC 7208): evaluate and lint sender policies');

  spf
    .command('check')
    .description('evaluate SPF for a client IP and envelope sender, as a receiving MTA would')
    .requiredOption('--ip <ip>', 'the connecting client IP address (IPv4 or IPv6)')
    .requiredOption('--sender <mail-from>', "the MAIL FROM address ('' for the null sender)")
    .option('--helo <name>', 'the HELO/EHLO name the client gave')
    .option('--receiver <name>', 'our host name, for %{r} and Received-SPF', 'mailflow')
    .option('--identity <which>', 'mailfrom or helo (default: mailfrom, helo for a null sender)')
    .action(async (options: CheckOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & CheckOptions>();
      const input = checkInput(options);
      const context = buildContext(globals);
      const result = await checkSpf(input, { resolver: context.resolver, clock: context.clock });
      const receivedSpf = formatReceivedSpf(result, input, options.receiver);
      const authenticationResults = formatAuthResultsSpf(result);
      if (context.json) {
        printJson(io, { ...result, receivedSpf, authenticationResults });
      } else {
        io.stdout(renderCheck(result, receivedSpf, authenticationResults, options.receiver ?? "mailflow"));
      }
    });

  spf
    .command('lint')
    .description("inspect a domain's SPF record tree for errors, limits and risky terms")
    .argument('<domain>', 'the domain whose SPF record to lint')
    .action(async (domain: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if (!/^[A-Za-z0-9._-]+\.?$/.test(domain) || domain.length > 253) {
        throw new UsageError('bad-domain', `'${domain}' is not a domain name`);
      }
      const context = buildContext(globals);
      const report = await lintSpf(domain, { resolver: context.resolver });
      if (context.json) {
        printJson(io, report);
        return;
      }
      const lines = [`${pc.bold(report.domain)}: ${report.record ?? '(no SPF record)'}`];
      lines.push(`  DNS lookups: ${report.lookups}/10   void lookups: ${report.voidLookups}/2`);
      if (report.findings.length === 0) lines.push(`  ${pc.green('no findings')}`);
      for (const finding of report.findings) {
        const tag =
          finding.severity === 'error' ? pc.red('error  ') : finding.severity === 'warning' ? pc.yellow('warning') : pc.cyan('info   ');
        const where = finding.path && finding.path.length > 1 ? ` [${finding.path.join(' → ')}]` : '';
        lines.push(`  ${tag} ${finding.code}: ${finding.message}${where}`);
        lines.push(`          fix: ${finding.fix}`);
      }
      io.stdout(lines.join('\n') + '\n');
    });
}

function checkInput(options: CheckOptions): SpfCheckInput {
  if (isIP(options.ip) === 0) throw new UsageError('bad-ip', `--ip '${options.ip}' is not an IPv4 or IPv6 address`);
  if (options.identity !== undefined && options.identity !== 'mailfrom' && options.identity !== 'helo') {
    throw new UsageError('bad-identity', `--identity must be mailfrom or helo, got '${options.identity}'`);
  }
  const helo = options.helo ?? '';
  if (options.sender === '' && helo === '') {
    throw new UsageError('missing-helo', 'a null sender (--sender "") is checked against the HELO name: give --helo');
  }
  if (options.identity === 'helo' && helo === '') throw new UsageError('missing-helo', '--identity helo needs --helo');
  return {
    ip: options.ip,
    sender: options.sender,
    helo,
    ...(options.receiver ? { receiver: options.receiver } : {}),
    ...(options.identity ? { identity: options.identity as 'mailfrom' | 'helo' } : {}),
  };
}

function renderCheck(result: SpfResult, receivedSpf: string, authenticationResults: string, authservId: string): string {
  const colour =
    result.result === 'pass' ? pc.green : result.result === 'fail' || result.result === 'permerror' ? pc.red : pc.yellow;
  const lines = [
    `${pc.bold('spf')}: ${colour(result.result)} (${result.reason}) ${result.detail}`,
    `  identity: ${result.identity} ${result.sender}   domain: ${result.domain}`,
    `  DNS lookups: ${result.lookups}/10   void lookups: ${result.voidLookups}/2`,
  ];
  if (result.explanation !== undefined) lines.push(`  explanation: ${result.explanation}`);
  if (result.trail.length > 0) {
    lines.push('  trail:');
    for (const step of result.trail) {
      const mark = step.matched ? pc.green('✔') : ' ';
      const outcome = step.result ? ` → ${step.result}` : '';
      const note = step.note ? pc.dim(` (${step.note})`) : '';
      lines.push(`    ${'  '.repeat(step.depth)}${mark} ${step.domain}: ${step.term}${outcome}${note}`);
    }
  }
  lines.push(receivedSpf, `Authentication-Results: ${authservId}; ${authenticationResults}`);
  return lines.join('\n') + '\n';
}
