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

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { HttpsPoster } from '../../adapters/https/poster.js';
import { parseTlsRptInput } from '../../reports/tlsrpt/parse.js';
import { tlsRptMail } from '../../reports/tlsrpt/generate.js';
import type { TlsRptReport } from '../../reports/tlsrpt/types.js';
import { lookupTlsRpt, MAX_RUA_URIS } from '../../transport/tlsrpt/record.js';
import type { QueueStore } from '../queue/types.js';
import { newQueueId } from '../queue/ids.js';
import { parsePath } from '../smtp/address.js';
import type { TraceEventInput, TraceStore } from '../trace/types.js';
import type { LogLevel } from '../process/log.js';

/** Where finished reports go: taken by at least one URI, or by none. */
export const SENT_DIR = 'sent';
export const UNSENT_DIR = 'unsent';
/** Waits after the 1st, 2nd, … failed attempt at a URI (RFC 8460 §5.5: "exponential backoff"). */
export const RETRY_DELAYS_MS: readonly number[] = [5 * 60_000, 30 * 60_000, 2 * 3600_000, 6 * 3600_000];
/** RFC 8460 §5.5: redelivery is attempted "for up to 24 hours after the initial attempt". */
export const GIVE_UP_AFTER_MS = 24 * 3600_000;
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

const STATE_SUFFIX = '.state.json';
const STATE_VERSION = 1;

/** One rua URI of a report and what became of it. */
export interface UriState {
  uri: string;
  scheme: 'mailto' | 'https';
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  /** Due again at (pending URIs that failed before). */
  nextAttemptAt?: number;
  lastError?: string;
  /** mailto: the queue id of the report mail. https: the status that accepted it. */
  outcome?: string;
  /**
   * mailto: the queue id chosen (and saved) before the mail was queued: a run after a crash that finds this id
   * in the queue or the trace counts the URI as sent instead of queuing a second report mail.
   */
  queueId?: string;
  doneAt?: number;
}

/** `<file>.state.json`. */
export interface ReportSendState {
  version: number;
  policyDomain: string;
  /** When the sender first looked at the report (the §5.5 24 hours run from here). */
  firstSeenAt: number;
  /** Set once the `_smtp._tls` lookup answered. */
  rua?: UriState[];
  /** The record said nothing usable (no record, several, invalid): nothing to send. */
  none?: { reason: string; detail: string };
  /** A failed lookup (DNS error), retried like a URI. */
  lookup?: { attempts: number; nextAttemptAt: number; lastError: string };
}

export interface TlsRptSenderDeps {
  /** DATA_DIR/tlsrpt. */
  dir: string;
  resolver: DnsResolver;
  poster: HttpsPoster;
  /** Where report mail goes; `get` and `queryTrace` tell whether a mail queued before a crash is there. */
  queue: Pick<QueueStore, 'enqueue' | 'get'> & Partial<Pick<TraceStore, 'queryTrace'>>;
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

export interface SendRunResult {
  /** Reports still waiting for a retry. */
  pending: number;
  /** The earliest retry among them. */
  nextDueAt?: number;
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
  const state = readState(`${path}${STATE_SUFFIX}`) ?? { version: STATE_VERSION, policyDomain: loaded.policyDomain, firstSeenAt: now };
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
      record(u, outcome, state, deps);
      saving = saving.then(save);
      await saving;
    }),
  );

  const waiting = (state.rua ?? []).filter((u) => u.status === 'pending');
  if (waiting.length > 0) return Math.min(...waiting.map((u) => u.nextAttemptAt ?? now));
  finish(deps.dir, file, (state.rua ?? []).some((u) => u.status === 'sent') ? 'sent' : 'unsent');
  return undefined;
}

/** What one attempt at one URI gave: sent, a failure to retry, or a failure that will not get better. */
type Attempt = { ok: true; outcome: string; fields?: Record<string, unknown> } | { ok: false; permanent: boolean; error: string };

