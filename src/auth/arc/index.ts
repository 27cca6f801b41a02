// ARC (RFC 8617): validate a chain, seal a message, report the chain for trusted-sealer policy.
// Built on src/auth/dkim (tag lists, canonicalization, body hashing, crypto, key records) and
// src/auth/auth-results (AAR parsing). See docs/arc.md.
export { verifyArc, type ArcVerifyOptions } from './verify.js';
export { sealArc, defaultArcHeaderList, type ArcSealOptions, type ArcSealResult } from './seal.js';
export { formatAuthResultsArc, layoutSignedField, layoutAar, type ArcTag, type SignedFieldLayout } from './format.js';
export {
  parseArcMessageSignatureField,
  parseArcSealField,
  parseInstance,
  MAX_ARC_INSTANCE,
  type ArcMessageSignature,
  type ArcSeal,
  type ArcFieldParse,
  type PartialArcSignature,
} from './signature.js';
export { collectArcSets, checkStructure, MAX_ARC_FIELDS, type CollectedChain, type CollectedSet, type ChainProblem } from './sets.js';
export { collectAuthResults, splitAuthResults, authservIdOf, arcResultOf, viewAar } from './aar.js';
export {
  ArcError,
  type ArcChainStatus,
  type ArcReason,
  type ArcSignatureVerdict,
  type ArcSignatureReason,
  type ArcSignatureCheck,
  type ArcAuthResultsView,
  type ArcInstance,
  type ArcValidationResult,
} from './types.js';
