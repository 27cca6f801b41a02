// Domain names as DMARC compares them: A-labels, lower case, no trailing dot (RFC 9989 §5.3.1: a U-label
// Author Domain "MUST be converted to an A-label"; comparisons are case-insensitive, RFC 4343).

import { domainToASCII } from 'node:url';

/** Longest domain name in text form (RFC 1035 §2.3.4: 255 octets on the wire). */
export const MAX_DOMAIN_LENGTH = 253;
/** Longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

export type DomainErrorCode = 'empty' | 'too-long' | 'invalid-character' | 'invalid-label' | 'ip-literal' | 'invalid-idn';

export type DomainResult =
  | { ok: true; value: string; /** True when the input held U-labels or needed mapping (IDNA/UTS #46). */ mapped: boolean }
  | { ok: false; error: { code: DomainErrorCode; message: string } };

const ASCII_ALLOWED = /^[A-Za-z0-9._-]*$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
const NUMERIC_TLD = /^[0-9]+$/;

/**
 * Normalises a domain for DMARC: one trailing dot removed, lower-cased, U-labels converted to A-labels
 * (UTS #46 mapping through node:url), then every label checked (1–63 of [a-z0-9_-], no leading or trailing
 * hyphen, total ≤ 253, not an IP address). Never throws. ASCII punctuation other than `.`, `-`, `_` is
 * refused before conversion: node's converter would otherwise percent-decode or cut the name at `?`.
 */
export function normalizeDomain(input: string): DomainResult {
  if (typeof input !== 'string' || input.length === 0) return fail('empty', 'the domain is empty');
  if (input.length > MAX_DOMAIN_LENGTH * 4) return fail('too-long', `the domain is longer than ${MAX_DOMAIN_LENGTH} characters`);
  let text = input.endsWith('.') ? input.slice(0, -1) : input;
  if (text.length === 0) return fail('empty', 'the domain is empty');
  let mapped = false;
  if (!ASCII_ALLOWED.test(text)) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80 && !isAsciiDomainChar(c)) {
        return fail('invalid-character', `character ${JSON.stringify(text[i])} at offset ${i} cannot appear in a domain name`);
      }
    }
    const ascii = domainToASCII(text);
    if (ascii === '') return fail('invalid-idn', `"${clip(text)}" is not a valid internationalized domain name (IDNA)`);
    text = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
    mapped = true;
  } else {
    text = text.toLowerCase();
    if (text.includes('xn--')) {
      // A-labels must decode: domainToASCII rejects a malformed punycode label by returning ''.
      if (domainToASCII(text) === '') return fail('invalid-idn', `"${clip(text)}" holds an invalid A-label (xn--)`);
    }
  }
  if (text.length > MAX_DOMAIN_LENGTH) return fail('too-long', `the domain is longer than ${MAX_DOMAIN_LENGTH} characters`);
  const labels = text.split('.');
  for (const label of labels) {
    if (label.length === 0) return fail('invalid-label', `"${clip(text)}" has an empty label`);
    if (label.length > MAX_LABEL_LENGTH) return fail('invalid-label', `a label of "${clip(text)}" is longer than ${MAX_LABEL_LENGTH} characters`);
    if (!LABEL.test(label)) return fail('invalid-label', `label "${clip(label)}" is not a valid DNS label`);
  }
  if (NUMERIC_TLD.test(labels[labels.length - 1]!)) return fail('ip-literal', `"${clip(text)}" is an IP address, not a domain`);
  return { ok: true, value: text, mapped };
}

/** Labels of a normalised domain, left to right. */
export function labelsOf(domain: string): string[] {
  return domain === '' ? [] : domain.split('.');
}

/** The last `count` labels of a normalised domain. */
export function lastLabels(domain: string, count: number): string {
  const labels = labelsOf(domain);
  return labels.slice(Math.max(0, labels.length - count)).join('.');
}

/** True when `child` is `parent` or one of its subdomains (both normalised). */
export function isSubdomainOrSelf(child: string, parent: string): boolean {
  return child === parent || child.endsWith(`.${parent}`);
}

function isAsciiDomainChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2d || c === 0x5f;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(code: DomainErrorCode, message: string): DomainResult {
  return { ok: false, error: { code, message } };
}
