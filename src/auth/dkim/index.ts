// DKIM (RFC 6376, RFC 8463, RFC 8301): verify, sign, keys. The tag-list, canonicalization, body hashing and
// crypto modules are exported for ARC (RFC 8617), which reuses them.
export { verifyDkim, DEFAULT_MAX_SIGNATURES, MIN_RSA_KEY_BITS, MAX_CLOCK_SKEW_SECONDS, type DkimVerifyOptions } from './verify.js';
export {
  signDkim,
  defaultHeaderList,
  OVERSIGNED_HEADERS,
  DEFAULT_SIGNED_HEADERS,
  type DkimSigner,
  type DkimSignOptions,
  type DkimSignResult,
} from './sign.js';
export {
  generateDkimKey,
  describeKey,
  planDkimRotation,
  splitCharacterStrings,
  zoneLine,
  DEFAULT_RSA_BITS,
  MIN_RSA_BITS,
  MAX_RSA_BITS,
  type GeneratedDkimKey,
  type DkimRotationOptions,
  type DkimRotationPlan,
  type DkimRotationStep,
} from './keygen.js';
export { formatAuthResultsDkim, formatAuthResultsDkimAll } from './format.js';
export { parseTagList, stripWhitespace, splitColonList, type Tag, type TagList, type TagListError, type TagListResult } from './tag-list.js';
export {
  parseDkimSignature,
  parseDkimSignatureField,
  MAX_SIGNATURE_OCTETS,
  MAX_SIGNED_HEADER_NAMES,
  type DkimSignature,
  type SignatureParseResult,
} from './signature.js';
export {
  parseDkimKeyRecord,
  loadPublicKey,
  DkimKeyCache,
  defaultKeyCache,
  MAX_KEY_CACHE_ENTRIES,
  type DkimKeyRecord,
  type DkimKeyType,
  type KeyRecordResult,
} from './key-record.js';
export {
  canonicalizeHeaderField,
  parseCanonicalization,
  formatCanonicalization,
  blankTagValue,
  headerHashInput,
  HeaderIndex,
  type Canonicalization,
  type CanonicalizationAlgorithm,
} from './canonicalize.js';
export { BodyCanonicalizer, BodyHasher, hashBody, canonicalizeBody, type BodyHashAlgorithm, type BodyHashResult } from './body-hash.js';
export { signHeaderData, verifyHeaderData, hashOf, keyTypeOf } from './crypto.js';
export { ed25519Verify, ed25519Backend, type Ed25519Backend } from './ed25519.js';
export { lookupKey, firstUsableKey, type KeyLookup } from './key-lookup.js';
export { toDomain } from './signature.js';
export { DkimError, type DkimAlgorithm, type DkimReason, type DkimResult, type DkimSignatureResult, type DkimVerifyResult } from './types.js';
