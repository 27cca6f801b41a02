// Sending the daily TLS-RPT reports (RFC 8460 §3, §5): each gzip file the daily job wrote under
// DATA_DIR/tlsrpt/ goes to every `rua` URI of its policy domain's `_smtp._tls` record — `https:` by POST with
// `Content-Type: application/tlsrpt+gzip` (§5.4), `mailto:` as a §5.3 multipart/report mail, DKIM-signed for
// the From domain when we have keys, handed to our own queue (so normal delivery and retries apply).
//
// What was done is kept beside each report in `<file>.state.json` (written atomically after every URI), so a
// restart neither resends nor forgets: a URI once sent is never tried again. A failed POST (or DNS lookup, or
// enqueue) is retried with backoff (RETRY_DELAYS_MS) and given up after GIVE_UP_AFTER_MS (§5.5: retry for up
// to 24 hours). When every URI is final the file and its state move to `sent/` (at least one URI took the
// report: §3 counts that as delivered) or `unsent/` (none did, or the domain has no reporting address).

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { HttpsPoster } from '../../adapters/https/poster.js';
import { parseTlsRptInput } from '../../reports/tlsrpt/parse.js';
import { tlsRptMail } from '../../reports/tlsrpt/generate.js';
import type { TlsRptReport } from '../../reports/tlsrpt/types.js';
import { lookupTlsRpt, MAX_RUA_URIS } from '../../transport/tlsrpt/record.js';
import type { TraceEventInput } from '../trace/types.js';
import type { LogLevel } from '../process/log.js';
import {
  finish, mailtoAddress, newState, nextRetry, queueReportMail, readState, recordAttempt, scheduleReportSending, STATE_SUFFIX, writeState,
  type Attempt, type ReportQueue, type SendRunResult, type UriState,
} from './report-send-state.js';

// The state, retry and scheduling pieces live in report-send-state.ts (shared with DMARC reports).
export { GIVE_UP_AFTER_MS, mailtoAddress, nextRetry, pruneFinishedReports, RETRY_DELAYS_MS, SENT_DIR, UNSENT_DIR, type ReportSendState, type SendRunResult, type UriState } from './report-send-state.js';
/** The TLS-RPT name of scheduleReportSending. */
export const scheduleTlsRptSending = scheduleReportSending;

/**
 * URIs a report goes to. RFC 8460 sets no limit; the record parser keeps the first MAX_RUA_URIS (10) and so do
 * we here, so a record listing hundreds cannot turn one report into hundreds of POSTs and mails.
 */
export const MAX_REPORT_URIS = MAX_RUA_URIS;
/** POST timeouts and how much of the answer is read (only its status matters). */
export const POST_CONNECT_TIMEOUT_MS = 10_000;
export const POST_TOTAL_TIMEOUT_MS = 30_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Report files larger than this are not sent (ours are far smaller: the collector caps failure details). */
export const MAX_REPORT_FILE_BYTES = 16 * 1024 * 1024;

export interface TlsRptSenderDeps {
  /** DATA_DIR/tlsrpt. */
  dir: string;
  resolver: DnsResolver;
  poster: HttpsPoster;
  /** Where report mail goes; `get` and `queryTrace` tell whether a mail queued before a crash is there. */
  queue: ReportQueue;
  clock: Clock;
  /** The report mail's From (RFC 8460 §5.3: DKIM-signed by the reporting domain). */
  from: string;
  /** TLS-Report-Submitter. */
  submitter: string;
  /** Our HELO name, recorded as the report mail's client. */
  hostname: string;
  /** A recipient in one of our domains is delivered inbound (like a DSN). */
  isLocalDomain?: (domain: string) => boolean;
  /** DKIM-signs the mail (DkimSigningSink.sign); the event says signed or why not, and goes to the trace. */
  sign?: (data: Buffer) => Promise<{ data: Buffer; event: TraceEventInput }>;
  /** Told after a report mail was queued (wakes the delivery engine). */
  onQueued?: () => void;
  log: (level: LogLevel, event: string, fields: Record<string, unknown>) => void;
}

