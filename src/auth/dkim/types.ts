// DKIM result types and reason codes (RFC 6376 §6, RFC 8601 §2.7.1). Reason codes are stable: the CLI,
// the JSON output and docs/dkim.md use them.

export type DkimAlgorithm = 'rsa-sha256' | 'rsa-sha1' | 'ed25519-sha256';

/** The verdict for one signature, in RFC 8601's words. */
export type DkimResult = 'pass' | 'fail' | 'neutral' | 'policy' | 'temperror' | 'permerror' | 'none';

/**
 * Why a signature got its result. The RFC 6376 §3.9 / §6.1 status in brackets.
 *  pass:       `verified`
 *  fail:       `body-hash-mismatch` (body hash did not verify), `signature-mismatch` (signature did not verify),
 *              `signature-expired` (x= in the past), `body-length-exceeds-body` (l= larger than the body)
 *  neutral:    signature syntax (RFC 8601: "syntax errors"): `signature-syntax`, `signature-missing-tag`,
 *              `signature-version`, `signature-bad-tag`, `algorithm-unknown`, `canonicalization-unknown`,
 *              `query-method-unknown`, `identity-mismatch` (domain mismatch), `from-not-signed`,
 *              `timestamps-inconsistent`, `signed-headers-too-many`
 *  policy:     `algorithm-rsa-sha1`, `key-too-small` (RFC 8301), `signature-timestamp-future`
 *  permerror:  `key-not-found` (no key for signature), `key-syntax` (key syntax error), `key-revoked`,
 *              `key-type-mismatch` (inappropriate key algorithm), `key-hash-not-allowed`, `key-service-mismatch`,
 *              `key-invalid` (p= is not a usable key), `identity-subdomain-forbidden` (key t=s)
 *  temperror:  `key-dns-error` (key unavailable)
 */
export type DkimReason =
  | 'verified'
  | 'body-hash-mismatch'
  | 'signature-mismatch'
  | 'signature-expired'
  | 'body-length-exceeds-body'
  | 'signature-syntax'
  | 'signature-missing-tag'
  | 'signature-version'
  | 'signature-bad-tag'
  | 'algorithm-unknown'
  | 'canonicalization-unknown'
  | 'query-method-unknown'
  | 'identity-mismatch'
  | 'from-not-signed'
  | 'timestamps-inconsistent'
  | 'signed-headers-too-many'
  | 'algorithm-rsa-sha1'
  | 'key-too-small'
  | 'signature-timestamp-future'
  | 'key-not-found'
  | 'key-syntax'
  | 'key-revoked'
  | 'key-type-mismatch'
  | 'key-hash-not-allowed'
  | 'key-service-mismatch'
  | 'key-invalid'
  | 'identity-subdomain-forbidden'
  | 'key-dns-error';

/** The result of verifying one DKIM-Signature field. */
export interface DkimSignatureResult {
  result: DkimResult;
  /** Stable code (see DkimReason). */
  reason: DkimReason;
  /** What happened, for a person. */
  detail: string;
  /** d= (lower case), '' when the signature did not say. */
  domain: string;
  /** s=, '' when the signature did not say. */
  selector: string;
  /** a= as written (lower case), '' when absent. */
  algorithm: string;
  /** i=, when given. */
  identity?: string;
  /** c= as `header/body`. */
  canonicalization: string;
  /** h= names as written. */
  headerFields: string[];
  /** True when the signature has l=: content after that many octets is not signed. */
  bodyLengthLimited: boolean;
  /** Canonical body octets after the l= limit (only when l= is present and the body was hashed). */
  unsignedBodyOctets?: number;
  /** Whether bh= matched the body, when the body was hashed. */
  bodyHashMatched?: boolean;
  /** t= in Unix seconds. */
  timestamp?: number;
  /** x= in Unix seconds. */
  expiration?: number;
  /** Key size in bits (RSA) or 256 (Ed25519), when the key was loaded. */
  keyBits?: number;
  /** The first characters of b= (at least 8, more when needed to tell signatures apart; RFC 6008). */
  headerB: string;
  /**
   * Stable warning codes, some with an argument after a colon: `header-injection-risk:<name>` (the message
   * has more instances of a signed field than h= covers), `body-length-limited` (l= in use),
   * `unsigned-body-content` (bytes after l=), `key-testing` (key t=y), `rsa-sha1-accepted`, `weak-key-accepted`
   * (legacy option), `line-endings-normalized` (bare LFs were turned into CRLF before verifying).
   */
  warnings: string[];
}

/** The result of verifying a message: one entry per DKIM-Signature field, top first. */
export interface DkimVerifyResult {
  signatures: DkimSignatureResult[];
  /** Signature fields beyond `maxSignatures` that were not looked at. */
  ignoredSignatures?: number;
  /** Set when the message could not be read as a message at all (for example a header block over the limit). */
  error?: { reason: 'header-too-large'; detail: string };
}

/** A signing or key-generation request that cannot work: a programmer or configuration error. */
export class DkimError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'DkimError';
    this.code = code;
  }
}
