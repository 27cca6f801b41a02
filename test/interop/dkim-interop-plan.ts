// What each interop case signs: every corpus message with both key types and all four canonicalization
// pairs, some with an explicit h= (absent and repeated names), i= or l=, and a share of them tampered after
// signing (the From address changed) so that failing verdicts are compared too, not only passes.

import type { CorpusMessage } from './dkim-corpus.js';
import type { KeyName } from './dkim-peers.js';

export const CANONICALIZATIONS = ['relaxed/relaxed', 'simple/simple', 'relaxed/simple', 'simple/relaxed'] as const;
export const KEY_NAMES: readonly KeyName[] = ['rsa', 'ed25519'];
/** One signed copy in this many is also checked tampered. */
const TAMPER_EVERY = 6;

export interface SignPlan {
  /** `m042.rsa.relaxed-simple` (+ `.h`, `.i`, `.l` for the variants): stable for the corpus seed. */
  id: string;
  message: CorpusMessage;
  key: KeyName;
  canonicalization: (typeof CANONICALIZATIONS)[number];
  /** Explicit h= (names as given, lower case); undefined: the signer's default. */
  headers?: string[];
  identity?: string;
  bodyLength?: boolean;
  /** Also check a copy with the From address changed after signing: every verifier must say fail. */
  tamper: boolean;
}

/** An explicit h=: From and Subject twice (one more than most messages have), a name no message has. */
const EXPLICIT_HEADERS = ['from', 'to', 'subject', 'subject', 'date', 'message-id', 'x-not-present', 'from'];

/** Every (message, key, canonicalization) with deterministic variants; the same list for both directions. */
export function signPlans(corpus: readonly CorpusMessage[]): SignPlan[] {
  const plans: SignPlan[] = [];
  let n = 0;
  for (const [index, message] of corpus.entries()) {
    for (const key of KEY_NAMES) {
      for (const [c, canonicalization] of CANONICALIZATIONS.entries()) {
        const variant = (index * 8 + KEY_NAMES.indexOf(key) * 4 + c) % 13;
        const plan: SignPlan = { id: `${message.id}.${key}.${canonicalization.replace('/', '-')}`, message, key, canonicalization, tamper: n++ % TAMPER_EVERY === 0 };
        if (variant === 3) {
          plan.headers = EXPLICIT_HEADERS;
          plan.id += '.h';
        } else if (variant === 7) {
          plan.identity = `user@mail.${'example.com'}`;
          plan.id += '.i';
        } else if (variant === 11) {
          plan.bodyLength = true;
          plan.id += '.l';
        }
        plans.push(plan);
      }
    }
  }
  return plans;
}

/**
 * The signed message with the From field's address changed (`x` inserted before the `@`). Only a field
 * line starting `From:` (any case) matches, not `h=from:…` inside a signature, whose lines start with WSP.
 */
export function tamperFrom(signed: Buffer): Buffer {
  const text = signed.toString('latin1');
  const changed = text.replace(/(^|\r\n)(from[ \t]*:[^\r\n]*?)@/i, '$1$2x@');
  if (changed === text) throw new Error('tamperFrom: no From address to change');
  return Buffer.from(changed, 'latin1');
}
