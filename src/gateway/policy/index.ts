// The gateway's policy: the stages at each decision point, compiled once from the config. See
// docs/gateway-smtp.md for the order and the replies.

import type { GatewayConfig, SmtpLimits } from '../config-types.js';
import type { AcceptedDomains } from './domains.js';
import { accountRateStage, requireAuthStage, requireTlsStage, senderAllowedStage } from './mail-stages.js';
import { acceptedDomainStage, relayRightsStage, routingCharactersStage } from './rcpt-stages.js';
import { headerFromAllowedStage, hopCountStage, ownDomainFromStage } from './data-stages.js';
import type { AccountRateLimiter } from './rate-limit.js';
import type { PolicyStage } from './decision.js';
import type { DataInput, GatewayPolicy } from './types.js';

export interface PolicyParts {
  domains: AcceptedDomains;
  rateLimiter: AccountRateLimiter;
  limits: SmtpLimits;
}

/** The default stages for a config: the three ways to send and "never an open relay". */
export function buildPolicy(config: GatewayConfig, parts: PolicyParts): GatewayPolicy {
  return {
    mail: [requireTlsStage, requireAuthStage(config.directSend), senderAllowedStage, accountRateStage(parts.rateLimiter, parts.limits.accountMessagesPerHour)],
    rcpt: [routingCharactersStage, acceptedDomainStage(parts.domains), relayRightsStage],
    data: [hopCountStage(parts.limits.maxReceivedHeaders), headerFromAllowedStage, ownDomainFromStage(parts.domains, config.directSend)],
  };
}

/**
 * The policy with the inbound authentication stage (src/gateway/auth) added last among the DATA stages:
 * the local checks (loop, From rights, own-domain From) are cheap and refuse first; the DNS-bound checks
 * run only for what they let through. The stage itself skips sessions that are not inbound/unauthenticated.
 */
export function withInboundAuth(policy: GatewayPolicy, stage: PolicyStage<DataInput>): GatewayPolicy {
  return { ...policy, data: [...policy.data, stage] };
}

export { RELAY_DENIED } from './rcpt-stages.js';
export * from './decision.js';
export type * from './types.js';
export { AccountDirectory, hashPassword, verifyPassword, parsePasswordHash, type Account } from './accounts.js';
export { compileAddressPatterns, type AddressMatcher, type AddressParts } from './address-patterns.js';
export { compileConnectors, matchConnector, checkConnectorSpf, checkAllConnectorsSpf, parseNetwork, type Connector, type ClientCertificate, type ConnectorSpfWarning } from './connectors.js';
export { AcceptedDomains } from './domains.js';
export { AccountRateLimiter, RATE_WINDOW_MS } from './rate-limit.js';
export { headerFromAddresses, parseFromValue, countReceived } from './header-from.js';