/**
 * Sends what is due among the report files in `deps.dir`: new reports to every rua URI, failed URIs whose
 * retry time has come. Never throws for DNS, HTTPS or address outcomes (they are logged and retried or given
 * up); file system errors do throw.
 */
export async function sendPendingTlsRptReports(deps: TlsRptSenderDeps): Promise<SendRunResult> {
  if (!existsSync(deps.dir)) return { pending: 0 };
  const files = readdirSync(deps.dir).filter((f) => f.endsWith('.json.gz')).sort();
  let pending = 0;
  let nextDueAt: number | undefined;
  for (const file of files) {
    const due = await sendOne(file, deps);
    if (due !== undefined) {
      pending++;
      nextDueAt = nextDueAt === undefined ? due : Math.min(nextDueAt, due);
    }
  }
  return nextDueAt === undefined ? { pending } : { pending, nextDueAt };
}

/** Works on one report; returns when it is due again, or undefined when it is finished (and moved). */
async function sendOne(file: string, deps: TlsRptSenderDeps): Promise<number | undefined> {
  const now = deps.clock.now();
  const path = join(deps.dir, file);
  const loaded = readReport(path, file);
  if (!loaded.ok) {
    deps.log('warn', 'tlsrpt-send-failed', { file, outcome: 'unreadable-report', message: loaded.detail });
    finish(deps.dir, file, 'unsent');
    return undefined;
  }
  const state = readState(`${path}${STATE_SUFFIX}`) ?? newState(loaded.policyDomain, now);
  const save = (): void => writeState(`${path}${STATE_SUFFIX}`, state);

  if (state.rua === undefined && state.none === undefined) {
    if (state.lookup !== undefined && state.lookup.nextAttemptAt > now) return state.lookup.nextAttemptAt;
    const discovery = await lookupTlsRpt(state.policyDomain, deps.resolver);
    if (discovery.kind === 'record') {
      state.rua = discovery.record.rua.slice(0, MAX_REPORT_URIS).map((r) => ({ uri: r.uri, scheme: r.scheme, status: 'pending', attempts: 0 }));
      delete state.lookup;
    } else if (discovery.reason === 'dns-error') {
      const attempts = (state.lookup?.attempts ?? 0) + 1;
      const retryAt = nextRetry(attempts, now, state.firstSeenAt);
      if (retryAt === undefined) {
        deps.log('warn', 'tlsrpt-send-failed', { domain: state.policyDomain, file, outcome: 'gave-up', message: `no _smtp._tls answer after ${attempts} attempts: ${discovery.detail}` });
        state.none = { reason: discovery.reason, detail: discovery.detail };
      } else {
        state.lookup = { attempts, nextAttemptAt: retryAt, lastError: discovery.detail };
        deps.log('warn', 'tlsrpt-send-failed', { domain: state.policyDomain, file, outcome: 'dns-error', retryAt: new Date(retryAt).toISOString(), message: discovery.detail });
        save();
        return retryAt;
      }
    } else {
      state.none = { reason: discovery.reason, detail: discovery.detail };
      deps.log('debug', 'tlsrpt-not-sent', { domain: state.policyDomain, file, reason: discovery.reason, message: discovery.detail });
    }
    save();
  }

  const due = (state.rua ?? []).filter((u) => u.status === 'pending' && (u.nextAttemptAt ?? 0) <= now);
  // URIs of one report go out together; each result is saved as it comes so a crash keeps what was done.
  let saving = Promise.resolve();
  await Promise.all(
    due.map(async (u) => {
      const outcome = u.scheme === 'https' ? await postReport(u.uri, loaded.gzip, deps) : await mailReport(u, loaded, file, deps, save);
      recordAttempt(u, outcome, state, deps.clock.now(), deps.log, 'tlsrpt');
      saving = saving.then(save);
      await saving;
    }),
  );

  const waiting = (state.rua ?? []).filter((u) => u.status === 'pending');
  if (waiting.length > 0) return Math.min(...waiting.map((u) => u.nextAttemptAt ?? now));
  finish(deps.dir, file, (state.rua ?? []).some((u) => u.status === 'sent') ? 'sent' : 'unsent');
  return undefined;
}


