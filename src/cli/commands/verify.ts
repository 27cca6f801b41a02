// `mailflow verify FILE|-` and `mailflow explain-forwarding FILE`: thin layers over src/auth/pipeline.

import type { Command } from 'commander';
import pc from '../colors.js';
import { explainForwarding, verifyMessage, VerifyOptionsError, type ForwardingExplanation, type VerifyResult } from '../../auth/pipeline/index.js';
import type { DmarcPolicy, DmarcResult } from '../../auth/dmarc/index.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { readPsl } from './dmarc.js';
import { readMessageArgument } from '../input-files.js';
import { collect, parseDmarcMode } from '../option-values.js';
import { printJson, type CliIO } from '../output.js';

interface VerifyOptions {
  ip: string;
  helo: string;
  sender: string;
  authservId: string;
  trustedArcSealer: string[];
  trustedHop: string[];
  mode?: string;
  psl?: string;
}

interface ExplainOptions {
  forwarder: string;
  receiver: string;
  sender?: string;
  originIp?: string;
  forwarderIp?: string;
  modifies: boolean;
  unsigned: boolean;
  policy: string;
}

/** Registers `verify` and `explain-forwarding` on the program. */
export function registerVerifyCommands(program: Command, io: CliIO): void {
  program
    .command('verify')
    .description('verify a message as a receiving border does: SPF, DKIM, ARC, DMARC, local policy; print the Authentication-Results to add')
    .argument('<file>', 'the message (RFC 5322; LF or CRLF line ends), or - for standard input')
    .requiredOption('--ip <ip>', 'the SMTP client IP address')
    .requiredOption('--helo <name>', 'the HELO/EHLO name the client gave')
    .requiredOption('--sender <mail-from>', "the MAIL FROM address ('' or <> for the null sender)")
    .option('--authserv-id <id>', 'our authserv-id in Authentication-Results', 'mailflow')
    .option('--trusted-arc-sealer <domain>', 'an ARC sealer whose results we believe when DMARC fails (repeatable)', collect, [])
    .option('--trusted-hop <cidr>', 'a filter in front of us: SPF is checked against the first hop outside these (repeatable)', collect, [])
    .option('--mode <mode>', 'DMARC: rfc9989 (DNS tree walk, default) or rfc7489 (Public Suffix List)', 'rfc9989')
    .option('--psl <file>', 'RFC 7489 mode: use this public_suffix_list.dat instead of the installed one')
    .action(async (file: string, options: VerifyOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & VerifyOptions>();
      const mode = parseDmarcMode(options.mode);
      const psl = options.psl === undefined ? undefined : readPsl(options.psl);
      const message = await readMessageArgument(file);
      const context = buildContext(globals);
      let result: VerifyResult;
      try {
        result = await verifyMessage(message, {
          ip: options.ip,
          helo: options.helo,
          mailFrom: options.sender === '<>' ? '' : options.sender,
          resolver: context.resolver,
          clock: context.clock,
          authservId: options.authservId,
          mode,
          trustedArcSealers: options.trustedArcSealer,
          trustedHops: options.trustedHop,
          ...(psl === undefined ? {} : { psl }),
        });
      } catch (error) {
        if (error instanceof VerifyOptionsError) throw new UsageError(error.code, error.message);
        throw error;
      }
      if (context.json) {
        const { spf, dkim, arc, dmarc, disposition, authenticationResults } = result;
        printJson(io, { spf, dkim, arc, dmarc, disposition, authenticationResults });
        return;
      }
      io.stdout(renderVerify(result));
    });

  program
    .command('explain-forwarding')
    .description('show what SPF, DKIM, DMARC and ARC give at the final receiver when a forwarder relays this message: plain, with SRS, with ARC, with both (simulated, no network)')
    .argument('<file>', 'the message as the origin sends it, or - for standard input')
    .requiredOption('--forwarder <domain>', 'the forwarding domain (alias service, mailing list)')
    .option('--receiver <domain>', 'the final receiver', 'receiver.example')
    .option('--sender <mail-from>', 'the origin MAIL FROM (default: the From address)')
    .option('--origin-ip <ip>', 'the origin server address (in the origin SPF record)')
    .option('--forwarder-ip <ip>', 'the forwarder address (not in the origin SPF record)')
    .option('--modifies', 'the forwarder changes the message as a mailing list does (subject tag, footer)', false)
    .option('--unsigned', 'the origin does not sign with DKIM', false)
    .option('--policy <p>', "the origin's DMARC policy: none, quarantine or reject", 'reject')
    .action(async (file: string, options: ExplainOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & ExplainOptions>();
      const message = await readMessageArgument(file);
      const policy = parsePolicy(options.policy);
      const context = buildContext(globals);
      let explanation: ForwardingExplanation;
      try {
        explanation = await explainForwarding({
          message,
          forwarder: options.forwarder,
          receiver: options.receiver,
          modifies: options.modifies,
          originSigns: !options.unsigned,
          originPolicy: policy,
          clock: context.clock,
          ...(options.sender === undefined ? {} : { sender: options.sender }),
          ...(options.originIp === undefined ? {} : { originIp: options.originIp }),
          ...(options.forwarderIp === undefined ? {} : { forwarderIp: options.forwarderIp }),
        });
      } catch (error) {
        if (error instanceof VerifyOptionsError) throw new UsageError(error.code, error.message);
        throw error;
      }
      if (context.json) {
        printJson(io, explanationJson(explanation));
        return;
      }
      io.stdout(renderExplanation(explanation));
    });
}

