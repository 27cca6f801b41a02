// `mailflow dkim verify|sign|keygen|rotate`: thin layers over src/auth/dkim.

import { createReadStream, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from '../colors.js';
import {
  describeKey,
  DkimError,
  formatAuthResultsDkimAll,
  generateDkimKey,
  planDkimRotation,
  signDkim,
  verifyDkim,
  type DkimSigner,
  type DkimVerifyResult,
  type GeneratedDkimKey,
} from '../../auth/dkim/index.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { collect } from '../option-values.js';
import { assertReadable, assertStdinOnce, readFileOrUsage, readMessageArgument, STDIN_ARGUMENT } from '../input-files.js';
import { printFileJson, printJson, printMessage, writeOutputFile, type CliIO } from '../output.js';

interface VerifyOptions {
  legacy: boolean;
  maxSignatures?: string;
}

interface SignOptions {
  domain: string[];
  selector: string[];
  key: string[];
  algorithm: string[];
  canonicalization?: string;
  headers?: string;
  identity?: string;
  expire?: string;
  bodyLength: boolean;
  out?: string;
}

interface KeygenOptions {
  domain: string;
  selector: string;
  type: string;
  bits?: string;
  out?: string;
}

interface RotateOptions {
  domain: string;
  current: string;
  new: string;
  type: string;
  bits?: string;
  out?: string;
  key?: string;
  currentType: string;
  ttl?: string;
  retireDays?: string;
}

/** Registers the `dkim` command group on the program. */
export function registerDkimCommands(program: Command, io: CliIO): void {
  const dkim = program.command('dkim').description('DKIM (RFC 6376, RFC 8463): verify and sign messages, generate and rotate keys');

  dkim
    .command('verify')
    .description('verify the DKIM signatures of messages (files, or - for standard input)')
    .argument('<files...>', 'message files (RFC 5322; LF or CRLF line ends), - for standard input')
    .option('--legacy', 'accept rsa-sha1 and RSA keys under 1024 bits (with a warning) instead of result policy', false)
    .option('--max-signatures <n>', 'signatures to evaluate per message (default 10)')
    .action(async (files: string[], options: VerifyOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & VerifyOptions>();
      const maxSignatures = options.maxSignatures === undefined ? undefined : positiveInt(options.maxSignatures, '--max-signatures');
      assertStdinOnce(files);
      for (const file of files) if (file !== STDIN_ARGUMENT) await assertReadable(file);
      const context = buildContext(globals);
      const several = files.length > 1;
      for (const file of files) {
        const source = file === STDIN_ARGUMENT ? process.stdin : createReadStream(file);
        const result = await verifyDkim(source as AsyncIterable<Buffer>, {
          resolver: context.resolver,
          clock: context.clock,
          legacy: options.legacy,
          ...(maxSignatures === undefined ? {} : { maxSignatures }),
        });
        if (context.json) printFileJson(io, file, result, several);
        else io.stdout(renderVerify(file, result, several));
      }
    });

  dkim
    .command('sign')
    .description('sign a message and print it with the DKIM-Signature fields prepended')
    .argument('<file>', 'the message file, or - for standard input')
    .requiredOption('--domain <d>', 'signing domain d= (repeat --domain/--selector/--key for each extra signature)', collect, [])
    .requiredOption('--selector <s>', 'selector s=', collect, [])
    .requiredOption('--key <pem-file>', 'private key file (PEM)', collect, [])
    .option('--algorithm <a>', 'rsa-sha256 or ed25519-sha256 (default: from the key); once per signature or not at all', collect, [])
    .option('--canonicalization <c>', 'c= for every signature (default relaxed/relaxed)')
    .option('--headers <list>', 'h=: colon- or comma-separated field names (default: a safe over-signed list)')
    .option('--identity <i>', 'i= (within the domain)')
    .option('--expire <seconds>', 'add x= this many seconds after t=')
    .option('--body-length', 'add l= (not recommended: it lets anyone append content)', false)
    .option('--out <file>', 'write the signed message to a file instead of standard output')
    .action(async (file: string, options: SignOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & SignOptions>();
      const signers = signersFrom(options);
      const message = await readMessageArgument(file);
      const context = buildContext(globals);
      let signed: { headers: string[]; message: Buffer };
      try {
        signed = await signDkim(message, signers, { clock: context.clock });
      } catch (error) {
        if (error instanceof DkimError) throw new UsageError(error.code, error.message);
        throw error;
      }
      if (options.out !== undefined) {
        writeOutputFile(options.out, signed.message);
        if (context.json) printJson(io, { out: options.out, headers: signed.headers });
        return;
      }
      if (context.json) {
        printJson(io, { headers: signed.headers, message: signed.message.toString('utf8') });
        return;
      }
      printMessage(io, signed.message);
    });

  dkim
    .command('keygen')
    .description('generate a DKIM key pair and print the DNS record to publish')
    .requiredOption('--domain <d>', 'the signing domain')
    .requiredOption('--selector <s>', 'the selector')
    .option('--type <type>', 'rsa or ed25519', 'rsa')
    .option('--bits <n>', 'RSA key size (1024-4096, default 2048)')
    .option('--out <file>', 'write the private key here (mode 0600, never overwritten) instead of printing it')
    .action((options: KeygenOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & KeygenOptions>();
      const key = generate(options.type, options.bits, options.domain, options.selector);
      if (options.out !== undefined) writePrivateKey(options.out, key.privateKeyPem);
      const record = { dnsName: key.dnsName, txtRecord: key.txtRecord, txtStrings: key.txtStrings, zoneLine: key.zoneLine, publicKeyBase64: key.publicKeyBase64 };
      if (globals.json) {
        printJson(io, options.out !== undefined ? { ...record, privateKeyFile: options.out } : { ...record, privateKeyPem: key.privateKeyPem });
        return;
      }
      const lines = [
        options.out !== undefined ? `private key written to ${options.out} (mode 0600)` : key.privateKeyPem.trimEnd(),
        '',
        `Publish this TXT record at ${pc.bold(key.dnsName)}:`,
        `  ${key.txtRecord}`,
        '',
        'Zone file line (character-strings of at most 255 octets):',
        `  ${key.zoneLine}`,
      ];
      io.stdout(lines.join('\n') + '\n');
    });

  dkim
    .command('rotate')
    .description('plan a key rotation from one selector to another (publish new, switch signing, retire old)')
    .requiredOption('--domain <d>', 'the signing domain')
    .requiredOption('--current <selector>', 'the selector in use now')
    .requiredOption('--new <selector>', 'the selector to move to')
    .option('--type <type>', 'new key type when generating: rsa or ed25519', 'rsa')
    .option('--bits <n>', 'new RSA key size when generating (default 2048)')
    .option('--out <file>', 'generate the new key and write its private half here (mode 0600)')
    .option('--key <pem-file>', 'use this existing private key for the new selector instead of generating one')
    .option('--current-type <type>', 'the current key type, for its revocation record', 'rsa')
    .option('--ttl <seconds>', 'TTL of the key records (default 3600)')
    .option('--retire-days <days>', 'how long to keep the old key after switching (default 7)')
    .action((options: RotateOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & RotateOptions>();
      if ((options.out === undefined) === (options.key === undefined)) {
        throw new UsageError('missing-key', 'give --out FILE to generate the new key, or --key FILE to use an existing one');
      }
      if (options.currentType !== 'rsa' && options.currentType !== 'ed25519') {
        throw new UsageError('bad-key-type', `--current-type must be rsa or ed25519, got '${options.currentType}'`);
      }
      let key: GeneratedDkimKey;
      if (options.key !== undefined) key = describeOrUsage(readFileOrUsage(options.key).toString('utf8'), options.domain, options.new);
      else {
        key = generate(options.type, options.bits, options.domain, options.new);
        writePrivateKey(options.out as string, key.privateKeyPem);
      }
      let plan;
      try {
        plan = planDkimRotation({
          domain: options.domain,
          currentSelector: options.current,
          newSelector: options.new,
          newTxtRecord: key.txtRecord,
          currentKeyType: options.currentType,
          ...(options.ttl === undefined ? {} : { ttlSeconds: positiveInt(options.ttl, '--ttl') }),
          ...(options.retireDays === undefined ? {} : { retireAfterSeconds: positiveInt(options.retireDays, '--retire-days') * 86400 }),
        });
      } catch (error) {
        if (error instanceof DkimError) throw new UsageError(error.code, error.message);
        throw error;
      }
      if (globals.json) {
        printJson(io, { ...plan, ...(options.out !== undefined ? { privateKeyFile: options.out } : {}) });
        return;
      }
      const lines = [`${pc.bold('DKIM key rotation')} for ${plan.domain}: ${plan.currentSelector} → ${plan.newSelector}`];
      if (options.out !== undefined) lines.push(`new private key written to ${options.out} (mode 0600)`);
      for (const step of plan.steps) {
        lines.push('', `${step.step}. ${pc.bold(step.action)}: ${step.description}`);
        for (const r of step.publish) lines.push(`   publish  ${r.zoneLine}`);
        for (const r of step.remove) lines.push(`   remove   ${r.name}. TXT`);
        if (step.waitSeconds > 0) lines.push(`   then wait at least ${duration(step.waitSeconds)}`);
      }
      io.stdout(lines.join('\n') + '\n');
    });
}

/** Pairs the repeated --domain/--selector/--key (and --algorithm) options into signers, in order. */
function signersFrom(options: SignOptions): DkimSigner[] {
  const n = options.domain.length;
  if (options.selector.length !== n || options.key.length !== n) {
    throw new UsageError('unpaired-signer', `give --domain, --selector and --key once per signature (got ${n}, ${options.selector.length}, ${options.key.length})`);
  }
  if (options.algorithm.length !== 0 && options.algorithm.length !== n) {
    throw new UsageError('unpaired-signer', `give --algorithm once per signature or not at all (got ${options.algorithm.length} for ${n})`);
  }
  const headers = options.headers?.split(/[:,]/).map((h) => h.trim()).filter((h) => h !== '');
  const expire = options.expire === undefined ? undefined : positiveInt(options.expire, '--expire');
  return options.domain.map((domain, i) => {
    const algorithm = options.algorithm[i];
    if (algorithm !== undefined && algorithm !== 'rsa-sha256' && algorithm !== 'ed25519-sha256') {
      throw new UsageError('bad-algorithm', `--algorithm must be rsa-sha256 or ed25519-sha256, got '${algorithm}'`);
    }
    const signer: DkimSigner = {
      domain,
      selector: options.selector[i] as string,
      privateKey: readFileOrUsage(options.key[i] as string).toString('utf8'),
    };
    if (algorithm !== undefined) signer.algorithm = algorithm;
    if (options.canonicalization !== undefined) signer.canonicalization = options.canonicalization;
    if (headers !== undefined) signer.headers = headers;
    if (options.identity !== undefined) signer.identity = options.identity;
    if (expire !== undefined) signer.expireSeconds = expire;
    if (options.bodyLength) signer.bodyLength = true;
    return signer;
  });
}

function generate(type: string, bits: string | undefined, domain: string, selector: string): GeneratedDkimKey {
  if (type !== 'rsa' && type !== 'ed25519') throw new UsageError('bad-key-type', `--type must be rsa or ed25519, got '${type}'`);
  try {
    return generateDkimKey({ type, domain, selector, ...(bits === undefined ? {} : { bits: positiveInt(bits, '--bits') }) });
  } catch (error) {
    if (error instanceof DkimError) throw new UsageError(error.code, error.message);
    throw error;
  }
}

function describeOrUsage(pem: string, domain: string, selector: string): GeneratedDkimKey {
  try {
    return describeKey(pem, domain, selector);
  } catch (error) {
    if (error instanceof DkimError) throw new UsageError(error.code, error.message);
    throw new UsageError('bad-private-key', `the key file is not a private key: ${(error as Error).message}`);
  }
}

/** Writes a private key with mode 0600, refusing to replace an existing file. */
function writePrivateKey(path: string, pem: string): void {
  try {
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError('file-exists', `${path} already exists; not overwriting a key file`);
    throw new UsageError('file-unwritable', `cannot write ${path}: ${code ?? (error as Error).message}`);
  }
}

function positiveInt(value: string, option: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) throw new UsageError('bad-number', `${option} takes a positive whole number, got '${value}'`);
  return Number(value);
}

