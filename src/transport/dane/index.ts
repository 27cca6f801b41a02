// DANE for SMTP (RFC 7672 over RFC 6698/7671): TLSA lookup with the DNSSEC rules, record usability, and
// certificate-chain verification. See docs/dane.md.

export type {
  TlsaRecord,
  TlsaUnusable,
  TlsaUnusableCode,
  DaneFailureType,
  DaneNoneReason,
  DaneTempReason,
  DanePolicy,
  DaneUnusable,
  DaneNone,
  DaneTempError,
  DaneLookupResult,
  DaneVerifyFailure,
  DaneVerifyResult,
  DaneMatchKind,
} from './types.js';
export { TLSA_USAGE, TLSA_SELECTOR, TLSA_MATCHING } from './types.js';
export { classifyTlsa, checkTlsaRecord, applyDigestAgility, parseTlsaText, formatTlsa, DIGEST_LENGTH, MAX_FULL_DATA, type TlsaProfile, type TlsaParseResult } from './tlsa.js';
export { certificateMatchesTlsa, tlsaDataFor } from './match.js';
export { verifyDaneChain, MAX_PRESENTED_CERTS, type DaneVerifyOptions } from './verify.js';
export { MAX_PATH_LENGTH, MAX_PATHS_EXPLORED } from './chain.js';
export { lookupDane, daneLookupFailureType, SMTP_PORT, type DaneLookupInput, type DaneLookupOptions } from './lookup.js';
