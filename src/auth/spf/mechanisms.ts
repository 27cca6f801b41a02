// The DNS-querying mechanisms of check_host() (RFC 7208 §5.3–§5.7) and the `%{p}` validated name:
// shared by evaluate.ts (which owns include/redirect and the record loop) and explain.ts.

import type { DnsAnswer } from '../../core/dns/types.js';
import { addressTextMatches, reverseName } from './ip.js';
import { MAX_MX_NAMES, MAX_PTR_NAMES, type SpfLookupBudget } from './lookup-limits.js';
import { expandDomainSpec, isQueryableName, type MacroContext } from './macro.js';
import type { MacroString, SpfReason, SpfRecord, SpfResultCode, SpfTrailEntry } from './types.js';

/** The state of one check: macro inputs, the lookup budget (shared across include levels) and the trail. */
export interface Ctx extends MacroContext {
  budget: SpfLookupBudget;
  trail: SpfTrailEntry[];
  /** Validated PTR names of the client, computed on first use of %{p}. */
  validatedNames: string[] | undefined;
}

/** What one check_host() level decided. Detail strings are built only on error paths. */
export interface Outcome {
  code: SpfResultCode;
  reason: SpfReason;
  /** Where it was decided. */
  domain: string;
  detail?: string;
  term?: string;
  /** The record whose mechanism decided (its exp= explains a fail). */
  record?: SpfRecord;
}

/** `macro-limit` marker for expansions that blew the bounds. */
export const TOO_BIG = Symbol('too-big');

/** A DNS error as the temperror it causes (RFC 7208 §2.6.6). */
export function dnsFailure(answer: Extract<DnsAnswer, { kind: 'error' }>, domain: string, what: string): Outcome {
  const reason: SpfReason = answer.error === 'timeout' ? 'dns-timeout' : answer.error === 'servfail' ? 'dns-servfail' : 'dns-error';
  return { code: 'temperror', reason, domain, detail: `DNS ${answer.error} looking up ${what}` };
}

/** TXT character-strings joined without a separator (RFC 7208 §3.3). */
export function joinTxt(data: unknown): string {
  if (!Array.isArray(data)) return String(data);
  return data.length === 1 ? String(data[0]) : data.join('');
}

/** The permerror for an expansion past the macro bounds. */
export function macroLimit(domain: string, term: string): Outcome {
  return { code: 'permerror', reason: 'macro-limit', domain, term, detail: `macro expansion of "${term.slice(0, 100)}" exceeds mailflow's size bounds` };
}

