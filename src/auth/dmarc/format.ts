// DMARC results at the edge: the Authentication-Results method entry (RFC 8601 §2.7; `policy.dmarc` as
// registered by RFC 9989 §9.2).

import type { DmarcResult } from './types.js';

/**
 * Formats a result as an Authentication-Results entry, e.g.
 * `dmarc=pass (p=reject dis=none) header.from=example.com policy.dmarc=reject`.
 * The comment gives the requested policy and the disposition (plus `t=y` / `pct=` when they changed it),
 * or the reason code when no policy applied. `header.from` is the Author Domain (`none` when there was
 * none); `policy.dmarc` is the policy applied to a failing message (`none` for permerror).
 */
export function formatAuthResultsDmarc(result: DmarcResult): string {
  const parts = [`dmarc=${result.result}`];
  const policy = result.policy;
  if (policy !== undefined && (result.result === 'pass' || result.result === 'fail')) {
    let comment = `p=${policy.requested}`;
    if (policy.selectedBy !== 'p') comment += ` from=${policy.selectedBy}`;
    comment += ` dis=${result.disposition}`;
    if (result.testing && result.mode === 'rfc9989') comment += ' t=y';
    if (policy.pct !== undefined) comment += ` pct=${policy.pct.value}`;
    if (result.arc !== undefined) comment += ` arc=${result.arc}`;
    parts.push(`(${comment})`);
  } else {
    parts.push(`(${result.reason}${result.arc !== undefined ? ` arc=${result.arc}` : ''})`);
  }
  parts.push(`header.from=${propertyValue(result.fromDomain)}`);
  const applied = result.appliedPolicy ?? (result.result === 'permerror' ? 'none' : undefined);
  if (applied !== undefined) parts.push(`policy.dmarc=${applied}`);
  return parts.join(' ');
}

/** A property value safe in the header: a domain, or `none`. */
function propertyValue(domain: string): string {
  return /^[a-z0-9._-]+$/.test(domain) ? domain : 'none';
}