/** RFC 8460 §5.4: POST the gzip'd report; any 2xx is a receipt. Redirects are not followed. */
async function postReport(uri: string, gzip: Buffer, deps: TlsRptSenderDeps): Promise<Attempt> {
  const target = reportUrl(uri);
  if (typeof target !== 'string') return { ok: false, permanent: true, error: target.error };
  const answer = await deps.poster.post({
    url: target,
    contentType: 'application/tlsrpt+gzip',
    body: gzip,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    connectTimeoutMs: POST_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: POST_TOTAL_TIMEOUT_MS,
  });
  if (answer.kind === 'error') return { ok: false, permanent: false, error: `${answer.error}: ${answer.detail}` };
  if (answer.status >= 200 && answer.status < 300) return { ok: true, outcome: `HTTP ${answer.status}` };
  const location = answer.status >= 300 && answer.status < 400 ? ` (redirect to ${answer.headers.location ?? '?'} not followed)` : '';
  return { ok: false, permanent: false, error: `HTTP ${answer.status}${location}` };
}

/**
 * An `https:` rua as a URL we are willing to POST to, or why not: no user info (it would be sent as
 * credentials) and no address literal (no certificate names one; it would only serve to reach inside networks).
 */
export function reportUrl(uri: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { error: `not a URL: ${uri}` };
  }
  if (url.protocol !== 'https:') return { error: `not https: ${uri}` };
  if (url.username !== '' || url.password !== '') return { error: 'user info in the URI is refused' };
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return { error: 'an address literal host is refused (no WebPKI name)' };
  return url.href;
}



/** RFC 8460 §5.3: the report as a multipart/report mail, DKIM-signed, queued for delivery (exactly once). */
async function mailReport(u: UriState, report: LoadedReport, file: string, deps: TlsRptSenderDeps, persist: () => void): Promise<Attempt> {
  const to = mailtoAddress(u.uri);
  if (typeof to !== 'string') return { ok: false, permanent: true, error: to.error };
  const now = deps.clock.now();
  return queueReportMail(u, {
    to,
    now,
    build: () => tlsRptMail({ report: report.report, submitter: deps.submitter, policyDomain: report.policyDomain, from: deps.from, to, date: now, gzip: report.gzip, filename: file }),
    listener: 'tlsrpt',
    // RFC 8460 §3: delivered despite TLS failures, and not counted in our next report.
    tlsReport: true,
    traceEvent: { kind: 'policy', data: { stage: 'tlsrpt', decision: 'report', policyDomain: report.policyDomain, reportId: report.report.reportId, file } },
  }, deps, persist);
}

interface LoadedReport {
  ok: true;
  policyDomain: string;
  report: TlsRptReport;
  gzip: Buffer;
}

function readReport(path: string, file: string): LoadedReport | { ok: false; detail: string } {
  const gzip = readFileSync(path);
  if (gzip.length > MAX_REPORT_FILE_BYTES) return { ok: false, detail: `${file}: over ${MAX_REPORT_FILE_BYTES} bytes` };
  const parsed = parseTlsRptInput(gzip);
  if (!parsed.ok) return { ok: false, detail: `${file}: ${parsed.error.message}` };
  // The §5.1 name is submitter!policy-domain!begin!end[!id].json.gz; the report's own policies say the same.
  const policyDomain = file.split('!')[1] ?? parsed.value.policies[0]?.policy.policyDomain;
  if (policyDomain === undefined || policyDomain === '') return { ok: false, detail: `${file}: no policy domain in the file name` };
  return { ok: true, policyDomain, report: parsed.value, gzip };
}



