// MAIL FROM (RFC 5321 §4.1.1.2) with SIZE, BODY, SMTPUTF8, RET, ENVID and AUTH= parameters; then the policy's
// MAIL stages (TLS/auth requirements, the sender an account may use, the account's rate).

import { parsePath, splitPathArgument } from '../address.js';
import { parseMailParams } from '../params.js';
import { Replies } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { answer, type VerbResult } from '../verb.js';
import { decisionToReply, runStages, accept } from '../../policy/decision.js';
import { publish } from '../events.js';

const ACCEPT = accept('default');

export async function mail(session: SmtpSession, args: string): Promise<VerbResult> {
  if (!/^from:/i.test(args)) return answer(Replies.syntax('Syntax: MAIL FROM:<address> [parameters]'));
  if (session.messages >= session.limits.maxMessagesPerSession) return answer(Replies.tooManyMessages());
  const split = splitPathArgument(args.slice(5));
  if (!split) return answer(Replies.syntax('Syntax: MAIL FROM:<address> [parameters]'));
  const path = parsePath(split.path, true);
  if (!path.ok) return answer(path.error === 'source-route' ? Replies.sourceRoute() : Replies.badSenderAddress(`Bad sender address: ${path.detail}`));
  if (path.kind === 'postmaster') return answer(Replies.badSenderAddress('Bad sender address: address has no domain'));
  const params = parseMailParams(split.rest, session.limits.maxMessageBytes);
  if (!params.ok) return answer(params.reply);
  const sender = path.kind === 'mailbox' ? path.mailbox : undefined;
  if (sender?.nonAscii && !params.value.smtputf8) return answer(Replies.needSmtputf8());
  const outcome = await runStages(session.runtime.policy.mail, { session: session.facts(), sender, params: params.value }, ACCEPT, session.limits.policyTimeoutMs);
  publish({ type: 'decision', listener: session.listener.name, ip: session.client.ip, point: 'mail', stage: outcome.stage, kind: outcome.decision.kind, reason: reasonOf(outcome.decision), address: sender?.address ?? '' });
  if (outcome.decision.kind === 'accept' || outcome.decision.kind === 'continue') session.startTransaction(sender, sender?.address ?? '', params.value);
  return answer(decisionToReply(outcome.decision, Replies.senderOk));
}

export function reasonOf(decision: { kind: string; reason?: string }): string {
  return decision.reason ?? decision.kind;
}
