// `mailflow dmarc report FILE…`: read DMARC aggregate reports (RFC 9990 / RFC 7489 XML, .xml.gz, .zip, or the
// mail they came in) and show who sent mail as the domain and how it fared. A thin layer over
// src/reports/dmarc; a file that is not a report is a result (reported, exit 0), not a usage error.

import type { Command } from 'commander';
import pc from '../colors.js';
import { parseDmarcReport, type DmarcAggregateReport, type DmarcParseResult } from '../../reports/dmarc/index.js';
import { assertReadable, assertStdinOnce, readMessageArgument, STDIN_ARGUMENT } from '../input-files.js';
import { printFileJson, type CliIO } from '../output.js';
import type { GlobalOptions } from '../context.js';

/** Per report: totals and the sources behind them, largest first. */
export interface DmarcReportSummary {
  org: string;
  reportId: string;
  domain: string;
  policy: string;
  begin: string;
  end: string;
  messages: number;
  /** Messages whose DMARC evaluation passed (DKIM or SPF aligned). */
  passed: number;
  failed: number;
  dispositions: Record<string, number>;
  sources: { ip: string; messages: number; passed: number; headerFrom: string[] }[];
}

/** Adds up a parsed report: passed means DKIM or SPF aligned-pass in policy_evaluated. */
export function summarizeDmarcReport(report: DmarcAggregateReport): DmarcReportSummary {
  const dispositions: Record<string, number> = {};
  const bySource = new Map<string, { ip: string; messages: number; passed: number; headerFrom: Set<string> }>();
  let messages = 0;
  let passed = 0;
  for (const record of report.records) {
    const pe = record.policyEvaluated;
    const ok = pe.dkim === 'pass' || pe.spf === 'pass';
    messages += record.count;
    if (ok) passed += record.count;
    const disposition = pe.disposition ?? 'unknown';
    dispositions[disposition] = (dispositions[disposition] ?? 0) + record.count;
    const source = bySource.get(record.sourceIp) ?? { ip: record.sourceIp, messages: 0, passed: 0, headerFrom: new Set<string>() };
    source.messages += record.count;
    if (ok) source.passed += record.count;
    source.headerFrom.add(record.identifiers.headerFrom);
    bySource.set(record.sourceIp, source);
  }
  const p = report.policyPublished;
  return {
    org: report.metadata.orgName,
    reportId: report.metadata.reportId,
    domain: p.domain,
    policy: `p=${p.p ?? '?'}${p.sp !== undefined ? ` sp=${p.sp}` : ''}${p.adkim !== undefined ? ` adkim=${p.adkim}` : ''}${p.aspf !== undefined ? ` aspf=${p.aspf}` : ''}`,
    begin: new Date(report.metadata.dateRange.begin * 1000).toISOString(),
    end: new Date(report.metadata.dateRange.end * 1000).toISOString(),
    messages,
    passed,
    failed: messages - passed,
    dispositions,
    sources: [...bySource.values()]
      .sort((a, b) => b.messages - a.messages || a.ip.localeCompare(b.ip))
      .map((s) => ({ ip: s.ip, messages: s.messages, passed: s.passed, headerFrom: [...s.headerFrom].sort() })),
  };
}

const SOURCES_SHOWN = 10;

function render(file: string, result: DmarcParseResult, several: boolean): string {
  const head = several ? `${pc.bold(file)}\n` : '';
  if (!result.ok) return `${head}${pc.red('not a DMARC report')}: ${result.error.code}: ${result.error.message}\n`;
  const s = summarizeDmarcReport(result.value);
  const rate = s.messages === 0 ? 0 : Math.round((s.passed / s.messages) * 1000) / 10;
  const lines = [
    `${s.org} about ${pc.bold(s.domain)} (${s.policy}), ${s.begin} → ${s.end}, report ${s.reportId}`,
    `${s.messages} messages: ${pc.green(`${s.passed} passed`)} (${rate}%), ${s.failed > 0 ? pc.red(`${s.failed} failed`) : '0 failed'}; ` +
      Object.entries(s.dispositions).map(([d, n]) => `${d} ${n}`).join(', '),
    ...s.sources.slice(0, SOURCES_SHOWN).map((src) => `  ${src.ip.padEnd(39)} ${String(src.messages).padStart(7)}  ${src.passed === src.messages ? pc.green('pass') : src.passed === 0 ? pc.red('fail') : pc.yellow(`${src.passed} pass`)}  ${src.headerFrom.join(', ')}`),
    ...(s.sources.length > SOURCES_SHOWN ? [`  … ${s.sources.length - SOURCES_SHOWN} more sources (--json lists all)`] : []),
    ...result.warnings.slice(0, 5).map((w) => pc.yellow(`  warning: ${w}`)),
  ];
  return `${head}${lines.join('\n')}\n`;
}

/** Registers `mailflow dmarc report` under the `dmarc` group. */
export function registerDmarcReportCommand(dmarc: Command, io: CliIO): void {
  dmarc
    .command('report')
    .description('read DMARC aggregate reports (XML, .xml.gz, .zip or the mail they came in): totals, pass rate, sources')
    .argument('<files...>', 'report files, - for standard input')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      assertStdinOnce(files);
      for (const file of files) if (file !== STDIN_ARGUMENT) await assertReadable(file);
      const several = files.length > 1;
      for (const file of files) {
        const result = await parseDmarcReport(await readMessageArgument(file));
        if (globals.json) {
          printFileJson(io, file, result.ok
            ? { ok: true, format: result.format, summary: summarizeDmarcReport(result.value), report: result.value, warnings: result.warnings }
            : { ok: false, error: result.error }, several);
        } else io.stdout(render(file, result, several));
      }
    });
}
