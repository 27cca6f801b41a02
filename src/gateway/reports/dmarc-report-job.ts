// DMARC aggregate reports from the gateway (RFC 9990): after each UTC day, for each policy domain with recorded
// messages whose DMARC record (looked up then) has `rua`, the report is built (generate.ts), written under
// DATA_DIR/dmarc-reports/ with its RFC 9990 §3.1 file name and a `<file>.state.json` listing its mailto: URIs,
// then mailed to each (RFC 9990 §3.2: gzip'd XML attached as application/gzip, Subject "Report Domain: …
// Submitter: … Report-ID: <…>"), DKIM-signed, through our queue, exactly once across crashes, with the state,
// retry and scheduling pieces TLS-RPT uses (report-send-state.ts). A rua in another Organizational Domain
// needs `<policy-domain>._report._dmarc.<rua-domain>` TXT "v=DMARC1…" (RFC 9989 §4.6 / RFC 9990 §3.3,
// external destination verification): without it the URI is skipped and logged.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverDmarcPolicy, organizationalDomain } from '../../auth/dmarc/discover.js';
import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { generateDmarcReport } from '../../reports/dmarc/generate.js';
import { reportMail } from '../../reports/report-mail.js';
import { parseDmarcReport } from '../../reports/dmarc/parse.js';
import type { DmarcAggregateReport } from '../../reports/dmarc/types.js';
import {
  finish, mailtoAddress, newState, queueReportMail, readState, recordAttempt, STATE_SUFFIX, writeState,
  type Attempt, type ReportLog, type ReportMailDeps, type SendRunResult, type UriState,
} from '../delivery/report-send-state.js';
import { DAY_MS } from '../delivery/tlsrpt-job.js';
import type { DmarcRecordStore } from './dmarc-records.js';

/** Days of records kept after their report was built. */
export const KEEP_DAYS = 7;
/** mailto: URIs a report goes to (RFC 9989 §4.6 asks receivers to support at least two). */
export const MAX_REPORT_URIS = 10;
/** The reporting software, in `generator`. */
export const GENERATOR = 'mailflow';

export interface DmarcReportSettings {
  /** RFC 9990 `org_name`. */
  orgName: string;
  /** RFC 9990 `email`; also the From of report mail. */
  email: string;
  /** Our domain: `receiver` in file names, `Submitter` in the Subject. */
  receiver: string;
  /** The DMARC discovery mode of inbound checks (policy_published/discovery_method). */
  mode: 'rfc9989' | 'rfc7489';
}

export interface DmarcJobDeps {
  /** DATA_DIR/dmarc-reports. */
  dir: string;
  store: DmarcRecordStore;
  resolver: DnsResolver;
  settings: DmarcReportSettings;
  log: ReportLog;
}

/**
 * Builds and writes the reports for the UTC day starting at `dayStart` (once: a `.done-DATE` marker), each with
 * its state file (written first, so every report file has one), then prunes records older than KEEP_DAYS.
 * Domains without a record, or whose record has no rua, get no report. Returns the file names written.
 */
