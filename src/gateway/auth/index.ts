// Inbound authentication and DMARC enforcement in the gateway: the DATA stage, the Authentication-Results
// sink and the verdict. See docs/gateway.md#inbound-authentication-and-dmarc-enforcement.

export { inboundAuthStage, isCheckedSession, InboundAuthResults, INBOUND_AUTH_STAGE, type InboundAuthStageDeps } from './stage.js';
export { AuthResultsSink, InboundAuthMissingError, authTraceEvent, type AuthResultsSinkOptions } from './sink.js';
export { decideInbound, rejectText, deferText } from './decide.js';
export { removeAuthResultsClaiming, authservIdOf, canonicalAuthservId } from './auth-results-field.js';
export type { DmarcEnforcement, InboundAuthSettings, InboundAuthVerdict, InboundAuthOutcome } from './types.js';
export { inboundAuthParts, type InboundAuthParts } from './gateway-parts.js';
