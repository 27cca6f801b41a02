// The MessageSink decorator that writes inbound authentication into the message and the queue: it removes
// Authentication-Results fields that claim our authserv-id (RFC 8601 §5), prepends ours, records the
// outcome in the trace and commits quarantined mail directly in hold. It sits between the Received sink
// and the queue, so our Authentication-Results lands above our Received field, as RFC 8601 §5 asks
// ("SHOULD be inserted above any other trace header fields such MTAs might prepend").

import type { IncomingMessage, MessageSink } from '../message-sink.js';
import type { TracedIncomingMessage } from '../queue/sink.js';
import type { TraceEventInput } from '../trace/types.js';
import { removeAuthResultsClaiming } from './auth-results-field.js';
import { INBOUND_AUTH_STAGE, type InboundAuthResults } from './stage.js';
import type { InboundAuthOutcome } from './types.js';

/** The stage should have verified this message but left nothing: refuse it (451) rather than pass it unchecked. */
export class InboundAuthMissingError extends Error {
  readonly code = 'inbound-auth-missing';
  constructor() {
    super('inbound-auth: a message from an inbound listener reached the queue without its verification result');
    this.name = 'InboundAuthMissingError';
  }
}

export interface AuthResultsSinkOptions {
  authservId: string;
  results: InboundAuthResults;
  /**
   * Whether the stage must have verified this message (inbound listener, no login, no connector). Such a
   * message without an outcome is refused: fail safe, never queued without its checks or its hold.
   */
  mustBeVerified: (message: IncomingMessage) => boolean;
}

export class AuthResultsSink implements MessageSink {
  constructor(
    private readonly next: MessageSink,
    private readonly options: AuthResultsSinkOptions,
  ) {}

  /**
   * Verified mail: forged fields out, ours on top, trace event added, `hold` set when quarantined. Other
   * mail for our mailboxes (submission, relay) is not verified here, but forged fields with our authserv-id
   * are still removed: a local recipient's reader must never see our name on a verdict we did not write.
   */
  enqueue(message: TracedIncomingMessage): Promise<{ id: string }> {
    const outcome = this.options.results.take(message.envelope);
    if (outcome === undefined) {
      if (this.options.mustBeVerified(message)) return Promise.reject(new InboundAuthMissingError());
      if (message.direction !== 'inbound') return this.next.enqueue(message);
      const { data, removed } = removeAuthResultsClaiming(message.data, this.options.authservId);
      return this.next.enqueue(removed === 0 ? message : { ...message, data });
    }
    const { data, removed } = removeAuthResultsClaiming(message.data, this.options.authservId);
    const stamped: TracedIncomingMessage = {
      ...message,
      data: Buffer.concat([Buffer.from(`${outcome.result.authenticationResults}\r\n`, 'utf8'), data]),
      traceEvents: [...(message.traceEvents ?? []), authTraceEvent(outcome, removed)],
    };
    if (outcome.verdict.hold !== undefined) stamped.hold = outcome.verdict.hold;
    return this.next.enqueue(stamped);
  }
}

/** The trace's record of the checks and the decision: verdicts and codes, never message content. */
export function authTraceEvent(outcome: InboundAuthOutcome, removedAuthResults: number): TraceEventInput {
  const { result, verdict } = outcome;
  return {
    kind: 'policy',
    data: {
      stage: INBOUND_AUTH_STAGE,
      decision: verdict.action,
      reason: verdict.reason,
      spf: result.spf.result,
      spfDomain: result.spf.domain,
      dkim: result.dkim.signatures.map((s) => `${s.result} d=${s.domain} s=${s.selector}`),
      arc: result.arc.cv,
      dmarc: result.dmarc.result,
      dmarcReason: result.dmarc.reason,
      fromDomain: result.dmarc.fromDomain,
      policy: result.dmarc.policy?.requested ?? null,
      disposition: result.disposition.action,
      dispositionReason: result.disposition.reason,
      removedAuthResults,
      ...(verdict.hold === undefined ? {} : { hold: verdict.hold }),
    },
  };
}
