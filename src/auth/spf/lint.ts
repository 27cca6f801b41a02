// The SPF linter: walks a domain's include/redirect tree through the DNS port and reports what a
// publisher should fix — limits (RFC 7208 §4.6.4), risky or dead terms, size (§3.4), syntax (§12).
// Separate from evaluation: it follows every branch, as if no term matched, to find the worst case.

import type { DnsAnswer, DnsResolver, RRType } from '../../core/dns/types.js';
import { isValidSpfDomain } from './evaluate.js';
import { MAX_DNS_TERMS, MAX_MX_NAMES, MAX_VOID_LOOKUPS } from './lookup-limits.js';
import { isSpfRecordText, parseSpfRecord } from './record.js';
import type { MacroString, SpfRecord } from './types.js';

export type SpfLintSeverity = 'error' | 'warning' | 'info';

/** Stable finding codes; docs/spf.md describes each. */
export type SpfLintCode =
  | 'no-record'
  | 'multiple-records'
  | 'syntax-error'
  | 'dns-error'
  | 'invalid-domain'
  | 'lookup-limit'
  | 'lookup-count-high'
  | 'void-lookup'
  | 'void-lookup-limit'
  | 'pass-all'
  | 'neutral-all'
  | 'no-all'
  | 'terms-after-all'
  | 'redirect-ignored'
  | 'ptr-used'
  | 'record-too-long'
  | 'record-needs-split'
  | 'txt-string-too-long'
  | 'unknown-modifier'
  | 'include-no-record'
  | 'redirect-no-record'
  | 'include-loop'
  | 'mx-limit'
  | 'mx-many-hosts'
  | 'broad-network'
  | 'macro-target'
  | 'duplicate-include'
  | 'tree-too-large';

export interface SpfLintFinding {
  severity: SpfLintSeverity;
  code: SpfLintCode;
  message: string;
  /** What a person can do about it. */
  fix: string;
  /** The domain whose record the finding is about. */
  domain: string;
  /** The chain of domains from the linted one to `domain` (include/redirect path). */
  path?: string[];
  /** Character offset in the record, for syntax errors and term findings. */
  offset?: number;
}

/** One record in the include/redirect tree. */
export interface SpfLintNode {
  domain: string;
  /** How it was reached: 'root', or the include/redirect term. */
  via: string;
  record?: string;
  /** DNS-querying terms in this record alone. */
  lookups: number;
  children: SpfLintNode[];
}

export interface SpfLintReport {
  domain: string;
  record?: string;
  /** DNS-querying terms across the whole tree (worst case: every term evaluated). */
  lookups: number;
  /** Void answers met while walking the tree. */
  voidLookups: number;
  findings: SpfLintFinding[];
  tree: SpfLintNode;
}

/** Records a tree may hold before the linter stops following includes (hostile DNS can't keep it busy). */
export const LINT_MAX_NODES = 60;
/** Record size that fits a plain 512-byte DNS response with room for the question (RFC 7208 §3.4). */
export const LINT_RECORD_SIZE_WARNING = 450;
/** MX hosts above which an `mx` term is flagged as heavy (each host costs an address lookup). */
export const LINT_MX_MANY_HOSTS = 5;

interface Walk {
  resolver: DnsResolver;
  findings: SpfLintFinding[];
  lookups: number;
  voids: number;
  nodes: number;
  limitReported: boolean;
  voidLimitReported: boolean;
  seenIncludes: Set<string>;
}

/**
 * Lints the SPF policy of `domain`: fetches its record and everything it includes or redirects to
 * (bounded by LINT_MAX_NODES), and returns the findings with the lookup counts and the tree.
 * Never throws for DNS outcomes or bad records: they are findings.
 */
export async function lintSpf(domain: string, options: { resolver: DnsResolver }): Promise<SpfLintReport> {
  const name = domain.toLowerCase().replace(/\.$/, '');
  const walk: Walk = {
    resolver: options.resolver,
    findings: [],
    lookups: 0,
    voids: 0,
    nodes: 0,
    limitReported: false,
    voidLimitReported: false,
    seenIncludes: new Set(),
  };
  const tree: SpfLintNode = { domain: name, via: 'root', lookups: 0, children: [] };
  await lintNode(walk, tree, [name], 'root');
  const report: SpfLintReport = { domain: name, lookups: walk.lookups, voidLookups: walk.voids, findings: walk.findings, tree };
  if (tree.record !== undefined) report.record = tree.record;
  if (walk.lookups >= 8 && walk.lookups <= MAX_DNS_TERMS) {
    walk.findings.push({
      severity: 'info',
      code: 'lookup-count-high',
      message: `the policy needs ${walk.lookups} of the ${MAX_DNS_TERMS} DNS lookups allowed`,
      fix: 'leave headroom: replace includes you control with ip4:/ip6: ranges before a provider adds lookups',
      domain: name,
    });
  }
  return report;
}

