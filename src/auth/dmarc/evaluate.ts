// DMARC evaluation (RFC 9989 §5.3; RFC 7489 §6.6 in compatibility mode): Author Domain → policy discovery →
// identifier alignment → pass/fail → the policy for this message (p/sp/np, t=y, pct). Never throws for
// DNS or hostile input; a DNS failure a verdict depends on is temperror, never a pass.

import { normalizeDomain } from './domain.js';
import { discoverWith, dnsReason, makeContext, type DiscoveryContext } from './discover.js';
import { extractFromDomain } from './from.js';
import { alignIdentifiers } from './alignment.js';
import type {
  DmarcAppliedPolicy,
  DmarcEvaluateOptions,
  DmarcInput,
  DmarcPolicy,
  DmarcReason,
  DmarcResult,
  DmarcResultCode,
} from './types.js';

/** Distinct author domains evaluated for a multi-author From field; more is permerror (RFC 9989 §11.5). */
export const MAX_AUTHOR_DOMAINS = 5;

const WEAKER: Record<DmarcPolicy, DmarcPolicy> = { reject: 'quarantine', quarantine: 'none', none: 'none' };
const STRENGTH: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

/**
 * Evaluates DMARC for one message: `input.from` (raw From field values) or `input.fromDomain`, the SPF
 * result for the MAIL FROM identity and each DKIM signature's result. Returns the result in the RFC's
 * words with a stable reason, the policy found and how it applies (disposition after t=y or pct), and the
 * alignment of each identifier. Mode defaults to RFC 9989. Never throws for DNS or message content.
 */
export async function evaluateDmarc(input: DmarcInput, options: DmarcEvaluateOptions): Promise<DmarcResult> {
  const mode = options.mode ?? 'rfc9989';
  const authors = authorDomains(input);
  if (!authors.ok) return bare(mode, 'permerror', authors.reason, authors.detail, authors.domain);
  if (authors.domains.length > MAX_AUTHOR_DOMAINS) {
    return bare(mode, 'permerror', 'too-many-authors', `the From field names ${authors.domains.length} author domains; at most ${MAX_AUTHOR_DOMAINS} are evaluated (RFC 9989 §11.5)`, authors.domains[0]!);
  }
  const context = makeContext(options.resolver, mode, options.psl);
  const results: DmarcResult[] = [];
  for (const domain of authors.domains) results.push(await evaluateAuthor(context, domain, input, options));
  const chosen = results.length === 1 ? results[0]! : combine(results);
  chosen.warnings.unshift(...authors.warnings);
  chosen.queries = context.session.log;
  const arc = input.arc?.result;
  if (arc === 'pass' || arc === 'fail' || arc === 'none') chosen.arc = arc;
  return chosen;
}

type Authors =
  | { ok: true; domains: string[]; warnings: string[] }
  | { ok: false; reason: DmarcReason; detail: string; domain: string };

function authorDomains(input: DmarcInput): Authors {
  if (input.from !== undefined) {
    const extracted = extractFromDomain(input.from);
    if (!extracted.ok) return { ok: false, reason: extracted.error.code, detail: extracted.error.message, domain: '' };
    const warnings = [...extracted.warnings];
    if (extracted.addresses.length > 1) {
      warnings.push(`the From field has ${extracted.addresses.length} addresses in ${extracted.domains.length} domain(s) (RFC 9989 §11.5)`);
    }
    return { ok: true, domains: extracted.domains, warnings };
  }
  if (input.fromDomain === undefined || input.fromDomain === '') {
    return { ok: false, reason: 'no-from', detail: 'no From header field or author domain was given', domain: '' };
  }
  const normal = normalizeDomain(input.fromDomain);
  if (!normal.ok) return { ok: false, reason: 'invalid-author-domain', detail: `author domain: ${normal.error.message}`, domain: '' };
  return { ok: true, domains: [normal.value], warnings: [] };
}

