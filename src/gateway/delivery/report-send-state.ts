// What the report senders share (TLS-RPT, tlsrpt-send.ts; DMARC aggregate reports, dmarc-report-job.ts): the
// `<file>.state.json` kept beside each report file (one entry per rua URI, written atomically after every
// attempt, so a restart neither resends nor forgets), retries with backoff and a give-up time, report mail
// queued under a queue id chosen and saved before the enqueue (exactly once across a crash), moving finished
// reports to `sent/` or `unsent/`, pruning them, and the one-run-at-a-time scheduler.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
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
/** RFC 8460 §5.5: redelivery is attempted "for up to 24 hours after the initial attempt" (DMARC reports too). */
export const GIVE_UP_AFTER_MS = 24 * 3600_000;

export const STATE_SUFFIX = '.state.json';
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
  /** DMARC: the obsolete `!size` limit of the URI (RFC 7489 §6.2), in bytes. */
  maxBytes?: number;
  doneAt?: number;
}

/** `<file>.state.json`. */
export interface ReportSendState {
  version: number;
  policyDomain: string;
  /** When the sender first looked at the report (the 24 hours of retries run from here). */
  firstSeenAt: number;
  /** Set once the domain's reporting addresses are known. */
  rua?: UriState[];
  /** The record said nothing usable (no record, several, invalid): nothing to send. */
  none?: { reason: string; detail: string };
  /** A failed lookup (DNS error), retried like a URI. */
  lookup?: { attempts: number; nextAttemptAt: number; lastError: string };
}

export interface SendRunResult {
  /** Reports still waiting for a retry. */
  pending: number;
  /** The earliest retry among them. */
  nextDueAt?: number;
}

/** What one attempt at one URI gave: sent, a failure to retry, or a failure that will not get better. */
export type Attempt = { ok: true; outcome: string; fields?: Record<string, unknown> } | { ok: false; permanent: boolean; error: string };

export type ReportLog = (level: LogLevel, event: string, fields: Record<string, unknown>) => void;

/**
 * Applies one attempt's outcome to its URI (sent, retry later, or given up) and logs it as `<prefix>-sent` or
 * `<prefix>-send-failed`.
 */
export function recordAttempt(u: UriState, attempt: Attempt, state: ReportSendState, now: number, log: ReportLog, prefix: string): void {
  u.attempts++;
  const base = { domain: state.policyDomain, uri: u.uri, attempts: u.attempts };
  if (attempt.ok) {
    u.status = 'sent';
    u.outcome = attempt.outcome;
    u.doneAt = now;
    delete u.nextAttemptAt;
    log('info', `${prefix}-sent`, { ...base, outcome: attempt.outcome, ...attempt.fields });
    return;
  }
  u.lastError = attempt.error;
  const retryAt = attempt.permanent ? undefined : nextRetry(u.attempts, now, state.firstSeenAt);
  if (retryAt === undefined) {
    u.status = 'failed';
    u.doneAt = now;
    delete u.nextAttemptAt;
    log('warn', `${prefix}-send-failed`, { ...base, outcome: 'gave-up', message: attempt.error });
  } else {
    u.nextAttemptAt = retryAt;
    log('warn', `${prefix}-send-failed`, { ...base, outcome: 'retry', retryAt: new Date(retryAt).toISOString(), message: attempt.error });
  }
}