async function query<T extends RRType>(walk: Walk, name: string, type: T): Promise<DnsAnswer<T>> {
  try {
    return await walk.resolver.resolve(name, type);
  } catch (err) {
    return { kind: 'error', error: 'servfail', detail: String(err) };
  }
}

function add(walk: Walk, f: SpfLintFinding): void {
  walk.findings.push(f);
}

function literalTarget(ms: MacroString | undefined): string | undefined {
  if (ms === undefined || ms.literal === undefined) return undefined;
  return ms.literal.toLowerCase().replace(/\.$/, '');
}

/** Fetches and checks the record at node.domain; `kind` says how it was reached. */
async function lintNode(walk: Walk, node: SpfLintNode, path: string[], kind: 'root' | 'include' | 'redirect'): Promise<void> {
  const domain = node.domain;
  if (++walk.nodes > LINT_MAX_NODES) {
    if (walk.nodes === LINT_MAX_NODES + 1) {
      add(walk, { severity: 'warning', code: 'tree-too-large', message: `stopped after ${LINT_MAX_NODES} records`, fix: 'flatten the include tree', domain, path });
    }
    return;
  }
  if (!isValidSpfDomain(domain)) {
    add(walk, { severity: 'error', code: 'invalid-domain', message: `"${domain}" is not a valid domain name (RFC 7208 §4.3)`, fix: 'use a fully qualified domain name', domain, path });
    return;
  }
  const answer = await query(walk, domain, 'TXT');
  if (answer.kind === 'error') {
    add(walk, { severity: 'error', code: 'dns-error', message: `TXT lookup of ${domain} failed: ${answer.error} (receivers answer temperror)`, fix: `check the authoritative servers of ${domain}`, domain, path });
    return;
  }
  const records = answer.kind === 'records' ? answer.records : [];
  const spf = records.filter((r) => isSpfRecordText(r.data.join('')));
  if (spf.length === 0) {
    const code = kind === 'root' ? 'no-record' : kind === 'include' ? 'include-no-record' : 'redirect-no-record';
    const message = kind === 'root' ? `${domain} publishes no SPF record` : `${kind} target ${domain} publishes no SPF record: receivers answer permerror (RFC 7208 §5.2, §6.1)`;
    const fix = kind === 'root' ? `publish a TXT record at ${domain}, e.g. "v=spf1 mx -all"` : `remove the ${kind} of ${domain} or ask its owner to publish SPF`;
    add(walk, { severity: kind === 'root' ? 'warning' : 'error', code, message, fix, domain, path });
    if (answer.kind !== 'records' && kind !== 'root') countVoid(walk, domain, path);
    return;
  }
  if (spf.length > 1) {
    add(walk, { severity: 'error', code: 'multiple-records', message: `${domain} publishes ${spf.length} SPF records: receivers answer permerror (RFC 7208 §4.5)`, fix: 'merge them into one record', domain, path });
    return;
  }
  const strings = spf[0]!.data;
  const text = strings.join('');
  node.record = text;
  checkSize(walk, domain, path, strings, text);
  const parsed = parseSpfRecord(text);
  if (!parsed.ok) {
    const e = parsed.error;
    add(walk, { severity: 'error', code: 'syntax-error', message: `${e.message}`, fix: `correct the record near offset ${e.offset}: "${text.slice(Math.max(0, e.offset - 10), e.offset + 20)}"`, domain, path, offset: e.offset });
    return;
  }
  await lintRecord(walk, node, parsed.value, path, kind);
}

function checkSize(walk: Walk, domain: string, path: string[], strings: string[], text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > 512) {
    add(walk, { severity: 'error', code: 'record-too-long', message: `the record is ${bytes} bytes: the answer no longer fits a 512-byte UDP response (RFC 7208 §3.4)`, fix: 'move terms into an included record or replace hosts with ip4:/ip6: ranges', domain, path });
  } else if (bytes > LINT_RECORD_SIZE_WARNING) {
    add(walk, { severity: 'warning', code: 'record-too-long', message: `the record is ${bytes} bytes: close to the 512-byte DNS answer size (RFC 7208 §3.4)`, fix: 'keep SPF records short; split the policy with include:', domain, path });
  }
  if (strings.some((s) => Buffer.byteLength(s, 'utf8') > 255)) {
    add(walk, { severity: 'error', code: 'txt-string-too-long', message: 'a TXT character-string is longer than 255 bytes, which DNS cannot carry (RFC 7208 §3.3)', fix: 'split the record into several quoted strings of at most 255 bytes each; they are joined without spaces', domain, path });
  } else if (bytes > 255 && strings.length > 1) {
    add(walk, { severity: 'info', code: 'record-needs-split', message: `the ${bytes}-byte record is split into ${strings.length} strings, joined without a separator (RFC 7208 §3.3)`, fix: 'check that each split point keeps the spaces between terms', domain, path });
  }
}

