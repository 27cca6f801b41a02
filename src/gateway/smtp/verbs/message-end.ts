// The end of a message, shared by DATA and BDAT LAST: the collector's verdict (size, header size, bare CR/LF),
// then the policy's data stages, then the sink. 250 only after the sink has the message on disk; a sink that
// fails gives 451, so the client keeps the message and retries.

import type { Envelope, IncomingMessage } from '../../message-sink.js';
import { parseHeaderBlock } from '../../../core/message/headers.js';
import { accept, decisionToReply, runStages } from '../../policy/decision.js';
import type { CollectResult } from '../framing/collector.js';
import { Replies, type SmtpReply } from '../reply.js';
import type { SmtpSession } from '../session.js';
import { publish } from '../events.js';
import { reasonOf } from './mail.js';
import { connectorRateKey } from '../../policy/mail-stages.js';

const ACCEPT = accept('default');

/** Finishes the current transaction with the collected message; always resets the transaction. */
export async function endOfMessage(session: SmtpSession, result: CollectResult): Promise<SmtpReply> {
  const tx = session.tx;
  if (!tx) return Replies.badSequence('No transaction');
  const where = { listener: session.listener.name, ip: session.client.ip };
  try {
    if (!result.ok) {
      publish({ type: 'message-refused', ...where, reason: result.reason });
      return result.reason === 'too-big' ? Replies.messageTooBig() : result.reason === 'header-too-big' ? Replies.headerTooBig() : Replies.bareLineEnding();
    }
    if (tx.recipients.length === 0) return Replies.noValidRecipients();
    const envelope: Envelope = {
      mailFrom: tx.mailFrom,
      recipients: tx.recipients,
      body: tx.params.body,
      smtputf8: tx.params.smtputf8,
      ...(tx.params.ret || tx.params.envid ? { dsn: { ret: tx.params.ret, envid: tx.params.envid } } : {}),
    };
    const headers = parseHeaderBlock(result.data.subarray(0, result.headerBytes));
    const facts = session.facts();
    const outcome = await runStages(session.runtime.policy.data, { session: facts, envelope, headers, data: result.data }, ACCEPT, session.limits.policyTimeoutMs);
    publish({ type: 'decision', ...where, point: 'data', stage: outcome.stage, kind: outcome.decision.kind, reason: reasonOf(outcome.decision) });
    if (outcome.decision.kind !== 'accept' && outcome.decision.kind !== 'continue') {
      // Refused at the end of data (a DMARC reject, a From the login may not use, …): worth an info line, since
      // the message never gets a queue id or a trace of its own.
      const reply = decisionToReply(outcome.decision, Replies.ok);
      publish({ type: 'message-refused', ...where, reason: outcome.decision.reason, stage: outcome.stage, mailFrom: tx.mailFrom, recipients: tx.recipients.length, reply: `${reply.code} ${outcome.decision.enhanced}` });
      return reply;
    }
    const message: IncomingMessage = {
      envelope,
      client: {
        ip: session.client.ip,
        port: session.client.port,
        helo: session.helo,
        ...(session.tls ? { tls: session.tls } : {}),
        ...(session.account ? { authUser: session.account.username } : {}),
        ...(session.connector ? { connector: session.connector.name } : {}),
        listener: session.listener.name,
      },
      receivedAt: session.runtime.clock.now(),
      data: result.data,
      direction: tx.external ? 'outbound' : 'inbound',
    };
    let id: string;
    try {
      ({ id } = await session.runtime.sink.enqueue(message));
    } catch {
      publish({ type: 'message-refused', ...where, reason: 'sink-error' });
      return Replies.localError();
    }
    if (session.account) session.runtime.rateLimiter.record(session.account.username);
    else if (session.connector?.config.messagesPerHour !== undefined) session.runtime.rateLimiter.record(connectorRateKey(session.connector.name));
    session.messageAccepted();
    publish({ type: 'queued', ...where, id, size: result.data.length, recipients: tx.recipients.length, direction: message.direction });
    return Replies.queued(id);
  } finally {
    session.resetTransaction();
  }
}
