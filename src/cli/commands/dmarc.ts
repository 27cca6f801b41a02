// `mailflow dmarc check DOMAIN` and `mailflow psl update --file F`: thin layers over src/auth/dmarc.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from '../colors.js';
import {
  defaultPslPath,
  discoverDmarcPolicy,
  installPublicSuffixList,
  loadPublicSuffixList,
  normalizeDomain,
  organizationalDomain,
  type DmarcDiscovery,
  type DmarcMode,
  type DmarcRecordIssue,
  type OrgDomainResult,
  type PublicSuffixList,
} from '../../auth/dmarc/index.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { parseDmarcMode } from '../option-values.js';
import { registerDmarcReportCommand } from './dmarc-report.js';

interface CheckOptions {
  mode?: string;
  psl?: string;
}

/** Registers the `dmarc` and `psl` command groups on the program. */
export function registerDmarcCommands(program: Command, io: CliIO): void {
  const dmarc = program.command('dmarc').description('DMARC (RFC 9989, RFC 7489 mode): discover and check policies, read aggregate reports');

  dmarc
    .command('check')
    .description("discover a domain's DMARC policy as a receiver would, and list record problems with fixes")
    .argument('<domain>', 'the author (RFC5322.From) domain to check')
    .option('--mode <mode>', 'rfc9989 (DNS tree walk, default) or rfc7489 (Public Suffix List)', 'rfc9989')
    .option('--psl <file>', 'RFC 7489 mode: use this public_suffix_list.dat instead of the installed one')
    .action(async (domain: string, options: CheckOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & CheckOptions>();
      const mode = parseDmarcMode(options.mode);
      const normal = normalizeDomain(domain);
      if (!normal.ok) throw new UsageError('bad-domain', `'${domain}' is not a domain name: ${normal.error.message}`);
      const psl = options.psl === undefined ? undefined : readPsl(options.psl);
      const context = buildContext(globals);
      const discovery = await discoverDmarcPolicy(normal.value, { resolver: context.resolver, mode, ...(psl ? { psl } : {}) });
      const org = await organizationalDomain(normal.value, { resolver: context.resolver, mode, ...(psl ? { psl } : {}) });
      if (context.json) {
        printJson(io, { domain: normal.value, mode, discovery, organizationalDomain: org });
        return;
      }
      io.stdout(renderCheck(normal.value, mode, discovery, org));
    });

  registerDmarcReportCommand(dmarc, io);

  const psl = program.command('psl').description('the Public Suffix List data file (used by DMARC RFC 7489 mode)');
  psl
    .command('update')
    .description('validate a public_suffix_list.dat and install it as the list mailflow uses')
    .requiredOption('--file <file>', 'the new public_suffix_list.dat (e.g. from https://publicsuffix.org/list/)')
    .option('--to <path>', 'install here instead of the default location')
    .action((options: { file: string; to?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const destination = options.to ?? defaultPslPath();
      const result = installPublicSuffixList(options.file, destination);
      if (!result.ok) {
        if (result.error.code === 'unwritable') throw new Error(result.error.message);
        const where = result.error.line > 0 ? ` (line ${result.error.line})` : '';
        throw new UsageError(`psl-${result.error.code}`, `${options.file} was not installed: ${result.error.message}${where}`);
      }
      if (globals.json) printJson(io, result);
      else io.stdout(`installed ${result.rules} rules (${result.privateRules} private) from ${options.file} to ${result.path}\n`);
    });
}

/** Reads a public_suffix_list.dat named on the command line; UsageError `psl-unreadable` / `psl-<parse code>`. */
export function readPsl(path: string): PublicSuffixList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('psl-unreadable', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const loaded = loadPublicSuffixList(text);
  if (!loaded.ok) throw new UsageError(`psl-${loaded.error.code}`, `${path}: ${loaded.error.message}`);
  return loaded.value;
}

function renderCheck(domain: string, mode: DmarcMode, discovery: DmarcDiscovery, org: OrgDomainResult): string {
  const lines = [`${pc.bold(domain)} (${mode === 'rfc9989' ? 'RFC 9989 tree walk' : 'RFC 7489, Public Suffix List'})`];
  const orgText = org.kind === 'found' ? `${org.domain} (${org.rule})` : pc.yellow(`unknown: ${org.detail}`);
  lines.push(`  organizational domain: ${orgText}`);
  switch (discovery.kind) {
    case 'found': {
      const { policy } = discovery;
      const record = policy.parsed;
      lines.push(`  record at _dmarc.${policy.domain} (${policy.source}): ${policy.record}`);
      const p = record.pStatus === 'valid' ? record.p! : record.rua.length > 0 ? 'none (no valid p, rua present)' : pc.red('none: no valid p and no rua, DMARC not applied');
      const applies = policy.domain === domain ? `p=${p}` : `sp=${record.sp ?? `${p} (p applies: no sp)`}${record.np ? `, np=${record.np} if ${domain} does not exist` : ''}`;
      lines.push(`  policy for ${domain}: ${applies}${record.testing ? pc.yellow(' (t=y: testing, applied one step weaker)') : ''}`);
      lines.push(`  alignment: adkim=${record.adkim} aspf=${record.aspf}   psd=${record.psd}`);
      if (record.rua.length) lines.push(`  aggregate reports: ${record.rua.map((u) => u.uri).join(', ')}`);
      if (record.ruf.length) lines.push(`  failure reports: ${record.ruf.map((u) => u.uri).join(', ')}`);
      if (record.issues.length === 0) lines.push(`  ${pc.green('no problems found')}`);
      for (const issue of record.issues) lines.push(...renderIssue(issue));
      break;
    }
    case 'none':
      lines.push(`  ${pc.yellow('no DMARC policy')} (${discovery.reason}): ${discovery.detail}`);
      if (discovery.reason === 'no-record') lines.push(`          fix: publish a TXT record at _dmarc.${domain}, e.g. "v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}"`);
      else lines.push(`          fix: keep exactly one v=DMARC1 TXT record at _dmarc.${domain}`);
      break;
    case 'permerror':
      lines.push(`  ${pc.red('permerror')} (${discovery.reason}): ${discovery.detail}`);
      break;
    case 'temperror':
      lines.push(`  ${pc.yellow('temperror')} (${discovery.reason}): ${discovery.detail}`);
      break;
  }
  lines.push(`  queries: ${discovery.queries.map((q) => `${q.name} → ${q.outcome}`).join(', ') || '(none)'}`);
  return lines.join('\n') + '\n';
}

function renderIssue(issue: DmarcRecordIssue): string[] {
  const tag = issue.severity === 'error' ? pc.red('error  ') : issue.severity === 'warning' ? pc.yellow('warning') : pc.cyan('info   ');
  return [`  ${tag} ${issue.code}${issue.tag ? ` (${issue.tag})` : ''} at offset ${issue.offset}: ${issue.message}`, `          fix: ${issue.fix}`];
}
