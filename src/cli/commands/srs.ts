// `mailflow srs forward` and `mailflow srs reverse`: thin layers over src/auth/srs, with PostSRSd's secret
// file format (one secret per line, the first signs). A refused rewrite is a verdict (exit 0), not an error.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from '../colors.js';
import { systemClock, type Clock } from '../../core/clock.js';
import {
  createSrs,
  parseSecretFile,
  SrsConfigError,
  type SrsForwardResult,
  type SrsHashEncoding,
  type SrsReverseResult,
  type SrsRewriter,
  type SrsSeparator,
} from '../../auth/srs/index.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';
import type { GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { collect } from '../option-values.js';

interface SrsCliOptions {
  secretFile: string;
  domain?: string;
  separator?: string;
  hashLength?: string;
  hashMinLength?: string;
  maxAge?: string;
  hashEncoding?: string;
  localDomain: string[];
  always?: boolean;
}

/** Registers the `srs` command group on the program. */
export function registerSrsCommands(program: Command, io: CliIO): void {
  const srs = program.command('srs').description('SRS (Sender Rewriting Scheme, PostSRSd format): rewrite and reverse envelope senders');
  const common = (command: Command): Command =>
    command
      .requiredOption('--secret-file <file>', 'secrets, one per line; the first signs, all verify (PostSRSd format)')
      .option('--separator <char>', 'separator after SRS0/SRS1: = + or - (default =)')
      .option('--hash-length <n>', 'hash characters written (default 4)')
      .option('--hash-min-length <n>', 'fewest hash characters accepted (default: the hash length)')
      .option('--max-age <days>', 'days a timestamp stays valid (default 21)')
      .option('--hash-encoding <enc>', 'base64url (PostSRSd 2.x, default) or base64 (PostSRSd 1.x, Mail::SRS)');

  common(srs.command('forward'))
    .description('rewrite an envelope sender for forwarding (SRS0, or SRS1 for an SRS address)')
    .argument('<address>', 'the envelope sender to rewrite')
    .requiredOption('--domain <domain>', 'our SRS domain (the rewritten address is in it)')
    .option('--local-domain <domain>', 'another domain of ours whose senders are not rewritten (repeatable; .example.com = subdomains)', collect, [])
    .option('--always', 'rewrite even senders in our own domains', false)
    .action((address: string, options: SrsCliOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & SrsCliOptions>();
      const rewriter = buildRewriter(options, options.domain as string, clockFrom(globals.now));
      report(io, globals.json, address, rewriter.forward(address));
    });

  common(srs.command('reverse'))
    .description('decode a bounce address (SRS0/SRS1) back to the address it stands for')
    .argument('<address>', 'the SRS address to reverse')
    .option('--domain <domain>', 'our SRS domain (not needed to reverse; checked for syntax when given)')
    .action((address: string, options: SrsCliOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & SrsCliOptions>();
      // Reversal never looks at the domain; any valid name satisfies the constructor.
      const rewriter = buildRewriter({ ...options, localDomain: [] }, options.domain ?? 'srs.invalid', clockFrom(globals.now));
      report(io, globals.json, address, rewriter.reverse(address));
    });
}

function clockFrom(now: string | undefined): Clock {
  if (now === undefined) return systemClock;
  if (!/^\d{1,12}$/.test(now)) throw new UsageError('bad-now', `--now takes Unix seconds, got '${now}'`);
  const ms = Number(now) * 1000;
  return { now: () => ms };
}

function intArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value)) throw new UsageError('bad-srs-option', `${name} takes a whole number, got '${value}'`);
  return Number(value);
}

function readSecrets(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('secret-file-unreadable', `cannot read secret file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const secrets = parseSecretFile(text);
  if (secrets.length === 0) throw new UsageError('secret-file-empty', `secret file ${path} holds no secret (one per line)`);
  return secrets;
}

function buildRewriter(options: SrsCliOptions, domain: string, clock: Clock): SrsRewriter {
  const secrets = readSecrets(options.secretFile);
  const hashLength = intArg('--hash-length', options.hashLength);
  const hashMinLength = intArg('--hash-min-length', options.hashMinLength);
  const maxAgeDays = intArg('--max-age', options.maxAge);
  try {
    return createSrs({
      secrets,
      domain,
      clock,
      localDomains: options.localDomain,
      alwaysRewrite: options.always ?? false,
      ...(options.separator === undefined ? {} : { separator: options.separator as SrsSeparator }),
      ...(options.hashEncoding === undefined ? {} : { hashEncoding: options.hashEncoding as SrsHashEncoding }),
      ...(hashLength === undefined ? {} : { hashLength }),
      ...(hashMinLength === undefined ? {} : { hashMinLength }),
      ...(maxAgeDays === undefined ? {} : { maxAgeDays }),
    });
  } catch (error) {
    if (error instanceof SrsConfigError) {
      throw new UsageError(error.code === 'srs-bad-domain' ? 'bad-domain' : 'bad-srs-option', error.message);
    }
    throw error;
  }
}

/** JSON `{ address, result, reason }`: result is the new address (or the unchanged one), null on failure. */
function report(io: CliIO, json: boolean, address: string, r: SrsForwardResult | SrsReverseResult): void {
  const reason = r.ok ? ('rewritten' in r && !r.rewritten ? r.reason : null) : r.reason;
  if (json) {
    printJson(io, {
      address,
      result: r.ok ? r.address : null,
      reason,
      ...(r.ok && 'scheme' in r ? { scheme: r.scheme } : {}),
      ...(!r.ok ? { detail: r.detail, ...('missing' in r && r.missing ? { missing: r.missing } : {}) } : {}),
    });
    return;
  }
  if (r.ok) {
    io.stdout(`${r.address}\n`);
    if (reason !== null) io.stderr(`${pc.dim(`not rewritten: ${reason}`)}\n`);
    return;
  }
  io.stderr(`${pc.yellow(r.reason)}: ${r.detail}\n`);
}
