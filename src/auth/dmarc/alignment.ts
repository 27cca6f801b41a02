// Identifier alignment (RFC 9989 §4.4, §4.10.2; RFC 7489 §3.1): strict = identical domains, relaxed = same
// Organizational Domain. Cheap string comparisons first; Organizational Domains (DNS Tree Walks in RFC 9989
// mode, shared through the evaluation's cache) only when no identifier matched exactly.

import { normalizeDomain } from './domain.js';
import { organizationalDomainWith, type DiscoveryContext } from './discover.js';
import type { AlignmentMode, DkimAlignment, DmarcInput, SpfAlignment } from './types.js';

/** DKIM results looked at per message; the rest are ignored (a hostile message can carry thousands). */
export const MAX_DKIM_RESULTS = 50;
/** Distinct passing DKIM signing domains whose Organizational Domain may be looked up (tree walks). */
export const MAX_DKIM_DOMAINS = 8;

export interface AlignmentOutcome {
  alignment: { spf: SpfAlignment; dkim: DkimAlignment[] };
  /** Set when no identifier aligned and an Organizational Domain could not be determined. */
  error?: { reason: 'dns-timeout' | 'dns-servfail' | 'dns-error' | 'query-limit'; detail: string };
}

/**
 * Aligns the SPF (MAIL FROM identity only, RFC 9989 §4.4.2) and passing DKIM identifiers with the Author
 * Domain. With `useDns` false only exact matches are tried (used to describe identifiers when no policy
 * applies). Stops looking up Organizational Domains once one identifier aligned.
 */
export async function alignIdentifiers(
  context: DiscoveryContext,
  author: string,
  input: DmarcInput,
  adkim: AlignmentMode,
  aspf: AlignmentMode,
  useDns: boolean,
): Promise<AlignmentOutcome> {
  const spf = spfCandidate(input, aspf);
  const dkim = (input.dkim ?? []).slice(0, MAX_DKIM_RESULTS).map((d) => dkimCandidate(d, adkim));
  const all: Array<SpfAlignment | DkimAlignment> = [spf, ...dkim];
  // Exact matches align in both modes and need no DNS.
  for (const a of all) {
    if (a.note === '' && a.domain === author) {
      a.aligned = true;
      a.note = 'identical';
    }
  }
  const pending = all.filter((a) => a.note === '');
  for (const a of pending) a.note = a.mode === 'strict' ? 'strict-mismatch' : 'not-checked';
  const relaxed = pending.filter((a) => a.mode === 'relaxed');
  if (!useDns || all.some((a) => a.aligned) || relaxed.length === 0) return { alignment: { spf, dkim } };

  const authorOrg = await organizationalDomainWith(context, author);
  if (authorOrg.kind === 'temperror') {
    for (const a of relaxed) a.note = 'dns-error';
    return { alignment: { spf, dkim }, error: { reason: authorOrg.reason, detail: authorOrg.detail } };
  }
  let error: AlignmentOutcome['error'];
  const walked = new Set<string>();
  for (const a of relaxed) {
    if (!walked.has(a.domain) && walked.size >= MAX_DKIM_DOMAINS + 1) {
      a.note = 'limit';
      continue;
    }
    walked.add(a.domain);
    const org = await organizationalDomainWith(context, a.domain);
    if (org.kind === 'temperror') {
      a.note = 'dns-error';
      error ??= { reason: org.reason, detail: org.detail };
      continue;
    }
    a.orgDomain = org.domain;
    a.aligned = org.domain === authorOrg.domain;
    a.note = a.aligned ? 'same-org' : 'different-org';
    if (a.aligned) return { alignment: { spf, dkim } };
  }
  return error === undefined ? { alignment: { spf, dkim } } : { alignment: { spf, dkim }, error };
}

function spfCandidate(input: DmarcInput, mode: AlignmentMode): SpfAlignment {
  const spf = input.spf;
  if (spf === undefined) return { aligned: false, mode, domain: '', result: 'none', note: 'no-spf' };
  const base: SpfAlignment = { aligned: false, mode, domain: String(spf.domain ?? ''), result: spf.result, note: '' };
  if (spf.identity === 'helo') base.note = 'helo-identity';
  else if (spf.result !== 'pass') base.note = 'not-pass';
  else normalizeInto(base);
  return base;
}

function dkimCandidate(d: NonNullable<DmarcInput['dkim']>[number], mode: AlignmentMode): DkimAlignment {
  const base: DkimAlignment = { aligned: false, mode, domain: String(d?.domain ?? ''), result: d?.result ?? 'none', note: '' };
  if (d?.selector !== undefined) base.selector = d.selector;
  if (typeof d?.underSized === 'number') base.underSized = d.underSized;
  if (base.result !== 'pass') base.note = 'not-pass';
  else normalizeInto(base);
  return base;
}

function normalizeInto(a: SpfAlignment | DkimAlignment): void {
  const normal = normalizeDomain(a.domain);
  if (normal.ok) a.domain = normal.value;
  else a.note = 'invalid-domain';
}
