// Domain matching shared by forward() and shouldRewrite(): case-insensitive, trailing dot ignored, and a
// leading dot meaning "any subdomain of" (PostSRSd's `domains` list syntax).

/** Canonical form for comparison: ASCII lower case, no trailing dot. */
export function canonicalDomain(domain: string): string {
  const trimmed = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  return trimmed.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** A compiled list of our domains: exact names, and suffixes from entries written `.example.com`. */
export class DomainSet {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(domains: readonly string[]) {
    for (const entry of domains) {
      const name = canonicalDomain(entry.trim());
      if (name === '' || name === '.') continue;
      if (name.startsWith('.')) this.suffixes.push(name);
      else this.exact.add(name);
    }
  }

  /** True when `domain` is one of ours. */
  has(domain: string): boolean {
    const name = canonicalDomain(domain);
    if (this.exact.has(name)) return true;
    return this.suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  }
}
