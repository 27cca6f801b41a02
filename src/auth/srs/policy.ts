// When to rewrite: SRS exists because SPF checks the envelope sender against the forwarding host.

import { DomainSet } from './domains.js';
import type { ShouldRewriteDecision, ShouldRewriteInput } from './types.js';

/**
 * Decides whether a message's envelope sender needs SRS on its way out. Rewrite a forward to an external
 * destination whose sender domain is not ours; leave alone local delivery (the recipient domain is ours),
 * our own senders (our SPF covers them) and the null sender (bounces have no sender to rewrite, RFC 5321
 * §4.5.5). Never throws.
 */
export function shouldRewrite(input: ShouldRewriteInput): ShouldRewriteDecision {
  if (input.sender === '' || input.sender === '<>') return { rewrite: false, reason: 'null-sender' };
  const at = input.sender.lastIndexOf('@');
  const senderDomain = at < 0 ? '' : input.sender.slice(at + 1);
  if (senderDomain === '') return { rewrite: false, reason: 'no-sender-domain' };
  const ours = new DomainSet(input.localDomains);
  if (ours.has(input.recipientDomain)) return { rewrite: false, reason: 'local-delivery' };
  if (ours.has(senderDomain)) return { rewrite: false, reason: 'local-sender' };
  return { rewrite: true, reason: 'external-forward' };
}
