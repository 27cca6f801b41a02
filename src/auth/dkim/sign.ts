// DKIM signing (RFC 6376 §5, RFC 8463). Several signers in one pass: the body is canonicalized and hashed
// once per (body canonicalization, hash) pair, so a dual RSA + Ed25519 signature shares one body hash.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { HeaderField } from '../../core/message/headers.js';
import { makeField } from '../../core/message/headers.js';
import { normalizeLineEndings } from '../../core/message/line-endings.js';
import { splitMessage } from '../../core/message/split.js';
import { hashBody } from './body-hash.js';
import { formatCanonicalization, headerHashInput, HeaderIndex, parseCanonicalization, type Canonicalization } from './canonicalize.js';
import { hashOf, keyTypeOf, signHeaderData } from './crypto.js';
import { DkimError, type DkimAlgorithm } from './types.js';

/** Signed once per instance plus once more, so nobody can add an instance (RFC 6376 §8.15 "over-signing"). */
export const OVERSIGNED_HEADERS: readonly string[] = ['from', 'to', 'subject', 'date', 'reply-to', 'cc', 'message-id'];
/** Signed once per instance when present (RFC 6376 §5.4.1's recommendations, plus list headers). */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  'sender',
  'in-reply-to',
  'references',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'content-id',
  'content-description',
  'resent-date',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-message-id',
  'list-id',
  'list-help',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-subscribe',
  'list-post',
  'list-owner',
  'list-archive',
];
/** Folded header lines stay within this many characters (RFC 5322 §2.1.1 SHOULD). */
const FOLD_WIDTH = 78;
/** RSA keys shorter than this must not sign (RFC 8301 §3.2). */
const MIN_SIGNING_RSA_BITS = 1024;

export interface DkimSigner {
  domain: string;
  selector: string;
  /** A KeyObject or PEM text (PKCS#8, PKCS#1 or SEC1). */
  privateKey: KeyObject | string;
  /** Default: from the key type (rsa-sha256 or ed25519-sha256). */
  algorithm?: 'rsa-sha256' | 'ed25519-sha256';
  /** Default relaxed/relaxed. */
  canonicalization?: string;
  /** h= exactly as given (no over-signing added); default: the over-signed set plus DEFAULT_SIGNED_HEADERS present. */
  headers?: string[];
  /** i=, which must be in `domain` or a subdomain of it. */
  identity?: string;
  /** Add l= (the whole canonical body length). Off by default: l= lets anyone append content. */
  bodyLength?: boolean;
  /** Add x= this many seconds after t=. */
  expireSeconds?: number;
  /** t= in Unix seconds; default the clock's time. */
  timestamp?: number;
  /** Layout details that change the signed bytes, for reproducing other signers' output (e.g. RFC 8463 A.3). */
  format?: {
    /** Separator between h= names; default ':'. */
    headerSeparator?: ':' | ' : ';
    /** Write q=dns/txt (the default, so normally left out). */
    queryTag?: boolean;
  };
}

export interface DkimSignOptions {
  clock?: Clock;
}

export interface DkimSignResult {
  /** The DKIM-Signature fields, CRLF-folded, without a final CRLF, in signer order. */
  headers: string[];
  /** The message (CRLF line ends) with the fields prepended, first signer on top. */
  message: Buffer;
}

interface PreparedSigner {
  signer: DkimSigner;
  key: KeyObject;
  algorithm: DkimAlgorithm;
  canonicalization: Canonicalization;
  identity?: string;
}

/**
 * Signs a message with one or more signers. Validates every signer first and throws DkimError (with a
 * stable code) for a configuration that cannot work: unusable key, key/algorithm mismatch, RSA under 1024
 * bits, bad domain or selector, i= outside d=, h= without From, a message without From. RFC 6376 §5.
 */
