// The inbound authentication parts as startGateway wires them: one results map shared by the DATA stage
// and the sink, and the rule for which messages must have been verified.

import type { DnsResolver } from '../../core/dns/types.js';
import type { Clock } from '../../core/clock.js';
import type { ListenerConfig } from '../config-types.js';
import type { IncomingMessage, MessageSink } from '../message-sink.js';
import type { PolicyStage } from '../policy/decision.js';
import type { DataInput } from '../policy/types.js';
import { AuthResultsSink } from './sink.js';
import { InboundAuthResults, inboundAuthStage, type InboundAuthStageDeps } from './stage.js';
import type { InboundAuthSettings } from './types.js';

export interface InboundAuthParts {
  /** The DATA stage (add it with withInboundAuth). */
  stage: PolicyStage<DataInput>;
  /** Wraps the queue's sink; put the Received sink in front of the result so A-R lands above Received. */
  wrapSink(next: MessageSink): MessageSink;
}

/** Builds the stage and the sink decorator over one shared results map. */
export function inboundAuthParts(
  settings: InboundAuthSettings,
  listeners: readonly ListenerConfig[],
  resolver: DnsResolver,
  clock?: Clock,
  onVerified?: InboundAuthStageDeps['onVerified'],
): InboundAuthParts {
  const results = new InboundAuthResults();
  // Listener names are unique (startSmtpGateway refuses duplicates); a listener's name defaults to its role.
  const inbound = new Set(listeners.filter((l) => l.role === 'inbound').map((l) => l.name ?? l.role));
  const mustBeVerified = (m: IncomingMessage) => inbound.has(m.client.listener) && m.client.authUser === undefined && m.client.connector === undefined;
  return {
    stage: inboundAuthStage(settings, { resolver, results, ...(clock === undefined ? {} : { clock }), ...(onVerified === undefined ? {} : { onVerified }) }),
    wrapSink: (next) => new AuthResultsSink(next, { authservId: settings.authservId, results, mustBeVerified }),
  };
}