export async function writeDailyDmarcReports(dayStart: number, deps: DmarcJobDeps, now: number): Promise<string[]> {
  const marker = join(deps.dir, `.done-${new Date(dayStart).toISOString().slice(0, 10)}`);
  if (existsSync(marker)) return [];
  mkdirSync(deps.dir, { recursive: true });
  const written: string[] = [];
  for (const domain of await deps.store.domains(dayStart, dayStart + DAY_MS)) {
    const discovery = await discoverDmarcPolicy(domain, { resolver: deps.resolver, mode: deps.settings.mode });
    if (discovery.kind !== 'found') {
      deps.log(discovery.kind === 'temperror' ? 'warn' : 'debug', 'dmarc-report-not-sent', { domain, reason: discovery.reason, message: discovery.detail });
      continue;
    }
    const record = discovery.policy.parsed;
    const uris = record.rua.filter((u) => u.scheme === 'mailto').slice(0, MAX_REPORT_URIS);
    for (const u of record.rua.filter((r) => r.scheme !== 'mailto')) deps.log('info', 'dmarc-report-skipped', { domain, uri: u.uri, reason: 'unsupported-scheme', message: 'RFC 9990 defines mailto: only' });
    if (uris.length === 0) {
      deps.log('debug', 'dmarc-report-not-sent', { domain, reason: 'no-rua', message: `the DMARC record of ${discovery.policy.domain} asks for no aggregate reports` });
      continue;
    }
    const report: DmarcAggregateReport = {
      metadata: {
        orgName: deps.settings.orgName,
        email: deps.settings.email,
        reportId: `${new Date(dayStart).toISOString().slice(0, 10).replace(/-/g, '')}.${randomBytes(8).toString('hex')}@${deps.settings.receiver}`,
        dateRange: { begin: dayStart / 1000, end: (dayStart + DAY_MS) / 1000 - 1 },
        errors: [],
        generator: GENERATOR,
      },
      policyPublished: {
        domain: discovery.policy.domain,
        p: record.p ?? 'none',
        ...(record.sp === undefined ? {} : { sp: record.sp }),
        ...(record.np === undefined ? {} : { np: record.np }),
        adkim: record.adkim === 'strict' ? 's' : 'r',
        aspf: record.aspf === 'strict' ? 's' : 'r',
        discoveryMethod: deps.settings.mode === 'rfc9989' ? 'treewalk' : 'psl',
        testing: record.testing ? 'y' : 'n',
      },
      records: await deps.store.collect(domain, dayStart, dayStart + DAY_MS),
    };
    if (report.records.length === 0) continue;
    const output = generateDmarcReport(report, { receiver: deps.settings.receiver });
    const file = join(deps.dir, output.filename);
    const state = newState(domain, now);
    state.rua = uris.map((u) => ({ uri: u.uri, scheme: 'mailto', status: 'pending', attempts: 0, ...(u.maxBytes === undefined ? {} : { maxBytes: u.maxBytes }) }));
    writeState(`${file}${STATE_SUFFIX}`, state);
    writeFileSync(`${file}.tmp`, output.gzip);
    renameSync(`${file}.tmp`, file);
    written.push(output.filename);
  }
  writeFileSync(marker, `${written.length}\n`);
  await deps.store.prune(dayStart - KEEP_DAYS * DAY_MS);
  return written;
}

export interface DmarcSenderDeps extends ReportMailDeps {
  dir: string;
  resolver: DnsResolver;
  clock: Clock;
  settings: DmarcReportSettings;
  log: ReportLog;
}

/**
 * Sends what is due among the report files in `deps.dir` to their mailto: URIs; finished reports move to
 * `sent/` or `unsent/`. Never throws for DNS or address outcomes; file system errors do throw.
 */
export async function sendPendingDmarcReports(deps: DmarcSenderDeps): Promise<SendRunResult> {
  if (!existsSync(deps.dir)) return { pending: 0 };
  let pending = 0;
  let nextDueAt: number | undefined;
  for (const file of readdirSync(deps.dir).filter((f) => f.endsWith('.xml.gz')).sort()) {
    const due = await sendOne(file, deps);
    if (due !== undefined) {
      pending++;
      nextDueAt = Math.min(nextDueAt ?? due, due);
    }
  }
  return nextDueAt === undefined ? { pending } : { pending, nextDueAt };
}

async function sendOne(file: string, deps: DmarcSenderDeps): Promise<number | undefined> {
  const now = deps.clock.now();
  const path = join(deps.dir, file);
  const state = readState(`${path}${STATE_SUFFIX}`);
  const gzip = readFileSync(path);
  const parsed = await parseDmarcReport(gzip);
  if (state === undefined || !parsed.ok) {
    deps.log('warn', 'dmarc-report-send-failed', { file, outcome: 'unreadable-report', message: state === undefined ? 'no state file' : parsed.ok ? '' : parsed.error.message });
    finish(deps.dir, file, 'unsent');
    return undefined;
  }
  const report = parsed.value;
  for (const u of (state.rua ?? []).filter((x) => x.status === 'pending' && (x.nextAttemptAt ?? 0) <= now)) {
    const attempt = await mailReport(u, { file, gzip, report, policyDomain: state.policyDomain }, deps, () => writeState(`${path}${STATE_SUFFIX}`, state));
    recordAttempt(u, attempt, state, deps.clock.now(), deps.log, 'dmarc-report');
    writeState(`${path}${STATE_SUFFIX}`, state);
  }
  const waiting = (state.rua ?? []).filter((u) => u.status === 'pending');
  if (waiting.length > 0) return Math.min(...waiting.map((u) => u.nextAttemptAt ?? now));
  finish(deps.dir, file, (state.rua ?? []).some((u) => u.status === 'sent') ? 'sent' : 'unsent');
  return undefined;
}

