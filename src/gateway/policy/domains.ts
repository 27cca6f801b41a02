// Our accepted domains (the ones we receive mail for), compiled once: lower-case A-labels, exact match only.
// A subdomain, a trailing-dot variant or an address literal is never "ours" — so it is never a way in.

import type { AcceptedDomainConfig } from '../config-types.js';
import { normalizeConfigDomain } from '../smtp/address.js';

export class AcceptedDomains {
  private readonly domains = new Map<string, Set<string> | undefined>();
  /** The first configured domain: where `<postmaster>` without a domain goes (RFC 5321 §4.1.1.3). */
  readonly primary: string | undefined;

  constructor(configs: readonly AcceptedDomainConfig[]) {
    for (const config of configs) {
      const domain = normalizeConfigDomain(config.domain);
      if (!domain) throw new TypeError(`acceptedDomains: "${config.domain}" is not a domain name`);
      if (this.domains.has(domain)) throw new TypeError(`acceptedDomains: duplicate domain ${config.domain}`);
      this.domains.set(domain, config.mailboxes ? new Set(config.mailboxes.map((m) => m.toLowerCase())) : undefined);
    }
    this.primary = this.domains.keys().next().value;
  }

  /** True when `domainAscii` (lower-case A-labels) is one of ours. */
  has(domainAscii: string): boolean {
    return this.domains.has(domainAscii);
  }

  /** True when the mailbox exists (or the domain lists no mailboxes and the mailbox server decides). */
  mailboxExists(local: string, domainAscii: string): boolean {
    if (!this.domains.has(domainAscii)) return false;
    const boxes = this.domains.get(domainAscii);
    return boxes === undefined || boxes.has(local.toLowerCase());
  }

  list(): string[] {
    return [...this.domains.keys()];
  }
}
