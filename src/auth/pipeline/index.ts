// The message verification pipeline: SPF, DKIM, ARC, DMARC and local policy in one call, with the
// Authentication-Results header to add; and the forwarding explainer. See docs/verify.md.

export { verifyMessage, MAX_RECEIVED_FIELDS } from './verify.js';
export { parseReceived, MAX_RECEIVED_LENGTH, type ReceivedHop, type ReceivedParse } from './received.js';
export { chooseSpfHop, compileTrustedNetworks, MAX_TRUSTED_HOPS, type TrustedNetworks } from './hops.js';
export { evaluateTrustedArc, normalizeSealers } from './arc-policy.js';
export { buildAuthenticationResults, type HeaderInput } from './header.js';
export {
  VerifyOptionsError,
  type VerifyMessageOptions,
  type VerifyResult,
  type SpfVerdict,
  type SpfHop,
  type HopReason,
  type ArcVerdict,
  type ArcPolicyDecision,
  type ArcPolicyReason,
  type Disposition,
  type DispositionReason,
} from './types.js';
export {
  explainForwarding,
  DEFAULT_ORIGIN_IP,
  DEFAULT_FORWARDER_IP,
  type ForwardingScenario,
  type ForwardingExplanation,
  type ForwardingVariant,
  type ForwardingVariantName,
} from './forwarding.js';