export async function signDkim(message: Buffer, signers: DkimSigner[], options: DkimSignOptions = {}): Promise<DkimSignResult> {
  if (signers.length === 0) throw new DkimError('no-signers', 'signDkim needs at least one signer');
  const prepared = signers.map(prepareSigner);
  const clock = options.clock ?? systemClock;
  const split = splitMessage(message);
  const index = new HeaderIndex(split.headers);
  // RFC 5322 §3.6 requires From and RFC 6376 §5.4 requires signing it: a message without one is refused.
  if (index.count('from') === 0) throw new DkimError('no-from', 'the message has no From header field; DKIM signs From (RFC 6376 §5.4)');
  const bodyHashes = new Map<string, { hash: string; length: number }>();
  const headers: string[] = [];
  for (const p of prepared) {
    const hashKey = `${p.canonicalization.body}/${hashOf(p.algorithm)}`;
    let body = bodyHashes.get(hashKey);
    if (body === undefined) {
      const result = hashBody(split.body, p.canonicalization.body, hashOf(p.algorithm));
      body = { hash: result.hash.toString('base64'), length: result.canonicalLength };
      bodyHashes.set(hashKey, body);
    }
    headers.push(buildSignature(p, split.headers, index, body, clock));
  }
  const head = Buffer.from(headers.map((h) => `${h}\r\n`).join(''), 'latin1');
  return { headers, message: Buffer.concat([head, normalizeLineEndings(message)]) };
}

