// check_host() (RFC 7208 §4–§6): record selection, mechanism evaluation, include/redirect, processing
// limits and the explanation. Records are parsed once (cached by text); the hot path compares pre-parsed
// networks as integers and builds strings only for the final result.

import { systemClock } from '../../core/clock.js';
import { networkContains, parseIp } from './ip.js';
import { SpfLookupBudget } from './lookup-limits.js';
import { isQueryableName } from './macro.js';
import { isSpfRecordText, parseSpfRecord } from './record.js';
import {
  TOO_BIG,
  addressesMatch,
  dnsFailure,
  evaluateExists,
  evaluateMx,
  evaluatePtr,
  expandTarget,
  joinTxt,
  macroLimit,
  type Ctx,
  type Outcome,
} from './mechanisms.js';
import { explainFail } from './explain.js';
import type {
  SpfCheckInput,
  SpfCheckOptions,
  SpfMechanism,
  SpfQualifier,
  SpfResult,
  SpfResultCode,
  SpfTrailEntry,
  SpfRecord,
} from './types.js';

/** Used when a fail has no usable exp= and the caller gave no default (RFC 7208 §6.2). */
export const DEFAULT_EXPLANATION = '%{c} is not one of %{d}\'s designated mail servers.';
/** The whole check gives up with temperror after this long (RFC 7208 §4.6.4: allow at least 20 s). */
export const DEFAULT_TIMEOUT_MS = 20_000;

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResultCode> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };


/**
 * Runs check_host(ip, domain, sender) (RFC 7208 §4). Never throws: every outcome, including DNS
 * failures, hostile records and an invalid `ip`, is an SpfResult. `helo` feeds `%{h}`, `receiver` `%{r}`.
 */
export async function checkHost(
  ip: string,
  domain: string,
  sender: string,
  options: SpfCheckOptions & { helo?: string; receiver?: string; identity?: 'mailfrom' | 'helo' },
): Promise<SpfResult> {
  const identity = options.identity ?? 'mailfrom';
  const budget = new SpfLookupBudget(options.resolver, options.maxLookups, options.maxVoidLookups);
  const trail: SpfTrailEntry[] = [];
  const client = parseIp(ip);
  const dom = stripDot(String(domain ?? ''));
  const finish = (o: Outcome, explanation?: string): SpfResult => toResult(o, identity, dom, sender, budget, trail, explanation);
  if (client === undefined) {
    return finish({ code: 'permerror', reason: 'invalid-ip', domain: dom, detail: `"${String(ip).slice(0, 64)}" is not an IP address` });
  }
  const at = sender.lastIndexOf('@');
  const clock = options.clock ?? systemClock;
  const ctx: Ctx = {
    sender,
    local: at > 0 ? sender.slice(0, at) : 'postmaster',
    senderDomain: at >= 0 ? sender.slice(at + 1) : sender,
    helo: options.helo ?? '',
    ip: client,
    receiver: options.receiver ?? 'unknown',
    now: () => clock.now(),
    budget,
    trail,
    validatedNames: undefined,
  };
  const run = guarded(checkHostAt(ctx, dom.toLowerCase(), 0), dom);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const outcome = timeoutMs > 0 ? await withTimeout(run, timeoutMs, dom) : await run;
  if (outcome.code !== 'fail') return finish(outcome);
  const explanation = await explainFail(ctx, outcome, options.resolver, options.defaultExplanation ?? DEFAULT_EXPLANATION);
  return finish(outcome, explanation);
}

/**
 * Checks an SMTP transaction (RFC 7208 §2.3, §2.4): the MAIL FROM identity, or — for the null sender or
 * `identity: 'helo'` — postmaster@HELO. A MAIL FROM without a local part uses `postmaster` (§4.3).
 */
