// The Public Suffix List as data (https://publicsuffix.org/list/, format and algorithm from the list's
// documentation): RFC 7489 §3.2's primitive for the Organizational Domain. RFC 9989 replaces it with the DNS
// tree walk; mailflow keeps it for RFC 7489 mode. The list is a data file, loaded and replaced at run time.

import { domainToASCII } from 'node:url';

/** A list with fewer rules than this is refused as truncated (the 2026 list has about 10,000). */
export const MIN_PSL_RULES = 1_000;
/** Lines longer than this are refused (the real list's longest is under 100). */
const MAX_LINE = 1_024;

export interface PslLoadOptions {
  /** Include the PRIVATE DOMAINS section (default true: e.g. `uk.com` is a suffix). */
  includePrivate?: boolean;
  /** Refuse lists with fewer rules than MIN_PSL_RULES (default false; `mailflow psl update` sets it). */
  requireComplete?: boolean;
}

export interface PslLoadError {
  code: 'empty' | 'bad-rule' | 'no-icann-section' | 'too-few-rules';
  message: string;
  /** 1-based line number, 0 for whole-file problems. */
  line: number;
}

export type PslLoadResult = { ok: true; value: PublicSuffixList } | { ok: false; error: PslLoadError };

type RuleKind = 'normal' | 'wildcard' | 'exception';

/** A loaded list. Immutable; share one instance. */
export class PublicSuffixList {
  /** Rules by kind, keyed by A-label text (wildcards keyed by the part after `*.`, exceptions after `!`). */
  private readonly rules: Record<RuleKind, Set<string>>;
  readonly ruleCount: number;
  readonly privateRuleCount: number;

  constructor(rules: Record<RuleKind, Set<string>>, ruleCount: number, privateRuleCount: number) {
    this.rules = rules;
    this.ruleCount = ruleCount;
    this.privateRuleCount = privateRuleCount;
  }

  /**
   * The public suffix of a domain (A-label form), by the list's algorithm: an exception rule wins, else
   * the matching rule with the most labels, else the implicit `*` (the last label). Undefined for input
   * that is not a domain (empty, leading dot, empty label).
   */
  publicSuffix(domain: string): string | undefined {
    const labels = asciiLabels(domain);
    if (labels === undefined) return undefined;
    return labels.slice(labels.length - this.suffixLength(labels)).join('.');
  }

  /**
   * The registrable domain (RFC 7489 §3.2 Organizational Domain): the public suffix plus one label, or
   * null when the name is itself a public suffix or not a domain. Returned in the input's form: Unicode
   * labels stay Unicode (lower-cased), A-labels stay A-labels.
   */
  registrableDomain(domain: string | null | undefined): string | null {
    if (typeof domain !== 'string') return null;
    const lower = domain.toLowerCase();
    const labels = asciiLabels(lower);
    if (labels === undefined) return null;
    const suffix = this.suffixLength(labels);
    if (labels.length <= suffix) return null;
    const original = lower.split('.');
    const keep = original.length === labels.length ? original : labels;
    return keep.slice(keep.length - suffix - 1).join('.');
  }

  /** Number of labels in the prevailing rule's public suffix. */
  private suffixLength(labels: string[]): number {
    const n = labels.length;
    let best = 1; // the implicit "*" rule
    for (let i = 0; i < n; i++) {
      const candidate = labels.slice(i).join('.');
      if (this.rules.exception.has(candidate)) return n - i - 1;
      const length = n - i;
      if (length > best && this.rules.normal.has(candidate)) best = length;
      if (i + 1 < n && length > best && this.rules.wildcard.has(labels.slice(i + 1).join('.'))) best = length;
    }
    return best;
  }
}

/**
 * Parses `public_suffix_list.dat` text into a PublicSuffixList. Rules are converted to A-labels once.
 * Fails (never throws) on a rule that is not a domain, a list without the ICANN section, or, with
 * `requireComplete`, a list shorter than MIN_PSL_RULES.
 */
export function loadPublicSuffixList(text: string, options: PslLoadOptions = {}): PslLoadResult {
  const includePrivate = options.includePrivate ?? true;
  if (typeof text !== 'string' || text.trim().length === 0) return failure('empty', 'the list is empty', 0);
  const rules: Record<RuleKind, Set<string>> = { normal: new Set(), wildcard: new Set(), exception: new Set() };
  let section: 'none' | 'icann' | 'private' = 'none';
  let sawIcann = false;
  let count = 0;
  let privateCount = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line.length === 0) continue;
    if (line.length > MAX_LINE) return failure('bad-rule', `line ${index + 1} is longer than ${MAX_LINE} characters`, index + 1);
    if (line.startsWith('//')) {
      if (line.includes('===BEGIN ICANN DOMAINS===')) {
        section = 'icann';
        sawIcann = true;
      } else if (line.includes('===BEGIN PRIVATE DOMAINS===')) section = 'private';
      else if (line.includes('===END ')) section = 'none';
      continue;
    }
    const token = line.split(/\s/)[0]!;
    let kind: RuleKind = 'normal';
    let body = token;
    if (body.startsWith('!')) {
      kind = 'exception';
      body = body.slice(1);
    } else if (body.startsWith('*.')) {
      kind = 'wildcard';
      body = body.slice(2);
    }
    const ascii = body.includes('*') ? '' : toAscii(body);
    if (ascii === undefined || ascii === '') return failure('bad-rule', `line ${index + 1}: "${token.slice(0, 80)}" is not a valid rule`, index + 1);
    if (section === 'private') {
      privateCount++;
      if (!includePrivate) continue;
    }
    rules[kind].add(ascii);
    count++;
  }
  if (!sawIcann) return failure('no-icann-section', 'the list has no "===BEGIN ICANN DOMAINS===" section: is this public_suffix_list.dat?', 0);
  if (options.requireComplete && count < MIN_PSL_RULES) {
    return failure('too-few-rules', `the list has ${count} rules, fewer than ${MIN_PSL_RULES}: refusing a truncated list`, 0);
  }
  return { ok: true, value: new PublicSuffixList(rules, count, privateCount) };
}

/** Lower-case A-labels of a domain; undefined for empty input, a leading dot or an empty label. */
function asciiLabels(domain: string): string[] | undefined {
  if (domain.length === 0 || domain.startsWith('.')) return undefined;
  const text = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const ascii = toAscii(text);
  if (ascii === undefined || ascii.length === 0) return undefined;
  const labels = ascii.split('.');
  if (labels.some((l) => l.length === 0)) return undefined;
  return labels;
}

function toAscii(text: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(text)) return /^[A-Za-z0-9._-]*$/.test(text) ? text.toLowerCase() : undefined;
  const ascii = domainToASCII(text);
  return ascii === '' ? undefined : ascii;
}

function failure(code: PslLoadError['code'], message: string, line: number): PslLoadResult {
  return { ok: false, error: { code, message, line } };
}
