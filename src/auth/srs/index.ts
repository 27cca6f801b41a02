// SRS, the Sender Rewriting Scheme (PostSRSd/libsrs2 format, Mail::SRS::Guarded compatible). See docs/srs.md.

export type {
  SrsOptions,
  SrsSeparator,
  SrsHashEncoding,
  SrsForwardResult,
  SrsForwardReason,
  SrsReverseResult,
  SrsReverseReason,
  SrsPart,
  ShouldRewriteInput,
  ShouldRewriteDecision,
} from './types.js';
export {
  createSrs,
  isSrsAddress,
  SrsConfigError,
  SRS_SEPARATORS,
  DEFAULT_HASH_LENGTH,
  DEFAULT_MAX_AGE_DAYS,
  DEFAULT_MAX_ADDRESS_LENGTH,
  type SrsRewriter,
} from './srs.js';
export { shouldRewrite } from './policy.js';
export { parseSecretFile } from './secrets.js';
export { timestampFor, decodeTimestamp, BASE32_ALPHABET, TIMESTAMP_SLOTS } from './hash.js';
