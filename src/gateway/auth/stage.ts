// The inbound authentication DATA stage: SPF, DKIM, ARC and DMARC (verifyMessage, src/auth/pipeline) for
// mail arriving on an inbound (MX) listener from a client that neither logged in nor matched a relay
// connector. It refuses a p=reject failure (550 5.7.1, reason dmarc-reject) and defers a temperror when told
// to; for everything it lets through it leaves the result for AuthResultsSink, which stamps the
// Authentication-Results field and commits quarantined mail in hold. The checks run once per message.

import type { DnsResolver } from '../../core/dns/types.js';
import type { Clock } from '../../core/clock.js';
import { verifyMessage } from '../../auth/pipeline/index.js';
import type { Envelope } from '../message-sink.js';
import { CONTINUE, reject, tempfail, type PolicyStage } from '../policy/decision.js';
import type { DataInput } from '../policy/types.js';
import { decideInbound, deferText, rejectText } from './decide.js';
import type { InboundAuthOutcome, InboundAuthSettings } from './types.js';

/** The stage's name in the trace and the `decision` events. */
export const INBOUND_AUTH_STAGE = 'inbound-auth';

/**
 * Hands each verified message's outcome from the stage to the sink. Keyed by the transaction's Envelope
 * object: the stage sees it in DataInput and the same object reaches the sink in IncomingMessage (the
 * Received sink in front of ours replaces `data` but keeps the envelope). A WeakMap, so the outcome of a
 * message a later stage refused goes with its envelope.
 */
export class InboundAuthResults {
  private readonly byEnvelope = new WeakMap<Envelope, InboundAuthOutcome>();

  set(envelope: Envelope, outcome: InboundAuthOutcome): void {
    this.byEnvelope.set(envelope, outcome);
  }

  /** The outcome for this message, removed from the map (each is stamped once). */
  take(envelope: Envelope): InboundAuthOutcome | undefined {
    const outcome = this.byEnvelope.get(envelope);
    if (outcome !== undefined) this.byEnvelope.delete(envelope);
    return outcome;
  }
}

export interface InboundAuthStageDeps {
  /** The gateway's resolver; a long-lived CachingResolver keeps answers warm across messages. */
  resolver: DnsResolver;
  results: InboundAuthResults;
  clock?: Clock;
  /**
   * Told of every verdict (refused ones too) for DMARC aggregate reports; must not throw or block (the SMTP
   * client waits for the reply).
   */
  onVerified?: (outcome: InboundAuthOutcome, sourceIp: string, mailFrom: string) => void;
}

/** Whether a session's mail is checked: inbound listener, no login, no relay connector. */
export function isCheckedSession(session: DataInput['session']): boolean {
  return session.listener.role === 'inbound' && session.account === undefined && session.connector === undefined;
}

/**
 * The stage. Continues (so later stages still run) for mail it accepts or quarantines; 550 5.7.1 for a
 * DMARC p=reject failure under `reject-and-quarantine`; 451 4.4.3 for a temperror under `onTempError: defer`.
 * verifyMessage does not throw for message or DNS problems; anything else thrown becomes 451 in runStages.
 */
export function inboundAuthStage(settings: InboundAuthSettings, deps: InboundAuthStageDeps): PolicyStage<DataInput> {
  const options = {
    resolver: deps.resolver,
    authservId: settings.authservId,
    mode: settings.dmarcMode,
    trustedArcSealers: settings.trustedArcSealers,
    trustedHops: settings.trustedHops,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  };
  return {
    name: INBOUND_AUTH_STAGE,
    run: async ({ session, envelope, data }) => {
      if (!isCheckedSession(session)) return CONTINUE;
      const result = await verifyMessage(data, { ...options, ip: session.client.ip, helo: session.helo, mailFrom: envelope.mailFrom });
      const verdict = decideInbound(result, settings);
      deps.onVerified?.({ result, verdict }, session.client.ip, envelope.mailFrom);
      if (verdict.action === 'reject') return reject(550, '5.7.1', rejectText(result), verdict.reason);
      if (verdict.action === 'defer') return tempfail(451, '4.4.3', deferText(result), verdict.reason);
      deps.results.set(envelope, { result, verdict });
      return CONTINUE;
    },
  };
}
