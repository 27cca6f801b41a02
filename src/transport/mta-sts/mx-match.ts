// MX host matching against a policy's patterns (RFC 8461 §4.1): exact, case-insensitive, or a wildcard
// `*.example.com` that stands for exactly one leftmost label.

import type { MtaStsPolicy } from './types.js';

/** True when the MX host matches one pattern (RFC 8461 §4.1). Trailing dots and case are ignored. */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const name = canonical(host);
  const p = canonical(pattern);
  if (!p.startsWith('*.')) return name === p;
  const suffix = p.slice(1); // ".example.com"
  if (!name.endsWith(suffix)) return false;
  const label = name.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** A policy's patterns compiled once for many lookups: exact names and wildcard parents in sets. */
export class MxMatcher {
  private readonly exact = new Set<string>();
  private readonly wildcardParents = new Map<string, string>();

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const p = canonical(pattern);
      if (p.startsWith('*.')) this.wildcardParents.set(p.slice(2), pattern);
      else this.exact.add(p);
    }
  }

  /** The pattern the host matches (exact patterns first), or undefined. */
  match(host: string): string | undefined {
    const name = canonical(host);
    if (this.exact.has(name)) return name;
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    return this.wildcardParents.get(name.slice(dot + 1));
  }
}

/**
 * The pattern of `policy` that the MX host matches, or undefined (RFC 8461 §4.1). A `none`-mode policy
 * may list no patterns; then nothing matches.
 */
export function matchPolicyMx(host: string, policy: Pick<MtaStsPolicy, 'mx'>): string | undefined {
  return new MxMatcher(policy.mx).match(host);
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
