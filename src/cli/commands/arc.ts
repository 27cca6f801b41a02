// `mailflow arc verify|seal`: thin layers over src/auth/arc.

import type { Command } from 'commander';
import pc from '../colors.js';
import { ArcError, formatAuthResultsArc, sealArc, verifyArc, type ArcSealOptions, type ArcValidationResult } from '../../auth/arc/index.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { assertStdinOnce, readFileOrUsage, readMessageArgument, STDIN_ARGUMENT } from '../input-files.js';
import { printFileJson, printJson, printMessage, writeOutputFile, type CliIO } from '../output.js';

interface SealOptions {
  domain: string;
  selector: string;
  key: string;
  authservId: string;
  headers?: string;
  out?: string;
}

/** Registers the `arc` command group on the program. */
export function registerArcCommands(program: Command, io: CliIO): void {
  const arc = program.command('arc').description('ARC (RFC 8617): validate a message\'s chain, seal a message for this hop');

  arc
    .command('verify')
    .description('validate the ARC chain of messages (files, or - for standard input)')
    .argument('<files...>', 'message files (RFC 5322; LF or CRLF line ends), - for standard input')
    .action(async (files: string[], _options: object, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      assertStdinOnce(files);
      const messages = new Map<string, Buffer>();
      for (const file of files) if (file !== STDIN_ARGUMENT) messages.set(file, readFileOrUsage(file));
      const context = buildContext(globals);
      const several = files.length > 1;
      for (const file of files) {
        // Files were read above, before any output; standard input is read when its turn comes.
        const message = messages.get(file) ?? (await readMessageArgument(file));
        const result = await verifyArc(message, { resolver: context.resolver });
        if (context.json) printFileJson(io, file, result, several);
        else io.stdout(renderVerify(file, result, several));
      }
    });

  arc
    .command('seal')
    .description('validate the chain, then add this hop\'s ARC set (AAR, AMS, AS) and print the message')
    .argument('<file>', 'the message file, or - for standard input')
    .requiredOption('--domain <d>', 'the sealing domain (d=)')
    .requiredOption('--selector <s>', 'the selector (s=)')
    .requiredOption('--key <pem-file>', 'private key file (PEM; RSA of at least 1024 bits, or Ed25519)')
    .requiredOption('--authserv-id <id>', 'this hop\'s authserv-id: its Authentication-Results are copied into the AAR')
    .option('--headers <list>', 'AMS h=: colon- or comma-separated field names (default: DKIM\'s list plus DKIM-Signature)')
    .option('--out <file>', 'write the sealed message to a file instead of standard output')
    .action(async (file: string, options: SealOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & SealOptions>();
      const privateKey = readFileOrUsage(options.key).toString('utf8');
      const message = await readMessageArgument(file);
      const context = buildContext(globals);
      const chain = await verifyArc(message, { resolver: context.resolver });
      const sealOptions: ArcSealOptions = {
        domain: options.domain,
        selector: options.selector,
        privateKey,
        authservId: options.authservId,
        chain,
        clock: context.clock,
      };
      const headers = options.headers?.split(/[:,]/).map((h) => h.trim()).filter((h) => h !== '');
      if (headers !== undefined) sealOptions.headers = headers;
      let sealed;
      try {
        sealed = await sealArc(message, sealOptions);
      } catch (error) {
        if (error instanceof ArcError) throw new UsageError(error.code, error.message);
        throw error;
      }
      const summary = sealed.sealed
        ? { sealed: true, instance: sealed.instance, cv: sealed.cv, reason: chain.reason, headers: sealed.headers }
        : { sealed: false, reason: sealed.reason, detail: sealed.detail, chain: { cv: chain.cv, reason: chain.reason } };
      if (!sealed.sealed && !context.json) io.stderr(`mailflow: not sealed (${sealed.reason}): ${sealed.detail}\n`);
      if (options.out !== undefined) {
        writeOutputFile(options.out, sealed.message);
        if (context.json) printJson(io, { out: options.out, ...summary });
        return;
      }
      if (context.json) {
        printJson(io, { ...summary, message: sealed.message.toString('utf8') });
        return;
      }
      printMessage(io, sealed.message);
    });
}


function renderVerify(file: string, result: ArcValidationResult, several: boolean): string {
  const lines: string[] = [];
  if (several) lines.push(pc.bold(file));
  const colour = result.cv === 'pass' ? pc.green : result.cv === 'none' ? pc.dim : pc.red;
  lines.push(`${pc.bold('arc')}: ${colour(result.cv)} (${result.reason}) ${result.detail}${result.temporary ? ' [temporary: try later]' : ''}`);
  for (const set of result.instances) {
    lines.push(`  i=${set.instance} sealer ${set.domain || '?'} s=${set.selector || '?'} cv=${set.cv || '?'}; AMS ${set.amsDomain || '?'} s=${set.amsSelector || '?'}; AAR by ${set.aar.authservId || '?'}`);
    lines.push(`      seal: ${set.asResult.result} (${set.asResult.reason})  message signature: ${set.amsResult.result} (${set.amsResult.reason})`);
  }
  if (result.oldestPass !== undefined) lines.push(`  oldest-pass: ${result.oldestPass}`);
  for (const warning of result.warnings) lines.push(`  ${pc.yellow('warning')} ${warning}`);
  lines.push(`Authentication-Results: mailflow; ${formatAuthResultsArc(result)}`);
  return lines.join('\n') + '\n';
}