/** When to try again after `attempts` failures, or undefined when it is time to give up. */
export function nextRetry(attempts: number, now: number, firstSeenAt: number): number | undefined {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  if (delay === undefined) return undefined;
  const at = now + delay;
  return at - firstSeenAt > GIVE_UP_AFTER_MS ? undefined : at;
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

/** The queue report mail goes to; `get` and `queryTrace` tell whether a mail queued before a crash is there. */
export type ReportQueue = Pick<QueueStore, 'enqueue' | 'get'> & Partial<Pick<TraceStore, 'queryTrace'>>;

/** Whether the report mail with this id was queued already (it is in the queue, or its trail is). */
async function alreadyQueued(id: string, queue: ReportQueue): Promise<boolean> {
  if ((await queue.get(id)) !== undefined) return true;
  return queue.queryTrace !== undefined && (await queue.queryTrace({ id })).length > 0;
}

export interface ReportMailDeps {
  queue: ReportQueue;
  /** Our HELO name, recorded as the report mail's client. */
  hostname: string;
  /** A recipient in one of our domains is delivered inbound (like a DSN). */
  isLocalDomain?: (domain: string) => boolean;
  /** DKIM-signs the mail (DkimSigningSink.sign); the event says signed or why not, and goes to the trace. */
  sign?: (data: Buffer) => Promise<{ data: Buffer; event: TraceEventInput }>;
  /** Told after a report mail was queued (wakes the delivery engine). */
  onQueued?: () => void;
}

export interface ReportMail {
  to: string;
  now: number;
  /** Builds the unsigned mail; a throw is a permanent failure. */
  build: () => Buffer;
  /** The queue's client listener name (`tlsrpt`, `dmarc-report`). */
  listener: string;
  traceEvent: TraceEventInput;
  /** RFC 8460 §3: TLS-RPT mail goes whatever the recipient's TLS policy, and is not counted in TLS-RPT. */
  tlsReport?: boolean;
}

/**
 * Queues one report mail to one URI, DKIM-signed when a signer is given. The queue id is chosen and saved first
 * (`persist`), so a crash between queuing and saving the outcome cannot queue it twice.
 */
export async function queueReportMail(u: UriState, mail: ReportMail, deps: ReportMailDeps, persist: () => void): Promise<Attempt> {
  if (u.queueId !== undefined && (await alreadyQueued(u.queueId, deps.queue))) {
    return { ok: true, outcome: `queued ${u.queueId}`, fields: { queueId: u.queueId, recovered: true } };
  }
  u.queueId ??= newQueueId(mail.now);
  persist();
  let data: Buffer;
  try {
    data = mail.build();
  } catch (error) {
    return { ok: false, permanent: true, error: `cannot build the report mail: ${(error as Error).message}` };
  }
  const signed = deps.sign ? await deps.sign(data) : { data, event: { kind: 'policy' as const, data: { stage: 'dkim-sign', decision: 'unsigned', reason: 'no signer' } } };
  const toDomain = mail.to.slice(mail.to.lastIndexOf('@') + 1);
  try {
    const { id } = await deps.queue.enqueue({
      id: u.queueId,
      // The null reverse-path: an automated report must not draw bounces (nothing would read them).
      envelope: { mailFrom: '', recipients: [{ address: mail.to }], body: '7BIT', smtputf8: false },
      client: { ip: '127.0.0.1', port: 0, helo: deps.hostname, listener: mail.listener },
      receivedAt: mail.now,
      data: signed.data,
      direction: deps.isLocalDomain?.(toDomain) === true ? 'inbound' : 'outbound',
      kind: 'mail',
      ...(mail.tlsReport === undefined ? {} : { tlsReport: mail.tlsReport }),
      traceEvents: [mail.traceEvent, signed.event],
    });
    deps.onQueued?.();
    const dkim = signed.event.data.decision === 'signed' ? 'signed' : 'unsigned';
    return { ok: true, outcome: `queued ${id}`, fields: { queueId: id, dkim, ...(dkim === 'unsigned' ? { dkimReason: signed.event.data.reason } : {}) } };
  } catch (error) {
    return { ok: false, permanent: false, error: `enqueue failed: ${(error as Error).message}` };
  }
}

/** Reads `<file>.state.json`; undefined when it is missing or not ours. */
export function readState(path: string): ReportSendState | undefined {
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

/** Writes a state file atomically (temporary name, then rename). */
export function writeState(path: string, state: ReportSendState): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** A new state for a report first seen at `now`. */
export function newState(policyDomain: string, now: number): ReportSendState {
  return { version: STATE_VERSION, policyDomain, firstSeenAt: now };
}

/** Moves a finished report and its state into `sent/` or `unsent/`. */
export function finish(dir: string, file: string, where: 'sent' | 'unsent'): void {
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
export function scheduleReportSending(
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
