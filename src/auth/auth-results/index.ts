// Authentication-Results (RFC 8601) and ARC-Authentication-Results (RFC 8617 §4.1.1): format at the edge,
// parse tolerantly, pick trusted headers. See docs/auth-results.md.

export type {
  AuthResultPtype,
  AuthResultProp,
  AuthResultEntry,
  AuthResults,
  ArcAuthResults,
  AuthResultsWarning,
  AuthResultsError,
  AuthResultsErrorCode,
  AuthResultsParseResult,
  ArcAuthResultsParseResult,
  FormatAuthResultsOptions,
} from './types.js';
export {
  parseAuthenticationResults,
  parseArcAuthenticationResults,
  resultsFor,
  MAX_AUTH_RESULTS_LENGTH,
  MAX_RESULTS,
  MAX_ARC_INSTANCE,
} from './parse.js';
export { MAX_COMMENT_DEPTH } from './scanner.js';
export { formatAuthenticationResults, formatAuthenticationResultsValue, formatValue, AuthResultsFormatError } from './format.js';
export { selectTrustedAuthResults, type TrustedAuthResults } from './trusted.js';