function parsePolicy(value: string): DmarcPolicy {
  if (value === 'none' || value === 'quarantine' || value === 'reject') return value;
  throw new UsageError('bad-policy', `--policy must be none, quarantine or reject, got '${value}'`);
}


const colourOf = (result: string): ((text: string) => string) =>
  result === 'pass' ? pc.green : result === 'none' || result === 'neutral' ? pc.dim : result === 'temperror' ? pc.yellow : pc.red;

/** The human report: one line per check, a few lines on why DMARC passed or failed, the disposition, the header. */
export function renderVerify(result: VerifyResult): string {
  const { spf, dkim, arc, dmarc, disposition } = result;
  const lines: string[] = [];
  const hop = spf.hop.reason === 'connection' ? '' : ` [hop: ${spf.hop.detail}]`;
  lines.push(`${pc.bold('spf')}:   ${colourOf(spf.result)(spf.result)} (${spf.reason}) ${spf.identity === 'helo' ? `helo ${spf.domain}` : `mailfrom ${spf.sender}`} from ${spf.hop.ip || '(no hop)'}${hop}`);
  if (dkim.signatures.length === 0) lines.push(`${pc.bold('dkim')}:  ${pc.dim('none')} ${dkim.error ? `(${dkim.error.reason}) ${dkim.error.detail}` : '(no signatures)'}`);
  for (const sig of dkim.signatures) {
    lines.push(`${pc.bold('dkim')}:  ${colourOf(sig.result)(sig.result)} (${sig.reason}) d=${sig.domain || '?'} s=${sig.selector || '?'}${sig.result === 'pass' ? '' : `: ${sig.detail}`}`);
  }
  const sealer = arc.instances.length > 0 ? ` newest sealer ${arc.instances[arc.instances.length - 1]!.domain || '?'} (i=${arc.instances.length})` : '';
  lines.push(`${pc.bold('arc')}:   ${colourOf(arc.cv)(arc.cv)} (${arc.reason})${sealer}; trusted-sealer policy: ${arc.policy.reason}`);
  lines.push(`${pc.bold('dmarc')}: ${colourOf(dmarc.result)(dmarc.result)} (${dmarc.reason}) header.from=${dmarc.fromDomain || '(none)'}${policyText(dmarc)}`);
  for (const line of explainDmarc(dmarc)) lines.push(`  ${line}`);
  const action = disposition.action === 'none' ? pc.green : pc.red;
  lines.push(`${pc.bold('disposition')}: ${action(disposition.action)} (${disposition.reason}) ${disposition.detail}`);
  lines.push(result.authenticationResults.replace(/\r\n/g, '\n'));
  return lines.join('\n') + '\n';
}

function policyText(dmarc: DmarcResult): string {
  const p = dmarc.policy;
  if (p === undefined) return '';
  return `; policy ${p.selectedBy}=${p.requested} from _dmarc.${p.domain}${dmarc.testing ? ' (t=y)' : ''}`;
}