function renderVerify(file: string, result: DkimVerifyResult, several: boolean): string {
  const lines: string[] = [];
  if (several) lines.push(pc.bold(file));
  if (result.error) lines.push(`${pc.red('dkim: permerror')} (${result.error.reason}) ${result.error.detail}`);
  else if (result.signatures.length === 0) lines.push(`${pc.bold('dkim')}: none (the message has no DKIM-Signature)`);
  for (const sig of result.signatures) {
    const colour = sig.result === 'pass' ? pc.green : sig.result === 'temperror' || sig.result === 'policy' || sig.result === 'neutral' ? pc.yellow : pc.red;
    lines.push(`${pc.bold('dkim')}: ${colour(sig.result)} (${sig.reason}) ${sig.detail}`);
    lines.push(`  d=${sig.domain || '?'} s=${sig.selector || '?'} a=${sig.algorithm || '?'} c=${sig.canonicalization}${sig.identity ? ` i=${sig.identity}` : ''}`);
    if (sig.headerFields.length > 0) lines.push(`  h=${sig.headerFields.join(':')}`);
    if (sig.timestamp !== undefined || sig.expiration !== undefined) {
      lines.push(`  signed ${sig.timestamp === undefined ? '?' : time(sig.timestamp)}${sig.expiration === undefined ? '' : `, expires ${time(sig.expiration)}`}`);
    }
    for (const warning of sig.warnings) lines.push(`  ${pc.yellow('warning')} ${warning}`);
  }
  if (result.ignoredSignatures) lines.push(`  ${result.ignoredSignatures} more signature(s) not evaluated (--max-signatures)`);
  for (const entry of formatAuthResultsDkimAll(result)) lines.push(`Authentication-Results: mailflow; ${entry}`);
  return lines.join('\n') + '\n';
}

function time(seconds: number): string {
  return Number.isFinite(seconds) && seconds < 8.64e12 ? new Date(seconds * 1000).toISOString() : String(seconds);
}

function duration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} seconds`;
}