interface LoadedReport {
  file: string;
  gzip: Buffer;
  report: DmarcAggregateReport;
  policyDomain: string;
}

async function mailReport(u: UriState, loaded: LoadedReport, deps: DmarcSenderDeps, persist: () => void): Promise<Attempt> {
  const to = mailtoAddress(u.uri);
  if (typeof to !== 'string') return { ok: false, permanent: true, error: to.error };
  const allowed = await externalDestinationAllowed(loaded.policyDomain, to.slice(to.lastIndexOf('@') + 1), deps);
  if (allowed !== 'yes') {
    if (allowed === 'no') deps.log('warn', 'dmarc-report-unauthorised', { domain: loaded.policyDomain, uri: u.uri, message: `no ${loaded.policyDomain}._report._dmarc record authorises reports to ${to}` });
    return { ok: false, permanent: allowed === 'no', error: allowed === 'no' ? 'external destination not authorised' : `external destination check failed: ${allowed.error}` };
  }
  const now = deps.clock.now();
  const mail = dmarcReportMail({ report: loaded.report, gzip: loaded.gzip, filename: loaded.file, from: deps.settings.email, to, submitter: deps.settings.receiver, policyDomain: loaded.policyDomain, date: now });
  // `!size` (RFC 7489 §6.2; obsolete in RFC 9989, §C.4): the Domain Owner's limit is still honoured, by not sending.
  if (u.maxBytes !== undefined && mail.length > u.maxBytes) {
    deps.log('warn', 'dmarc-report-skipped', { domain: loaded.policyDomain, uri: u.uri, reason: 'size', message: `the report mail (${mail.length} bytes) is over the URI's !size limit (${u.maxBytes})` });
    return { ok: false, permanent: true, error: `over the !size limit of ${u.maxBytes} bytes` };
  }
  return queueReportMail(u, {
    to,
    now,
    build: () => mail,
    listener: 'dmarc-report',
    traceEvent: { kind: 'policy', data: { stage: 'dmarc-report', decision: 'report', policyDomain: loaded.policyDomain, reportId: loaded.report.metadata.reportId, file: loaded.file } },
  }, deps, persist);
}

/**
 * RFC 9990 §3.3 (external destination verification): a rua whose host is in another Organizational Domain
 * than the policy domain must be authorised by a TXT record starting `v=DMARC1` at
 * `<policy-domain>._report._dmarc.<rua-domain>`. `yes`, `no` or a DNS error (retried).
 */
export async function externalDestinationAllowed(policyDomain: string, ruaDomain: string, deps: { resolver: DnsResolver; settings: { mode: 'rfc9989' | 'rfc7489' } }): Promise<'yes' | 'no' | { error: string }> {
  const options = { resolver: deps.resolver, mode: deps.settings.mode };
  const [a, b] = await Promise.all([organizationalDomain(policyDomain, options), organizationalDomain(ruaDomain, options)]);
  if (a.kind === 'temperror') return { error: a.detail };
  if (b.kind === 'temperror') return { error: b.detail };
  if (a.domain.toLowerCase() === b.domain.toLowerCase()) return 'yes';
  const answer = await deps.resolver.resolve(`${policyDomain}._report._dmarc.${ruaDomain}`, 'TXT');
  if (answer.kind === 'nxdomain' || answer.kind === 'nodata') return 'no';
  if (answer.kind !== 'records') return { error: `${answer.kind}` };
  return answer.records.some((r) => /^v=DMARC1(\s*;|\s*$)/i.test(r.data.join(''))) ? 'yes' : 'no';
}

/** RFC 9990 §3.2: the report as a MIME mail, the gzip'd XML attached as application/gzip. */
export function dmarcReportMail(input: { report: DmarcAggregateReport; gzip: Buffer; filename: string; from: string; to: string; submitter: string; policyDomain: string; date: number }): Buffer {
  return reportMail(
    {
      from: input.from, to: input.to, date: input.date, policyDomain: input.policyDomain, submitter: input.submitter, reportId: input.report.metadata.reportId,
      multipart: 'multipart/mixed',
      boundary: `dmarc-${randomBytes(12).toString('hex')}`,
      text: `This is a DMARC aggregate report from ${input.submitter} for ${input.policyDomain} (RFC 9990).`,
      attachment: { contentType: 'application/gzip', filename: input.filename, data: input.gzip },
    },
    'dmarcReportMail',
  );
}