/** Why DMARC passed or failed: which identifier aligned, which did not and why. */
export function explainDmarc(dmarc: DmarcResult): string[] {
  const out: string[] = [];
  if (dmarc.result === 'pass' || dmarc.result === 'fail') {
    const spf = dmarc.alignment.spf;
    const author = dmarc.fromDomain;
    const spfWhy = spf.aligned
      ? `aligned: SPF ${spf.result} for ${spf.domain} (${spf.note}, aspf=${spf.mode})`
      : spf.domain === ''
        ? `not aligned: no SPF-authenticated domain (${spf.note})`
        : `not aligned: SPF ${spf.result} for ${spf.domain}${spf.result === 'pass' ? ` but ${spf.note} with ${author} (aspf=${spf.mode})` : ` (${spf.note})`}`;
    out.push(`SPF  ${spf.aligned ? pc.green('✓') : pc.red('✗')} ${spfWhy}`);
    if (dmarc.alignment.dkim.length === 0) out.push(`DKIM ${pc.red('✗')} not aligned: no DKIM signature`);
    for (const d of dmarc.alignment.dkim) {
      const why = d.aligned
        ? `aligned: d=${d.domain} passed (${d.note}, adkim=${d.mode})`
        : d.result === 'pass'
          ? `not aligned: d=${d.domain} passed but ${d.note} with ${author} (adkim=${d.mode})`
          : `not aligned: d=${d.domain || '?'} did not pass (${d.result})`;
      out.push(`DKIM ${d.aligned ? pc.green('✓') : pc.red('✗')} ${why}`);
    }
    out.push(dmarc.result === 'pass' ? 'DMARC passes: at least one identifier is authenticated and aligned with the From domain.' : 'DMARC fails: no authenticated identifier is aligned with the From domain.');
  } else {
    out.push(dmarc.detail);
  }
  return out;
}

function explanationJson(e: ForwardingExplanation): unknown {
  const summary = (r: VerifyResult) => ({
    spf: r.spf.result,
    dkim: r.dkim.signatures.map((s) => ({ result: s.result, domain: s.domain, reason: s.reason })),
    dmarc: { result: r.dmarc.result, reason: r.dmarc.reason },
    arc: { cv: r.arc.cv, policy: r.arc.policy.reason },
    disposition: r.disposition,
    authenticationResults: r.authenticationResults,
  });
  return {
    origin: e.origin,
    forwarder: e.forwarder,
    receiver: e.receiver,
    originIp: e.originIp,
    forwarderIp: e.forwarderIp,
    sender: e.sender,
    modifies: e.modifies,
    atForwarder: summary(e.atForwarder),
    variants: e.variants.map((v) => ({ name: v.name, srs: v.srs, sealed: v.arc, mailFrom: v.mailFrom, ...summary(v.result) })),
  };
}

/** The explain-forwarding table and what it means. */
export function renderExplanation(e: ForwardingExplanation): string {
  const lines: string[] = [];
  lines.push(`${pc.bold(e.origin)} (${e.originIp}) → ${pc.bold(e.forwarder)} (forwarder, ${e.forwarderIp}) → ${pc.bold(e.receiver)}`);
  const signed = e.atForwarder.dkim.signatures.some((s) => s.domain === e.origin) ? `DKIM d=${e.origin}` : 'no DKIM signature';
  lines.push(`origin MAIL FROM ${e.sender}, ${signed}, DMARC ${e.atForwarder.dmarc.policy ? `p=${e.atForwarder.dmarc.policy.requested}` : 'none'}; forwarder modifies the message: ${e.modifies ? 'yes (subject tag, footer)' : 'no'}`);
  lines.push(`at the forwarder: spf=${e.atForwarder.spf.result} dkim=${dkimText(e.atForwarder)} dmarc=${e.atForwarder.dmarc.result}`);
  lines.push('');
  const rows = e.variants.map((v) => {
    const r = v.result;
    const aligned = r.dmarc.reason === 'aligned-dkim' ? ' (DKIM)' : r.dmarc.reason === 'aligned-spf' ? ' (SPF)' : '';
    const spfAligned = r.dmarc.alignment.spf.aligned ? 'aligned' : 'unaligned';
    return [
      v.name,
      v.srs ? 'SRS (forwarder)' : 'original',
      `${r.spf.result}${r.spf.result === 'pass' ? `, ${spfAligned}` : ''}`,
      dkimText(r),
      `${r.dmarc.result}${aligned}`,
      `${r.arc.cv}${r.arc.policy.applied ? ', trusted' : ''}`,
      `${r.disposition.action} (${r.disposition.reason})`,
    ];
  });
  lines.push(table(['variant', 'MAIL FROM', 'SPF', 'DKIM', 'DMARC', 'ARC', 'disposition'], rows));
  lines.push('');
  lines.push('SPF checks the forwarder IP: the original MAIL FROM fails (the origin SPF does not list it); SRS passes for the forwarder domain, which is not aligned with From.');
  lines.push(e.modifies ? 'DKIM breaks: the forwarder changed the subject and body.' : 'DKIM survives: the forwarder did not change the signed content.');
  lines.push('ARC: the receiver trusts the forwarder as a sealer; when DMARC fails, the forwarder\'s sealed results let local policy deliver (arc-trusted-forwarder).');
  return lines.join('\n') + '\n';
}

function dkimText(r: VerifyResult): string {
  if (r.dkim.signatures.length === 0) return 'none';
  return r.dkim.signatures.map((s) => `${s.result}${s.result === 'pass' ? '' : ` (${s.reason})`}`).join(', ');
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
