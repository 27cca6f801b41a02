// The daily TLS-RPT job (RFC 8460 §4.1: reports cover one UTC day): for each policy domain with sessions
// that day, the report (buildTlsRptReport over the collector's counts), its §5.3 file name and gzip body,
// and where the domain wants it (`_smtp._tls` rua). `writeDailyTlsRptReports` keeps each report as a file
// under DATA_DIR/tlsrpt/; tlsrpt-send.ts sends each file to the rua URIs (docs/tlsrpt.md, "Sending").

import { mkdirSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DnsResolver } from '../../core/dns/types.js';
import { buildTlsRptReport, gzipTlsRpt, tlsRptFilename } from '../../reports/tlsrpt/generate.js';
import type { TlsRptCollector, TlsRptReport } from '../../reports/tlsrpt/types.js';
import { lookupTlsRpt } from '../../transport/tlsrpt/record.js';
import type { TlsRptRecord } from '../../transport/tlsrpt/record.js';

export const DAY_MS = 86_400_000;
/** Reports for a day are built this long after it ended, so that sessions still in flight at midnight count. */
export const REPORT_DELAY_MS = 15 * 60_000;
/** Days of counts kept after their report was built (a rebuild after a failed send stays possible). */
export const KEEP_DAYS = 7;

export interface TlsRptReportSettings {
  /** RFC 8460 `organization-name`. */
  organizationName: string;
  /** RFC 8460 `contact-info` (an address or URL). */
  contactInfo: string;
  /** Our domain, in the file name and TLS-Report-Submitter (RFC 8460 §5.3). */
  submitter: string;
}

export interface DailyTlsRptReport {
  policyDomain: string;
  report: TlsRptReport;
  /** `submitter!policy-domain!begin!end.json.gz`. */
  filename: string;
  gzip: Buffer;
  /** The domain's reporting addresses, or why there are none (no record: nothing to send). */
  rua: TlsRptRecord['rua'] | { none: string; detail: string };
}

/** The start (00:00:00 UTC) of the day containing `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Builds the reports for the UTC day starting at `dayStart`: one per policy domain with recorded sessions,
 * with the domain's rua looked up through `resolver`. Never throws for DNS outcomes.
 */
export async function buildDailyTlsRptReports(
  dayStart: number,
  collector: TlsRptCollector,
  resolver: DnsResolver,
  settings: TlsRptReportSettings,
): Promise<DailyTlsRptReport[]> {
  const out: DailyTlsRptReport[] = [];
  for (const policyDomain of await collector.domains(dayStart, dayStart + DAY_MS)) {
    const policies = await collector.collect(policyDomain, dayStart, dayStart + DAY_MS);
    if (policies.length === 0) continue;
    const report = buildTlsRptReport({ organizationName: settings.organizationName, contactInfo: settings.contactInfo, dayStart, policies });
    const discovery = await lookupTlsRpt(policyDomain, resolver);
    out.push({
      policyDomain,
      report,
      filename: tlsRptFilename({ submitter: settings.submitter, policyDomain, report }),
      gzip: gzipTlsRpt(report),
      rua: discovery.kind === 'record' ? discovery.record.rua : { none: discovery.reason, detail: discovery.detail },
    });
  }
  return out;
}

/**
 * Runs the job for one day: builds the reports, writes each gzip file under `dir` (write to a temporary
 * name, then rename, so a crash leaves no half file), prunes counts older than KEEP_DAYS. A day whose files
 * already exist is not built again. Returns the reports it wrote.
 */
export async function writeDailyTlsRptReports(
  dayStart: number,
  dir: string,
  collector: TlsRptCollector,
  resolver: DnsResolver,
  settings: TlsRptReportSettings,
): Promise<DailyTlsRptReport[]> {
  const marker = join(dir, `.done-${new Date(dayStart).toISOString().slice(0, 10)}`);
  if (existsSync(marker)) return [];
  mkdirSync(dir, { recursive: true });
  const reports = await buildDailyTlsRptReports(dayStart, collector, resolver, settings);
  for (const r of reports) {
    const file = join(dir, r.filename);
    writeFileSync(`${file}.tmp`, r.gzip);
    renameSync(`${file}.tmp`, file);
  }
  writeFileSync(marker, `${reports.length}\n`);
  await collector.prune(dayStart - KEEP_DAYS * DAY_MS);
  return reports;
}

/**
 * The daily hook: after each UTC day ends (plus REPORT_DELAY_MS) calls `run(dayStart)` for that day; at
 * start it also runs for yesterday (a gateway that was down at midnight). Returns a stop function.
 * Errors go to `onError`; the next day runs regardless.
 */
export function scheduleDailyTlsRpt(
  now: () => number,
  run: (dayStart: number) => Promise<unknown>,
  onError: (error: unknown) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fire = (dayStart: number): void => {
    run(dayStart).catch(onError).finally(() => {
      if (!stopped) plan();
    });
  };
  const plan = (): void => {
    const today = utcDayStart(now());
    const due = today + DAY_MS + REPORT_DELAY_MS;
    timer = setTimeout(() => fire(today), Math.max(0, due - now()));
    timer.unref();
  };
  const yesterday = utcDayStart(now()) - DAY_MS;
  if (now() >= yesterday + DAY_MS + REPORT_DELAY_MS) fire(yesterday);
  else plan();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
