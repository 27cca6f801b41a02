// Fetching a DKIM key record (RFC 6376 §3.6.2, §6.1.2): the one place where DNS answers map to DKIM
// outcomes. NXDOMAIN and NODATA mean "no key" (PERMFAIL); any DNS error means "try later" (TEMPFAIL).

import type { DnsResolver } from '../../core/dns/types.js';

export type KeyLookup =
  | { kind: 'keys'; texts: string[] }
  | { kind: 'none'; detail: string }
  | { kind: 'temp'; detail: string };

/** Looks up the TXT records at `name` and joins each record's character-strings without separator. */
export async function lookupKey(resolver: DnsResolver, name: string): Promise<KeyLookup> {
  try {
    const answer = await resolver.resolve(name, 'TXT');
    switch (answer.kind) {
      case 'records': {
        const texts = answer.records.map((record) => record.data.join(''));
        return texts.length > 0 ? { kind: 'keys', texts } : { kind: 'none', detail: 'no TXT record' };
      }
      case 'nxdomain':
        return { kind: 'none', detail: 'NXDOMAIN' };
      case 'nodata':
        return { kind: 'none', detail: 'no TXT record' };
      case 'error':
        return { kind: 'temp', detail: `${answer.error}: ${answer.detail}` };
    }
  } catch (error) {
    // The port promises not to throw; a resolver that does anyway is treated as a temporary failure.
    return { kind: 'temp', detail: `resolver failed: ${(error as Error).message}` };
  }
}