function prepareSigner(signer: DkimSigner): PreparedSigner {
  const domain = signer.domain.toLowerCase();
  if (!isDomain(domain)) throw new DkimError('bad-domain', `'${signer.domain}' is not a domain name`);
  if (!isDomain(signer.selector.toLowerCase())) throw new DkimError('bad-selector', `'${signer.selector}' is not a valid selector`);
  let key: KeyObject;
  try {
    key = typeof signer.privateKey === 'string' ? createPrivateKey(signer.privateKey) : signer.privateKey;
  } catch (error) {
    throw new DkimError('bad-private-key', `the private key for ${signer.selector}._domainkey.${domain} cannot be read: ${(error as Error).message}`);
  }
  if (key.type !== 'private') throw new DkimError('bad-private-key', 'the signing key must be a private key');
  const keyType = key.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ed25519') throw new DkimError('bad-private-key', `a ${keyType ?? 'unknown'} key cannot sign DKIM (rsa or ed25519)`);
  const algorithm: DkimAlgorithm = signer.algorithm ?? (keyType === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256');
  if (algorithm !== 'rsa-sha256' && algorithm !== 'ed25519-sha256') throw new DkimError('bad-algorithm', `cannot sign with ${String(algorithm)}`);
  if (keyTypeOf(algorithm) !== keyType) throw new DkimError('key-algorithm-mismatch', `a=${algorithm} needs a ${keyTypeOf(algorithm)} key, got ${keyType}`);
  if (keyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_SIGNING_RSA_BITS) {
    throw new DkimError('key-too-small', `RSA keys under ${MIN_SIGNING_RSA_BITS} bits must not sign (RFC 8301 §3.2)`);
  }
  const canonicalization = parseCanonicalization(signer.canonicalization ?? 'relaxed/relaxed');
  if (canonicalization === undefined) throw new DkimError('bad-canonicalization', `'${signer.canonicalization}' is not a canonicalization`);
  if (signer.headers !== undefined) {
    if (!signer.headers.some((h) => h.toLowerCase() === 'from')) throw new DkimError('from-not-signed', 'the header list must include From (RFC 6376 §5.4)');
    const bad = signer.headers.find((h) => !/^[!-9;-~]+$/.test(h));
    if (bad !== undefined) throw new DkimError('bad-header-name', `'${bad}' is not a header field name`);
  }
  const prepared: PreparedSigner = { signer, key, algorithm, canonicalization };
  if (signer.identity !== undefined) {
    const at = signer.identity.lastIndexOf('@');
    const idDomain = signer.identity.slice(at + 1).toLowerCase();
    if (at === -1 || (idDomain !== domain && !idDomain.endsWith(`.${domain}`))) {
      throw new DkimError('identity-mismatch', `i=${signer.identity} must be in ${domain} or a subdomain of it`);
    }
    prepared.identity = signer.identity;
  }
  if (signer.expireSeconds !== undefined && !(Number.isInteger(signer.expireSeconds) && signer.expireSeconds > 0)) {
    throw new DkimError('bad-expiry', 'expireSeconds must be a positive whole number');
  }
  if (signer.timestamp !== undefined && !(Number.isInteger(signer.timestamp) && signer.timestamp >= 0)) {
    throw new DkimError('bad-timestamp', 'timestamp must be whole Unix seconds');
  }
  return prepared;
}

/** The default h= list for a message: over-signed names once more than they occur, others once per instance. */
export function defaultHeaderList(index: HeaderIndex): string[] {
  const names: string[] = [];
  for (const name of OVERSIGNED_HEADERS) for (let i = 0; i <= index.count(name); i++) names.push(name);
  for (const name of DEFAULT_SIGNED_HEADERS) for (let i = 0; i < index.count(name); i++) names.push(name);
  return names;
}

function buildSignature(
  p: PreparedSigner,
  fields: HeaderField[],
  index: HeaderIndex,
  body: { hash: string; length: number },
  clock: Clock,
): string {
  const { signer } = p;
  const headerList = signer.headers ?? defaultHeaderList(index);
  const t = signer.timestamp ?? Math.floor(clock.now() / 1000);
  const tags: string[] = [
    'v=1',
    `a=${p.algorithm}`,
    `c=${formatCanonicalization(p.canonicalization)}`,
    `d=${signer.domain.toLowerCase()}`,
  ];
  if (p.identity !== undefined) tags.push(`i=${p.identity}`);
  if (signer.format?.queryTag) tags.push('q=dns/txt');
  tags.push(`s=${signer.selector}`, `t=${t}`);
  if (signer.expireSeconds !== undefined) tags.push(`x=${t + signer.expireSeconds}`);
  if (signer.bodyLength) tags.push(`l=${body.length}`);
  tags.push(`h=${headerList.join(signer.format?.headerSeparator ?? ':')}`, `bh=${body.hash}`, 'b=');
  const unsigned = fold(tags);
  const own = makeField(Buffer.from(unsigned, 'latin1'));
  const data = headerHashInput(fields, index.select(headerList), own.raw, p.canonicalization.header);
  const b = signHeaderData(p.algorithm, data, p.key).toString('base64');
  return unsigned + foldBase64(b, lastLineLength(unsigned));
}

/** Lays the tags out as `DKIM-Signature: tag; tag; ...`, folding between tags (and inside h=) at FOLD_WIDTH. */
function fold(tags: string[]): string {
  let out = 'DKIM-Signature:';
  let line = out.length;
  tags.forEach((tag, i) => {
    const last = i === tags.length - 1;
    const pieces = tag.startsWith('h=') ? splitAfterColons(tag) : [tag];
    const text = last ? tag : `${tag};`;
    if (line + 1 + text.length <= FOLD_WIDTH || tag === 'b=') {
      if (line + 1 + text.length > FOLD_WIDTH) {
        out += '\r\n ';
        line = 1;
      } else {
        out += ' ';
        line += 1;
      }
      out += text;
      line += text.length;
      return;
    }
    out += '\r\n ';
    line = 1;
    pieces.forEach((piece, j) => {
      const chunk = j === pieces.length - 1 && !last ? `${piece};` : piece;
      if (line > 1 && line + chunk.length > FOLD_WIDTH) {
        out += '\r\n ';
        line = 1;
      }
      out += chunk;
      line += chunk.length;
    });
  });
  return out;
}

/** Splits `h=a:b:c` after each colon, so it can be folded there (FWS is allowed around h= colons). */
function splitAfterColons(tag: string): string[] {
  return tag.split(/(?<=:)/);
}

function lastLineLength(text: string): number {
  const at = text.lastIndexOf('\n');
  return text.length - (at + 1);
}

/** Appends a base64 value, folding it (FWS is allowed anywhere in b=, RFC 6376 §3.5). */
function foldBase64(value: string, startColumn: number): string {
  let out = '';
  let line = startColumn;
  let pos = 0;
  while (pos < value.length) {
    const room = FOLD_WIDTH - line;
    if (room <= 0) {
      out += '\r\n ';
      line = 1;
      continue;
    }
    const piece = value.slice(pos, pos + room);
    out += piece;
    pos += piece.length;
    line += piece.length;
  }
  return out;
}

function isDomain(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label));
}