function countVoid(walk: Walk, domain: string, path: string[]): void {
  walk.voids++;
  if (walk.voids > MAX_VOID_LOOKUPS && !walk.voidLimitReported) {
    walk.voidLimitReported = true;
    add(walk, { severity: 'error', code: 'void-lookup-limit', message: `more than ${MAX_VOID_LOOKUPS} lookups in the policy find no records: receivers answer permerror (RFC 7208 §4.6.4)`, fix: 'remove terms that point to names without records', domain, path });
  }
}

function chargeLookup(walk: Walk, node: SpfLintNode, path: string[], term: string, offset: number): void {
  walk.lookups++;
  node.lookups++;
  if (walk.lookups > MAX_DNS_TERMS && !walk.limitReported) {
    walk.limitReported = true;
    add(walk, {
      severity: 'error',
      code: 'lookup-limit',
      message: `"${term}" is DNS lookup ${walk.lookups}: more than ${MAX_DNS_TERMS} in the policy, receivers answer permerror (RFC 7208 §4.6.4); path ${path.join(' → ')}`,
      fix: 'flatten includes into ip4:/ip6: ranges, drop unused includes, avoid ptr and mx on included records',
      domain: node.domain,
      path: [...path],
      offset,
    });
  }
}

async function lintRecord(walk: Walk, node: SpfLintNode, record: SpfRecord, path: string[], kind: 'root' | 'include' | 'redirect'): Promise<void> {
  const domain = node.domain;
  const allIndex = record.mechanisms.findIndex((m) => m.kind === 'all');
  for (const m of record.unknownModifiers) {
    add(walk, { severity: 'warning', code: 'unknown-modifier', message: `unknown modifier "${m.text}" is ignored by receivers (RFC 7208 §6)`, fix: 'remove it (a typo of redirect= or exp=?)', domain, path, offset: m.offset });
  }
  if (allIndex >= 0) {
    const all = record.mechanisms[allIndex]!;
    if (all.qualifier === '+') {
      add(walk, { severity: 'error', code: 'pass-all', message: `"${all.text}" lets every host on the internet send as ${domain}`, fix: 'end the record with -all or ~all', domain, path, offset: all.offset });
    } else if (all.qualifier === '?' && kind !== 'include') {
      add(walk, { severity: 'warning', code: 'neutral-all', message: `"${all.text}" makes the policy assert nothing about other hosts`, fix: 'end the record with ~all, then -all once the list is complete', domain, path, offset: all.offset });
    }
    if (allIndex < record.mechanisms.length - 1) {
      add(walk, { severity: 'warning', code: 'terms-after-all', message: `terms after "${all.text}" are never evaluated`, fix: `move "${all.text}" to the end`, domain, path, offset: record.mechanisms[allIndex + 1]!.offset });
    }
    if (record.redirect !== undefined) {
      add(walk, { severity: 'warning', code: 'redirect-ignored', message: `"${record.redirect.text}" is ignored because the record has "all" (RFC 7208 §6.1)`, fix: 'remove either the all mechanism or the redirect', domain, path, offset: record.redirect.offset });
    }
  } else if (record.redirect === undefined && kind !== 'include') {
    add(walk, { severity: 'warning', code: 'no-all', message: 'the record has neither "all" nor "redirect=": unmatched hosts get neutral (RFC 7208 §4.7)', fix: 'end the record with ~all or -all', domain, path });
  }
  const last = allIndex >= 0 ? allIndex + 1 : record.mechanisms.length;
  for (const m of record.mechanisms.slice(0, last)) {
    switch (m.kind) {
      case 'all':
        break;
      case 'ip4':
      case 'ip6':
        if ((m.kind === 'ip4' && m.network.prefix < 8) || (m.kind === 'ip6' && m.network.prefix < 24)) {
          add(walk, { severity: 'warning', code: 'broad-network', message: `"${m.text}" authorises a very large network`, fix: 'list only the ranges your mail servers use', domain, path, offset: m.offset });
        }
        break;
      case 'ptr':
        chargeLookup(walk, node, path, m.text, m.offset);
        add(walk, { severity: 'warning', code: 'ptr-used', message: '"ptr" is slow, unreliable and SHOULD NOT be used (RFC 7208 §5.5)', fix: 'replace it with ip4:/ip6: or a: terms', domain, path, offset: m.offset });
        break;
      case 'a':
      case 'exists': {
        chargeLookup(walk, node, path, m.text, m.offset);
        const target = m.domain === undefined ? domain : literalTarget(m.domain);
        if (target === undefined) {
          add(walk, { severity: 'info', code: 'macro-target', message: `"${m.text}" depends on the message (macros); not followed`, fix: 'none needed if intended', domain, path, offset: m.offset });
          break;
        }
        await checkAddresses(walk, target, m.kind === 'a' ? ['A', 'AAAA'] : ['A'], domain, path, m.text, m.offset);
        break;
      }
      case 'mx': {
        chargeLookup(walk, node, path, m.text, m.offset);
        const target = m.domain === undefined ? domain : literalTarget(m.domain);
        if (target === undefined) break;
        const answer = await query(walk, target, 'MX');
        if (answer.kind === 'error') {
          add(walk, { severity: 'error', code: 'dns-error', message: `MX lookup of ${target} failed: ${answer.error}`, fix: `check the DNS of ${target}`, domain, path, offset: m.offset });
        } else if (answer.kind !== 'records' || answer.records.length === 0) {
          countVoid(walk, domain, path);
          add(walk, { severity: 'warning', code: 'void-lookup', message: `"${m.text}": ${target} has no MX records (a void lookup)`, fix: 'remove the term or publish MX records', domain, path, offset: m.offset });
        } else if (answer.records.length > MAX_MX_NAMES) {
          add(walk, { severity: 'error', code: 'mx-limit', message: `"${m.text}": ${target} has ${answer.records.length} MX records, more than ${MAX_MX_NAMES}: receivers answer permerror (RFC 7208 §4.6.4)`, fix: 'list the mail servers with ip4:/ip6: instead', domain, path, offset: m.offset });
        } else if (answer.records.length > LINT_MX_MANY_HOSTS) {
          add(walk, { severity: 'info', code: 'mx-many-hosts', message: `"${m.text}": ${target} has ${answer.records.length} MX hosts, each costing an address lookup per check`, fix: 'prefer ip4:/ip6: ranges for large MX sets', domain, path, offset: m.offset });
        }
        break;
      }
      case 'include': {
        chargeLookup(walk, node, path, m.text, m.offset);
        const target = literalTarget(m.domain);
        if (target === undefined) {
          add(walk, { severity: 'info', code: 'macro-target', message: `"${m.text}" depends on the message (macros); not followed`, fix: 'none needed if intended', domain, path, offset: m.offset });
          break;
        }
        await follow(walk, node, path, target, m.text, m.offset, 'include');
        break;
      }
    }
  }
  if (record.redirect !== undefined && allIndex < 0) {
    chargeLookup(walk, node, path, record.redirect.text, record.redirect.offset);
    const target = literalTarget(record.redirect.value);
    if (target !== undefined) await follow(walk, node, path, target, record.redirect.text, record.redirect.offset, 'redirect');
  }
}