function record(u: UriState, attempt: Attempt, state: ReportSendState, deps: TlsRptSenderDeps): void {
  const now = deps.clock.now();
  u.attempts++;
  const base = { domain: state.policyDomain, uri: u.uri, attempts: u.attempts };
  if (attempt.ok) {
    u.status = 'sent';
    u.outcome = attempt.outcome;
    u.doneAt = now;
    delete u.nextAttemptAt;
    deps.log('info', 'tlsrpt-sent', { ...base, outcome: attempt.outcome, ...attempt.fields });
    return;
  }
  u.lastError = attempt.error;
  const retryAt = attempt.permanent ? undefined : nextRetry(u.attempts, now, state.firstSeenAt);
  if (retryAt === undefined) {
    u.status = 'failed';
    u.doneAt = now;
    delete u.nextAttemptAt;
    deps.log('warn', 'tlsrpt-send-failed', { ...base, outcome: 'gave-up', message: attempt.error });
  } else {
    u.nextAttemptAt = retryAt;
    deps.log('warn', 'tlsrpt-send-failed', { ...base, outcome: 'retry', retryAt: new Date(retryAt).toISOString(), message: attempt.error });
  }
}

/** When to try again after `attempts` failures, or undefined when it is time to give up. */
export function nextRetry(attempts: number, now: number, firstSeenAt: number): number | undefined {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  if (delay === undefined) return undefined;
  const at = now + delay;
  return at - firstSeenAt > GIVE_UP_AFTER_MS ? undefined : at;
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

/**
 * The address of a `mailto:` rua (RFC 6068): the part before `?` percent-decoded, one plain ASCII mailbox.
 * Header fields in the URI (`?subject=…`, `?bcc=…`) are ignored; anything that decodes to CR, LF, a comma,
 * angle brackets or a quoted local part is refused, so a record cannot add recipients or header fields.
 */
export function mailtoAddress(uri: string): string | { error: string } {
  if (!/^mailto:/i.test(uri)) return { error: `not a mailto: URI: ${uri.slice(0, 80)}` };
  const raw = uri.slice(7).split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { error: 'bad percent-encoding in the mailto: address' };
  }
  if (/[\x00-\x20\x7f,<>"()\\;]/.test(decoded) || /[^\x21-\x7e]/.test(decoded)) return { error: 'the mailto: address has characters a plain address cannot have' };
  const parsed = parsePath(decoded, false);
  if (!parsed.ok || parsed.kind !== 'mailbox' || parsed.mailbox.isLiteral) return { error: `not a usable address: ${decoded.slice(0, 80)}` };
  return parsed.mailbox.address;
}

/** Whether the report mail with this id was queued already (it is in the queue, or its trail is). */
async function alreadyQueued(id: string, deps: TlsRptSenderDeps): Promise<boolean> {
  if ((await deps.queue.get(id)) !== undefined) return true;
  return deps.queue.queryTrace !== undefined && (await deps.queue.queryTrace({ id })).length > 0;
}

/**
 * RFC 8460 §5.3: the report as a multipart/report mail, DKIM-signed, queued for delivery. The queue id is
 * chosen and saved first (`persist`), so a crash between queuing and saving the outcome cannot queue it twice.
 */
async function mailReport(u: UriState, report: LoadedReport, file: string, deps: TlsRptSenderDeps, persist: () => void): Promise<Attempt> {
  const to = mailtoAddress(u.uri);
  if (typeof to !== 'string') return { ok: false, permanent: true, error: to.error };
  if (u.queueId !== undefined && (await alreadyQueued(u.queueId, deps))) {
    return { ok: true, outcome: `queued ${u.queueId}`, fields: { queueId: u.queueId, recovered: true } };
  }
  const now = deps.clock.now();
  u.queueId ??= newQueueId(now);
  persist();
  let data: Buffer;
  try {
    data = tlsRptMail({ report: report.report, submitter: deps.submitter, policyDomain: report.policyDomain, from: deps.from, to, date: now, gzip: report.gzip, filename: file });
  } catch (error) {
    return { ok: false, permanent: true, error: `cannot build the report mail: ${(error as Error).message}` };
  }
  const signed = deps.sign ? await deps.sign(data) : { data, event: { kind: 'policy' as const, data: { stage: 'dkim-sign', decision: 'unsigned', reason: 'no signer' } } };
  const toDomain = to.slice(to.lastIndexOf('@') + 1);
  try {
    const { id } = await deps.queue.enqueue({
      id: u.queueId,
      // The null reverse-path: an automated report must not draw bounces (nothing would read them).
      envelope: { mailFrom: '', recipients: [{ address: to }], body: '7BIT', smtputf8: false },
      client: { ip: '127.0.0.1', port: 0, helo: deps.hostname, listener: 'tlsrpt' },
      receivedAt: now,
      data: signed.data,
      direction: deps.isLocalDomain?.(toDomain) === true ? 'inbound' : 'outbound',
      kind: 'mail',
      // RFC 8460 §3: delivered despite TLS failures, and not counted in our next report.
      tlsReport: true,
      traceEvents: [{ kind: 'policy', data: { stage: 'tlsrpt', decision: 'report', policyDomain: report.policyDomain, reportId: report.report.reportId, file } }, signed.event],
    });
    deps.onQueued?.();
    const dkim = signed.event.data.decision === 'signed' ? 'signed' : 'unsigned';
    return { ok: true, outcome: `queued ${id}`, fields: { queueId: id, dkim, ...(dkim === 'unsigned' ? { dkimReason: signed.event.data.reason } : {}) } };
  } catch (error) {
    return { ok: false, permanent: false, error: `enqueue failed: ${(error as Error).message}` };
  }
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

function readState(path: string): ReportSendState | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const s = data as Partial<ReportSendState>;
  if (typeof s !== 'object' || s === null || s.version !== STATE_VERSION || typeof s.policyDomain !== 'string' || typeof s.firstSeenAt !== 'number') return undefined;
  return s as ReportSendState;
}

function writeState(path: string, state: ReportSendState): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Moves a finished report and its state into `sent/` or `unsent/`. */
function finish(dir: string, file: string, where: 'sent' | 'unsent'): void {
  const target = join(dir, where === 'sent' ? SENT_DIR : UNSENT_DIR);
  mkdirSync(target, { recursive: true });
  const state = join(dir, `${file}${STATE_SUFFIX}`);
  if (existsSync(state)) renameSync(state, join(target, `${file}${STATE_SUFFIX}`));
  renameSync(join(dir, file), join(target, file));
}

/**
 * Runs `run` now, whenever `kick()` is called, and again at the time its last result asks for (timers are
 * unref'd). One run at a time: a kick during a run runs once more after it. `stop()` waits for a run in progress.
 */
export function scheduleTlsRptSending(
  now: () => number,
  run: () => Promise<SendRunResult>,
  onError: (error: unknown) => void,
): { kick(): void; stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const start = (): void => {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = run().then(
      (result) => {
        if (result.nextDueAt !== undefined && !stopped) {
          timer = setTimeout(start, Math.max(0, result.nextDueAt - now()));
          timer.unref();
        }
      },
      onError,
    ).finally(() => {
      running = undefined;
      if (again) {
        again = false;
        start();
      }
    });
  };
  start();
  return {
    kick: start,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Deletes finished report files (and their state files) in `sent/` and `unsent/` last changed more than
 * `keepDays` ago; returns how many reports went. Unfinished reports in `dir` itself are never touched.
 */
export function pruneFinishedReports(dir: string, now: number, keepDays: number): number {
  const cutoff = now - keepDays * 86_400_000;
  let pruned = 0;
  for (const where of [SENT_DIR, UNSENT_DIR]) {
    const sub = join(dir, where);
    if (!existsSync(sub)) continue;
    for (const name of readdirSync(sub)) {
      const path = join(sub, name);
      let mtime: number;
      try {
        mtime = statSync(path).mtimeMs;
      } catch {
        continue;
      }
      if (mtime >= cutoff) continue;
      rmSync(path, { force: true });
      if (!name.endsWith(STATE_SUFFIX)) pruned++;
    }
  }
  return pruned;
}
