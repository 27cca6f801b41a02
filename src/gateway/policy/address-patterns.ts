// The addresses an account or connector may send as: exact addresses (`alice@example.com`) and whole domains
// (`*@dept.example.com`, exactly that domain, not its subdomains). Compiled once when the config is loaded;
// matching is case-insensitive and compares domains in lower-case A-label form.

import { normalizeConfigDomain } from '../smtp/address.js';

export interface AddressParts {
  /** The local part without quotes. */
  local: string;
  /** Lower-case A-label domain. */
  domain: string;
}

export type AddressMatcher = (address: AddressParts) => boolean;

/**
 * Compiles patterns into a matcher. Throws a TypeError naming `where` for a pattern that is neither
 * `local@domain` nor `*@domain` (fail loud at start).
 */
export function compileAddressPatterns(patterns: readonly string[], where: string): AddressMatcher {
  const exact = new Set<string>();
  const domains = new Set<string>();
  for (const pattern of patterns) {
    const at = pattern.lastIndexOf('@');
    const local = pattern.slice(0, at);
    const domain = at > 0 ? normalizeConfigDomain(pattern.slice(at + 1)) : undefined;
    if (!domain || local === '' || (local.includes('*') && local !== '*')) {
      throw new TypeError(`${where}: "${pattern}" is not an address or *@domain`);
    }
    if (local === '*') domains.add(domain);
    else exact.add(`${local.toLowerCase()}@${domain}`);
  }
  return (address) => domains.has(address.domain) || exact.has(`${address.local.toLowerCase()}@${address.domain}`);
}