/** Expands a domain-spec, resolving %{p} first when needed. */
export async function expandTarget(ctx: Ctx, ms: MacroString, domain: string): Promise<string | typeof TOO_BIG> {
  if (ms.needsPtr) ctx.ptrName = await validatedName(ctx, domain);
  const name = expandDomainSpec(ms, domain, ctx);
  return name === undefined ? TOO_BIG : name;
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** `exists` (§5.7): an A lookup whatever the client family; any record matches. */
export async function evaluateExists(ctx: Ctx, target: string, domain: string, term: string): Promise<boolean | Outcome> {
  if (!isQueryableName(target)) return false;
  const answer = await ctx.budget.resolve(target, 'A', true);
  if (answer.kind === 'error') return dnsFailure(answer, domain, `${target} for ${term}`);
  return answer.kind === 'records' && answer.records.length > 0;
}

/** True when `name` has an A (IPv4 client) or AAAA (IPv6 client) record within the prefix (§5.3). */
export async function addressesMatch(ctx: Ctx, name: string, cidr4: number, cidr6: number, countVoid: boolean): Promise<boolean | Outcome> {
  const v4 = ctx.ip.family === 4;
  const answer = await ctx.budget.resolve(name, v4 ? 'A' : 'AAAA', countVoid);
  if (answer.kind === 'error') return dnsFailure(answer, name, `the addresses of ${name}`);
  if (answer.kind !== 'records') return false;
  const prefix = v4 ? cidr4 : cidr6;
  for (const r of answer.records) if (addressTextMatches(r.data as string, ctx.ip, prefix)) return true;
  return false;
}

/** `mx` (§5.4): up to 10 MX names (more is a permerror, §4.6.4), each name's A/AAAA against the client. */
export async function evaluateMx(ctx: Ctx, target: string, cidr4: number, cidr6: number, domain: string, term: string): Promise<boolean | Outcome> {
  if (!isQueryableName(target)) return false;
  const answer = await ctx.budget.resolve(target, 'MX', true);
  if (answer.kind === 'error') return dnsFailure(answer, domain, `the MX records of ${target}`);
  if (answer.kind !== 'records') return false;
  if (answer.records.length > MAX_MX_NAMES) {
    return {
      code: 'permerror',
      reason: 'mx-limit',
      domain,
      term,
      detail: `${target} has ${answer.records.length} MX records; at most ${MAX_MX_NAMES} may be looked up (RFC 7208 §4.6.4)`,
    };
  }
  for (const r of answer.records) {
    const exchange = (r.data as { exchange: string }).exchange;
    if (!exchange || !isQueryableName(exchange)) continue; // null MX (RFC 7505) or unusable name
    const hit = await addressesMatch(ctx, exchange, cidr4, cidr6, false);
    if (hit !== false) return hit;
  }
  return false;
}

/** The client's PTR names (first 10), or undefined on a DNS error / no answer. */
async function ptrNames(ctx: Ctx, countVoid: boolean): Promise<string[] | undefined> {
  const answer = await ctx.budget.resolve(reverseName(ctx.ip), 'PTR', countVoid);
  if (answer.kind !== 'records') return undefined;
  const names: string[] = [];
  for (const r of answer.records) {
    if (names.length >= MAX_PTR_NAMES) {
      ctx.trail.push({ domain: reverseName(ctx.ip), term: 'ptr', matched: false, depth: 0, note: `ptr-limit: ${answer.records.length - MAX_PTR_NAMES} PTR names ignored (RFC 7208 §4.6.4)` });
      break;
    }
    names.push(stripDot(String(r.data).toLowerCase()));
  }
  return names;
}

/** True when one of the client's A/AAAA records for `name` is the client address (forward confirmation). */
async function confirms(ctx: Ctx, name: string): Promise<boolean> {
  if (!isQueryableName(name)) return false;
  const r = await addressesMatch(ctx, name, 32, 128, false);
  return r === true; // §5.5: a DNS error skips this name
}

function isAtOrUnder(name: string, target: string): boolean {
  return name === target || (name.length > target.length && name.endsWith(target) && name.charCodeAt(name.length - target.length - 1) === 46);
}

/** `ptr` (§5.5): a validated PTR name at or under the target. PTR lookup errors mean no match. */
export async function evaluatePtr(ctx: Ctx, target: string): Promise<boolean> {
  const names = await ptrNames(ctx, true);
  if (names === undefined) return false;
  const t = target.toLowerCase();
  for (const name of names) {
    if (isAtOrUnder(name, t) && (await confirms(ctx, name))) return true;
  }
  return false;
}

/** `%{p}` (§7.3): the validated name equal to `domain`, else one under it, else any, else 'unknown'. */
export async function validatedName(ctx: Ctx, domain: string): Promise<string> {
  if (ctx.validatedNames === undefined) {
    const names = (await ptrNames(ctx, false)) ?? [];
    const valid: string[] = [];
    for (const name of names) if (await confirms(ctx, name)) valid.push(name);
    ctx.validatedNames = valid;
  }
  const d = domain.toLowerCase();
  const valid = ctx.validatedNames;
  return valid.find((n) => n === d) ?? valid.find((n) => isAtOrUnder(n, d)) ?? valid[0] ?? 'unknown';
}