async function follow(walk: Walk, node: SpfLintNode, path: string[], target: string, term: string, offset: number, kind: 'include' | 'redirect'): Promise<void> {
  if (path.includes(target)) {
    add(walk, { severity: 'error', code: 'include-loop', message: `"${term}" loops back to ${target}: receivers hit the lookup limit and answer permerror`, fix: `remove the ${kind} of ${target}`, domain: node.domain, path: [...path, target], offset });
    return;
  }
  if (kind === 'include') {
    if (walk.seenIncludes.has(target)) {
      add(walk, { severity: 'info', code: 'duplicate-include', message: `${target} is included more than once in the tree; each costs lookups`, fix: `include ${target} once`, domain: node.domain, path: [...path, target], offset });
    }
    walk.seenIncludes.add(target);
  }
  const child: SpfLintNode = { domain: target, via: term, lookups: 0, children: [] };
  node.children.push(child);
  await lintNode(walk, child, [...path, target], kind);
}

async function checkAddresses(walk: Walk, target: string, types: ('A' | 'AAAA')[], domain: string, path: string[], term: string, offset: number): Promise<void> {
  let found = false;
  for (const type of types) {
    const answer = await query(walk, target, type);
    if (answer.kind === 'error') {
      add(walk, { severity: 'error', code: 'dns-error', message: `${type} lookup of ${target} for "${term}" failed: ${answer.error}`, fix: `check the DNS of ${target}`, domain, path, offset });
      return;
    }
    if (answer.kind === 'records' && answer.records.length > 0) found = true;
  }
  if (!found) {
    countVoid(walk, domain, path);
    add(walk, { severity: 'warning', code: 'void-lookup', message: `"${term}": ${target} has no address records (a void lookup, RFC 7208 §4.6.4)`, fix: 'remove the term or publish the records', domain, path, offset });
  }
}
