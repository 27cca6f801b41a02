// SRS types: the rewriter's options and its closed result unions. Reason codes are documented in docs/srs.md.

import type { Clock } from '../../core/clock.js';

/** The character after `SRS0`/`SRS1` (PostSRSd `-a`, Mail::SRS `Separator`). Inner separators are always `=`. */
export type SrsSeparator = '=' | '+' | '-';

/**
 * How the hash is written. PostSRSd 2.x writes base64url (`-_`); PostSRSd 1.x, libsrs2 and Mail::SRS write
 * base64 (`+/`). Reverse accepts both whatever this says.
 */
export type SrsHashEncoding = 'base64url' | 'base64';

export interface SrsOptions {
  /** Where "today" comes from for timestamps: the core never reads the system time itself. */
  clock: Clock;
  /** Secrets, newest first: the first signs, every one verifies (rotation). At least one, none empty. */
  secrets: readonly (string | Uint8Array)[];
  /** The domain SRS addresses are written in (PostSRSd `-d`/`srs-domain`). */
  domain: string;
  /**
   * Domains whose senders forward() leaves alone, besides `domain` itself. An entry starting with a dot
   * (`.example.com`) matches every subdomain, as in PostSRSd's `domains` list.
   */
  localDomains?: readonly string[];
  /** Default `=`. */
  separator?: SrsSeparator;
  /** Characters of hash written; default 4 (PostSRSd, Mail::SRS). 4..27. */
  hashLength?: number;
  /** Fewest hash characters accepted on reverse; default = hashLength (PostSRSd `-N`). */
  hashMinLength?: number;
  /** Days a timestamp stays valid; default 21 (PostSRSd, libsrs2, Mail::SRS). 1..1023. */
  maxAgeDays?: number;
  /** Default base64url, as PostSRSd 2.x. */
  hashEncoding?: SrsHashEncoding;
  /** Rewrite even senders in our own domains (PostSRSd `-A`). Default false. */
  alwaysRewrite?: boolean;
  /** Longest address accepted in either direction; default 512 (PostSRSd's limit, not an SRS rule). */
  maxAddressLength?: number;
}

/**
 * Why forward() did not rewrite or failed. Stable codes:
 * - `local-domain`: the sender is in our domain or a local domain; returned unchanged (not an error).
 * - `no-domain`: no `@`, or nothing after it (includes the null sender) → nothing to rewrite.
 * - `too-long`: the address is longer than `maxAddressLength`.
 * - `malformed`: control characters, whitespace or an empty local part; an SRS1 address without host or user.
 */
export type SrsForwardReason = 'no-domain' | 'too-long' | 'malformed';

export type SrsForwardResult =
  | { ok: true; rewritten: true; scheme: 'SRS0' | 'SRS1'; address: string }
  | { ok: true; rewritten: false; reason: 'local-domain'; address: string }
  | { ok: false; reason: SrsForwardReason; detail: string };

/**
 * Why reverse() failed. Stable codes:
 * - `not-srs`: the local part does not start with SRS0/SRS1 and a separator (case-insensitive).
 * - `malformed`: a part is missing; `missing` says which (hash, timestamp, host, user).
 * - `bad-hash`: the hash matches none of the secrets, or is shorter than `hashMinLength` / longer than
 *   `hashLength`.
 * - `bad-timestamp`: the timestamp is not two base32 characters.
 * - `expired`: the timestamp is older than `maxAgeDays` (a future one counts as 1024 days old, as libsrs2).
 * - `too-long`: the address is longer than `maxAddressLength`.
 * - `database-alias`: a valid SRS0 whose host is `1`: PostSRSd's database-mode alias, which a stateless
 *   rewriter cannot resolve.
 */
export type SrsReverseReason = 'not-srs' | 'malformed' | 'bad-hash' | 'bad-timestamp' | 'expired' | 'too-long' | 'database-alias';

export type SrsPart = 'hash' | 'timestamp' | 'host' | 'user';

export type SrsReverseResult =
  | { ok: true; scheme: 'SRS0' | 'SRS1'; address: string }
  | { ok: false; reason: SrsReverseReason; detail: string; missing?: SrsPart };

export interface ShouldRewriteInput {
  /** The envelope sender (MAIL FROM), '' for the null sender. */
  sender: string;
  /** The domain the message is being delivered (forwarded) to. */
  recipientDomain: string;
  /** Our domains; a leading dot matches subdomains. */
  localDomains: readonly string[];
}

export type ShouldRewriteDecision =
  | { rewrite: true; reason: 'external-forward' }
  | { rewrite: false; reason: 'null-sender' | 'no-sender-domain' | 'local-delivery' | 'local-sender' };