export function checkSpf(input: SpfCheckInput, options: SpfCheckOptions): Promise<SpfResult> {
  const helo = stripDot(String(input.helo ?? '').trim());
  let raw = String(input.sender ?? '').trim();
  if (raw.startsWith('<') && raw.endsWith('>')) raw = raw.slice(1, -1);
  const identity = input.identity ?? 'mailfrom';
  let sender: string;
  let domain: string;
  if (identity === 'helo' || raw === '') {
    sender = `postmaster@${helo}`;
    domain = helo;
  } else {
    const at = raw.lastIndexOf('@');
    domain = at >= 0 ? raw.slice(at + 1) : raw;
    sender = at > 0 ? raw : `postmaster@${domain}`;
  }
  return checkHost(input.ip, domain, sender, { ...options, helo, receiver: input.receiver, identity });
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * §4.3: a domain that is not a multi-label FQDN with labels of 1..63 octets of visible ASCII
 * (and not a domain literal, and not an IP address) gives `none` without any query.
 */
export function isValidSpfDomain(domain: string): boolean {
  if (!isQueryableName(domain) || domain.indexOf('.') < 0) return false;
  for (let i = 0; i < domain.length; i++) {
    const c = domain.charCodeAt(i);
    if (c <= 32 || c > 126 || c === 91 || c === 93) return false;
  }
  const top = domain.slice(domain.lastIndexOf('.') + 1);
  return !/^\d+$/.test(top);
}

async function guarded(p: Promise<Outcome>, domain: string): Promise<Outcome> {
  try {
    return await p;
  } catch (err) {
    // A bug must fail safe: "try later", never an open door.
    return { code: 'temperror', reason: 'dns-error', domain, detail: `internal error: ${String(err)}` };
  }
}

async function withTimeout(p: Promise<Outcome>, ms: number, domain: string): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ code: 'temperror', reason: 'time-limit', domain, detail: `SPF check did not finish within ${ms} ms` }),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One check_host() level: select the record at `domain` and evaluate it (§4.3–§4.7). */
async function checkHostAt(ctx: Ctx, domain: string, depth: number): Promise<Outcome> {
  if (!isValidSpfDomain(domain)) {
    return { code: 'none', reason: 'invalid-domain', domain, detail: `"${domain.slice(0, 300)}" is not a valid domain name (RFC 7208 §4.3)` };
  }
  const answer = await ctx.budget.resolve(domain, 'TXT', false);
  if (answer.kind === 'error') return dnsFailure(answer, domain, `the SPF record of ${domain}`);
  let found: string | undefined;
  let count = 0;
  if (answer.kind === 'records') {
    for (const r of answer.records) {
      const text = joinTxt(r.data);
      if (isSpfRecordText(text)) {
        count++;
        found = text;
      }
    }
  }
  if (found === undefined) return { code: 'none', reason: 'no-record', domain, detail: `${domain} has no SPF record` };
  if (count > 1) return { code: 'permerror', reason: 'multiple-records', domain, detail: `${domain} has ${count} SPF records (RFC 7208 §4.5)` };
  const parsed = parseSpfRecord(found);
  if (!parsed.ok) {
    const e = parsed.error;
    return { code: 'permerror', reason: 'syntax-error', domain, detail: `SPF record of ${domain}, offset ${e.offset}: ${e.message}` };
  }
  return evaluateRecord(ctx, parsed.value, domain, depth);
}

async function evaluateRecord(ctx: Ctx, record: SpfRecord, domain: string, depth: number): Promise<Outcome> {
  const budget = ctx.budget;
  for (const m of record.mechanisms) {
    let matched: boolean;
    let nested: SpfResultCode | undefined;
    // The trail is in evaluation order: a DNS term's entry takes its place before the entries of what it
    // includes, and is filled in when the term is decided.
    let slot = -1;
    if (m.kind === 'all') {
      matched = true;
    } else if (m.kind === 'ip4' || m.kind === 'ip6') {
      matched = networkContains(m.network, ctx.ip);
    } else {
      if (budget.chargeTerm()) return limitHit(ctx, domain, m.text, depth);
      slot = ctx.trail.push({ domain, term: m.text, matched: false, depth }) - 1;
      const r = await evaluateDnsMechanism(ctx, m as DnsMechanism, domain, depth);
      if (typeof r !== 'boolean') {
        if (r.code !== 'include-result') {
          ctx.trail[slot] = { domain, term: m.text, matched: false, result: r.code, depth };
          return r;
        }
        matched = r.matched;
        nested = r.nested;
      } else {
        matched = r;
      }
      if (budget.voidExceeded) {
        ctx.trail[slot] = { domain, term: m.text, matched: false, depth, note: 'void lookup' };
        return {
          code: 'permerror',
          reason: 'void-lookup-limit',
          domain,
          term: m.text,
          detail: `more than ${budget.maxVoids} DNS lookups returned no records (RFC 7208 §4.6.4)`,
        };
      }
    }
    const result = matched ? QUALIFIER_RESULT[m.qualifier] : nested;
    const entry: SpfTrailEntry = result === undefined ? { domain, term: m.text, matched, depth } : { domain, term: m.text, matched, result, depth };
    if (slot >= 0) ctx.trail[slot] = entry;
    else ctx.trail.push(entry);
    if (matched) return { code: QUALIFIER_RESULT[m.qualifier], reason: 'matched-mechanism', domain, term: m.text, record };
  }
  const redirect = record.redirect;
  if (redirect === undefined) return { code: 'neutral', reason: 'default-neutral', domain };
  if (budget.chargeTerm()) return limitHit(ctx, domain, redirect.text, depth);
  const target = await expandTarget(ctx, redirect.value, domain);
  if (target === TOO_BIG) return macroLimit(domain, redirect.text);
  const redirectSlot = ctx.trail.push({ domain, term: redirect.text, matched: true, depth }) - 1;
  const inner = await checkHostAt(ctx, target, depth + 1);
  ctx.trail[redirectSlot] = { domain, term: redirect.text, matched: true, result: inner.code, depth };
  if (inner.code === 'none') {
    return { code: 'permerror', reason: 'redirect-none', domain, term: redirect.text, detail: `redirect target ${target.slice(0, 300)} has no SPF record (RFC 7208 §6.1)` };
  }
  return inner;
}

