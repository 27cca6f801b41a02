// Fetching a DKIM key record (RFC 6376 §3.6.2, §6.1.2): the one place where DNS answers map to DKIM
// outcomes. NXDOMAIN and NODATA mean "no key" (PERMFAIL); any DNS error means "try later" (TEMPFAIL).

import type { DkimKeyCache, LoadedKey } from './key-record.js';
import type { DnsAnswer, DnsResolver } from '../../core/dns/types.js';

export type KeyLookup =
  | { kind: 'keys'; texts: string[] }
  | { kind: 'none'; detail: string }
  | { kind: 'temp'; detail: string };

/**
 * Record texts by answer object. A caching resolver hands out the same (immutable) answer object on every
 * hit, so a hit costs no joining, and the key cache then sees the very same strings again (their hashes
 * already computed). Weak: an answer the resolver dropped takes its entry with it.
 */
const textsByAnswer = new WeakMap<object, string[]>();

/**
 * Looks up the TXT records at `name` and joins each record's character-strings without separator.
 * The `texts` of a result may be shared between calls: treat them as read-only.
 */
export async function lookupKey(resolver: DnsResolver, name: string): Promise<KeyLookup> {
  try {
    return keyLookupFromAnswer(await resolver.resolve(name, 'TXT'));
  } catch (error) {
    return keyLookupFromError(error);
  }
}

/** What lookupKey returns for a DNS answer (the one mapping of answers to DKIM key outcomes). */
export function keyLookupFromAnswer(answer: DnsAnswer<'TXT'>): KeyLookup {
  switch (answer.kind) {
    case 'records': {
      let texts = textsByAnswer.get(answer);
      if (texts === undefined) {
        texts = Object.freeze(answer.records.map((record) => record.data.join(''))) as string[];
        textsByAnswer.set(answer, texts);
      }
      return texts.length > 0 ? { kind: 'keys', texts } : { kind: 'none', detail: 'no TXT record' };
    }
    case 'nxdomain':
      return { kind: 'none', detail: 'NXDOMAIN' };
    case 'nodata':
      return { kind: 'none', detail: 'no TXT record' };
    case 'error':
      return { kind: 'temp', detail: `${answer.error}: ${answer.detail}` };
  }
}

/** What lookupKey returns when the resolver throws or rejects (the port promises not to). */
export function keyLookupFromError(error: unknown): KeyLookup {
  // A resolver that fails anyway is treated as a temporary failure.
  return { kind: 'temp', detail: `resolver failed: ${(error as Error).message}` };
}

/** Tells a KeyLookup from a DNS answer (their `kind`s differ). */
export function isKeyLookup(value: DnsAnswer<'TXT'> | KeyLookup): value is KeyLookup {
  return value.kind === 'keys' || value.kind === 'none' || value.kind === 'temp';
}

/**
 * Loads the key records of a lookup in order and returns the first usable one, or, when none is usable, the
 * first failure (so its reason is reported); undefined when the lookup found no record texts.
 */
export function firstUsableKey(texts: readonly string[], cache: DkimKeyCache): LoadedKey | undefined {
  let loaded: LoadedKey | undefined;
  for (const text of texts) {
    const candidate = cache.load(text);
    if (candidate.ok) return candidate;
    loaded ??= candidate;
  }
  return loaded;
}
