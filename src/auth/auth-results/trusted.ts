// Choosing which Authentication-Results headers to believe (RFC 8601 §5, §7.1): only those written by our
// own border or by upstream hosts we trust, identified by authserv-id. Anyone can write the header.

import { parseAuthenticationResults } from './parse.js';
import type { AuthResults, AuthResultsError } from './types.js';

export interface TrustedAuthResults {
  /** Parsed headers whose authserv-id is trusted, in the order given (newest first in a message). */
  trusted: (AuthResults & { index: number })[];
  /** Everything else, with why: `untrusted` (id not in the list), `no-authserv-id`, or the parse error. */
  ignored: { index: number; reason: 'untrusted' | 'no-authserv-id' | 'unparsable'; authservId?: string; error?: AuthResultsError }[];
}

function canonicalId(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Parses each header value and keeps those whose authserv-id equals one of `trustedIds`
 * (case-insensitive, trailing dot ignored). A header without an authserv-id is never trusted. Never throws.
 */
export function selectTrustedAuthResults(headerValues: readonly string[], trustedIds: readonly string[]): TrustedAuthResults {
  const trustedSet = new Set(trustedIds.map(canonicalId).filter((id) => id !== ''));
  const out: TrustedAuthResults = { trusted: [], ignored: [] };
  headerValues.forEach((value, index) => {
    const parsed = parseAuthenticationResults(value);
    if (!parsed.ok) {
      out.ignored.push({ index, reason: 'unparsable', error: parsed.error });
    } else if (parsed.value.authservId === '') {
      out.ignored.push({ index, reason: 'no-authserv-id' });
    } else if (!trustedSet.has(canonicalId(parsed.value.authservId))) {
      out.ignored.push({ index, reason: 'untrusted', authservId: parsed.value.authservId });
    } else {
      out.trusted.push({ index, ...parsed.value });
    }
  });
  return out;
}