async function evaluateAuthor(context: DiscoveryContext, author: string, input: DmarcInput, options: DmarcEvaluateOptions): Promise<DmarcResult> {
  const discovery = await discoverWith(context, author);
  if (discovery.kind !== 'found') {
    const code: DmarcResultCode = discovery.kind === 'none' ? 'none' : discovery.kind;
    const result = bare(context.mode, code, discovery.reason, discovery.detail, author);
    result.alignment = (await alignIdentifiers(context, author, input, 'relaxed', 'relaxed', false)).alignment;
    return result;
  }
  const found = discovery.policy;
  const record = found.parsed;
  const warnings = record.issues.map((i) => `${i.code}${i.tag ? ` (${i.tag})` : ''}: ${i.message}; fix: ${i.fix}`);
  // RFC 9989 §4.10.1: an invalid or absent p, or an invalid sp/np, means p=none when rua holds a valid
  // URI, and no DMARC processing otherwise.
  const usable = record.pStatus === 'valid' && !record.subPolicyInvalid;
  if (!usable && record.rua.length === 0) {
    const result = bare(context.mode, 'none', 'no-policy', `the record at _dmarc.${found.domain} has no valid policy and no valid rua: no DMARC processing (RFC 9989 §4.10.1)`, author);
    result.warnings = warnings;
    return result;
  }
  const p: DmarcPolicy = usable ? record.p! : 'none';
  const policy: DmarcAppliedPolicy = {
    ...found,
    p,
    selectedBy: 'p',
    requested: p,
    adkim: record.adkim,
    aspf: record.aspf,
  };
  if (usable && record.sp !== undefined) policy.sp = record.sp;
  if (usable && record.np !== undefined) policy.np = record.np;
  if (!usable) warnings.push(`the record has no valid policy but a valid rua: treated as p=none (RFC 9989 §4.10.1)`);
  if (discovery.organizationalDomain !== undefined) policy.organizationalDomain = discovery.organizationalDomain;

  const aligned = await alignIdentifiers(context, author, input, record.adkim, record.aspf, true);
  const alignment = aligned.alignment;
  const passed = alignment.spf.aligned || alignment.dkim.some((d) => d.aligned);
  const orgOfAuthor = context.orgCache.get(author);
  if (orgOfAuthor !== undefined && policy.organizationalDomain === undefined) {
    const org = await orgOfAuthor;
    if (org.kind === 'found') policy.organizationalDomain = org.domain;
  }

  // Policy selection (RFC 9989 §4.10.1): p for the Policy Domain itself; for a subdomain, np when it does
  // not exist, else sp, else p.
  if (author !== found.domain) {
    let exists = true;
    if (policy.np !== undefined) {
      const answer = await context.session.exists(author);
      if (answer.kind === 'error') {
        if (!passed) {
          const result = bare(context.mode, 'temperror', dnsReason(answer.error), `existence check for the np policy failed: ${answer.detail}`, author);
          return { ...result, policy, alignment, warnings };
        }
        warnings.push(`could not tell whether ${author} exists (${answer.detail}); sp/p reported instead of np`);
      } else {
        exists = answer.kind === 'exists';
        policy.authorDomainExists = exists;
      }
    }
    if (!exists) {
      policy.selectedBy = 'np';
      policy.requested = policy.np!;
    } else if (policy.sp !== undefined) {
      policy.selectedBy = 'sp';
      policy.requested = policy.sp;
    }
  }

  let applied = policy.requested;
  const testing = record.testing;
  if (context.mode === 'rfc9989' && testing) applied = WEAKER[applied];
  if (context.mode === 'rfc7489' && record.legacy.pct !== undefined && record.legacy.pct < 100 && !passed && applied !== 'none') {
    const sample = (options.random ?? Math.random)();
    const selected = sample * 100 < record.legacy.pct;
    policy.pct = { value: record.legacy.pct, applied: selected };
    // RFC 7489 §6.6.4: a message not selected gets the next weaker policy (reject → quarantine → none).
    if (!selected) applied = WEAKER[applied];
  }

  let result: DmarcResultCode;
  let reason: DmarcReason;
  let detail: string;
  if (passed) {
    result = 'pass';
    reason = alignment.dkim.some((d) => d.aligned) ? 'aligned-dkim' : 'aligned-spf';
    const by = reason === 'aligned-dkim' ? `DKIM d=${alignment.dkim.find((d) => d.aligned)!.domain}` : `SPF ${alignment.spf.domain}`;
    detail = `${by} is aligned with ${author} (${reason === 'aligned-dkim' ? policy.adkim : policy.aspf})`;
  } else if (aligned.error !== undefined) {
    result = 'temperror';
    reason = aligned.error.reason;
    detail = `no identifier aligned and an Organizational Domain lookup failed: ${aligned.error.detail}`;
  } else {
    result = 'fail';
    reason = 'not-aligned';
    detail = `no authenticated identifier is aligned with ${author}; policy ${policy.selectedBy}=${policy.requested} from _dmarc.${found.domain}`;
  }
  return {
    result,
    reason,
    detail,
    mode: context.mode,
    fromDomain: author,
    policy,
    disposition: result === 'fail' ? applied : 'none',
    appliedPolicy: applied,
    testing,
    alignment,
    warnings,
    queries: context.session.log,
  };
}

/** The worst of several author results (RFC 9989 §11.5: the strictest policy among the failing checks). */
function combine(results: DmarcResult[]): DmarcResult {
  const rank: Record<DmarcResultCode, number> = { fail: 0, temperror: 1, permerror: 2, none: 3, pass: 4 };
  let chosen = results[0]!;
  for (const r of results.slice(1)) {
    const better = rank[r.result] < rank[chosen.result];
    const stricter = r.result === 'fail' && chosen.result === 'fail' && STRENGTH[r.disposition] > STRENGTH[chosen.disposition];
    if (better || stricter) chosen = r;
  }
  const summary = results.map((r) => `${r.fromDomain}=${r.result}`).join(', ');
  return {
    ...chosen,
    detail: `${results.length} author domains (${summary}); reporting ${chosen.fromDomain}: ${chosen.detail}`,
    authors: results,
    warnings: [...chosen.warnings],
  };
}

function bare(mode: DmarcResult['mode'], result: DmarcResultCode, reason: DmarcReason, detail: string, fromDomain: string): DmarcResult {
  return {
    result,
    reason,
    detail,
    mode,
    fromDomain,
    disposition: 'none',
    testing: false,
    alignment: { spf: { aligned: false, mode: 'relaxed', domain: '', result: 'none', note: 'no-spf' }, dkim: [] },
    warnings: [],
    queries: [],
  };
}

