// Outbound TLS policy: which mechanism secures the session to an MX host (mandatory rule, DANE, MTA-STS,
// forced or opportunistic TLS), and the STARTTLS client connection that applies it. See docs/tls-policy.md.

export type {
  TlsVersion,
  MandatoryTlsRule,
  TlsPolicyConfig,
  TlsMechanism,
  TlsRptPolicyType,
  TlsRptResultType,
  TlsRequirements,
  SkippedMechanism,
  PolicyFailure,
  TlsPolicyDecision,
  TlsPolicyDeps,
  DecideOptions,
} from './types.js';
export { DEFAULT_TLS_POLICY_CONFIG, TLSRPT_RESULT_TYPES } from './types.js';
export { parseTlsPolicyConfig, findMandatoryRule, normalizeFingerprint, MAX_MANDATORY_RULES, type TlsConfigError, type TlsConfigResult } from './config.js';
export { decideTlsPolicy, lookupMxSecure, stsPolicyString } from './select.js';
export {
  connectSmtpTls,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REPLY_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type SmtpTlsConnectOptions,
  type SmtpTlsStage,
  type TlsSessionFailure,
  type TlsDetails,
  type SmtpTlsConnection,
  type SmtpTlsOutcome,
} from './connect.js';
export { verifyPeer, presentedChain, summarizeCertificate, type PeerVerifyResult, type CertificateSummary } from './peer-verify.js';
export { ReplyReader, ReplyError, MAX_REPLY_LINE_BYTES, MAX_REPLY_LINES, type SmtpReply, type ReplyErrorCode } from './smtp-reply.js';