function limitHit(ctx: Ctx, domain: string, term: string, depth: number): Outcome {
  ctx.trail.push({ domain, term, matched: false, depth, note: 'lookup limit' });
  return {
    code: 'permerror',
    reason: 'lookup-limit',
    domain,
    term,
    detail: `more than ${ctx.budget.maxTerms} DNS-querying mechanisms and modifiers (RFC 7208 §4.6.4)`,
  };
}

type DnsMechanism = Extract<SpfMechanism, { kind: 'include' | 'a' | 'mx' | 'ptr' | 'exists' }>;

type IncludeResult = { code: 'include-result'; matched: boolean; nested: SpfResultCode };

async function evaluateDnsMechanism(
  ctx: Ctx,
  m: DnsMechanism,
  domain: string,
  depth: number,
): Promise<boolean | Outcome | IncludeResult> {
  let target = domain;
  if (m.domain !== undefined) {
    const t = await expandTarget(ctx, m.domain, domain);
    if (t === TOO_BIG) return macroLimit(domain, m.text);
    target = t;
  }
  switch (m.kind) {
    case 'include': {
      const inner = await checkHostAt(ctx, target, depth + 1);
      switch (inner.code) {
        case 'pass':
          return { code: 'include-result', matched: true, nested: 'pass' };
        case 'fail':
        case 'softfail':
        case 'neutral':
          return { code: 'include-result', matched: false, nested: inner.code };
        case 'none':
          return { code: 'permerror', reason: 'include-none', domain, term: m.text, detail: `include target ${target.slice(0, 300)} has no SPF record (RFC 7208 §5.2)` };
        default:
          return inner;
      }
    }
    case 'a':
      if (!isQueryableName(target)) return false; // §4.8: not a name, so nothing to match
      return addressesMatch(ctx, target, m.cidr4, m.cidr6, true);
    case 'mx':
      return evaluateMx(ctx, target, m.cidr4, m.cidr6, domain, m.text);
    case 'ptr':
      return evaluatePtr(ctx, target);
    case 'exists':
      return evaluateExists(ctx, target, domain, m.text);
  }
}

function toResult(
  o: Outcome,
  identity: 'mailfrom' | 'helo',
  domain: string,
  sender: string,
  budget: SpfLookupBudget,
  trail: SpfTrailEntry[],
  explanation: string | undefined,
): SpfResult {
  const result: SpfResult = {
    result: o.code,
    reason: o.reason,
    detail: o.detail ?? describe(o),
    identity,
    domain,
    sender,
    lookups: budget.terms,
    voidLookups: budget.voids,
    trail,
  };
  if (o.term !== undefined) result.mechanism = o.term;
  if (explanation !== undefined) result.explanation = explanation;
  return result;
}

function describe(o: Outcome): string {
  if (o.reason === 'matched-mechanism') return `"${o.term ?? ''}" in the SPF record of ${o.domain} matched: ${o.code}`;
  if (o.reason === 'default-neutral') return `no mechanism in the SPF record of ${o.domain} matched (RFC 7208 §4.7)`;
  return `${o.reason} at ${o.domain}`;
}

