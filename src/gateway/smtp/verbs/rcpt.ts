// RCPT TO (RFC 5321 §4.1.1.3) with NOTIFY and ORCPT (RFC 3461). Strict address syntax first, then the limit on
// recipients, then the policy's RCPT stages, whose fallback is "relay access denied".

import { parsePath, splitPathArgument, type Mailbox } from '../address.js';
import { parseRcptParams } from '../params.js';
import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';
import { decisionToReply, runStages } from '../../policy/decision.js';
import { RELAY_DENIED } from '../../policy/rcpt-stages.js';
import { publish } from '../events.js';
import { reasonOf } from './mail.js';

export async function rcpt(session: SmtpSession, args: string): Promise<VerbResult> {
  const tx = session.tx!;
  if (!/^to:/i.test(args)) return answer(Replies.syntax('Syntax: RCPT TO:<address> [parameters]'));
  if (tx.recipients.length >= session.limits.maxRecipients) {
    // RFC 5321 §4.5.3.1.10: 452, the client sends the rest in another transaction. A flood gets 421.
    if (++tx.overshoot > session.limits.recipientOvershoot) return answer(Replies.tooManyRecipientsFlood());
    return answer(Replies.tooManyRecipients());
  }
  const split = splitPathArgument(args.slice(3));
  if (!split) return answer(Replies.syntax('Syntax: RCPT TO:<address> [parameters]'));
  const path = parsePath(split.path, false);
  if (!path.ok) return answer(path.error === 'source-route' ? Replies.sourceRoute() : Replies.badAddress(`Bad recipient address: ${path.detail}`));
  let recipient: Mailbox;
  if (path.kind === 'postmaster') {
    const primary = session.runtime.domains.primary;
    if (!primary) return answer(Replies.badAddress('Bad recipient address: address has no domain'));
    recipient = { localPart: 'postmaster', localUnquoted: 'postmaster', domain: primary, domainAscii: primary, isLiteral: false, nonAscii: false, address: `postmaster@${primary}` };
  } else if (path.kind === 'mailbox') {
    recipient = path.mailbox;
  } else {
    return answer(Replies.badAddress('Bad recipient address: empty'));
  }
  if (recipient.nonAscii && !tx.params.smtputf8) return answer(Replies.needSmtputf8());
  const params = parseRcptParams(split.rest);
  if (!params.ok) return answer(params.reply);
  const outcome = await runStages(session.runtime.policy.rcpt, { session: session.facts(), sender: tx.sender, recipient }, RELAY_DENIED, session.limits.policyTimeoutMs);
  publish({ type: 'decision', listener: session.listener.name, ip: session.client.ip, point: 'rcpt', stage: outcome.stage, kind: outcome.decision.kind, reason: reasonOf(outcome.decision), address: recipient.address });
  // Only an explicit accept lets a recipient in: "continue" to the end falls back to RELAY_DENIED above.
  if (outcome.decision.kind !== 'accept') return answer(decisionToReply(outcome.decision, Replies.recipientOk));
  const key = recipient.address.toLowerCase();
  if (!tx.seen.has(key)) {
    tx.seen.add(key);
    const dsn = params.value.notify || params.value.orcpt ? { notify: params.value.notify, orcpt: params.value.orcpt } : undefined;
    tx.recipients.push(dsn ? { address: recipient.address, dsn } : { address: recipient.address });
    if (recipient.isLiteral || !session.runtime.domains.has(recipient.domainAscii)) tx.external = true;
  }
  session.phase = 'rcpt';
  return answer(Replies.recipientOk());
}
