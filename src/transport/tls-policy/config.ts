// The TLS policy configuration: validation of what the gateway (or `--config`) gives us, and matching a
// recipient domain against the mandatory rules. Validation runs once, when the configuration is loaded.

import { DEFAULT_TLS_POLICY_CONFIG, type MandatoryTlsRule, type TlsPolicyConfig, type TlsVersion } from './types.js';

export interface TlsConfigError {
  /** Where in the object, e.g. `mandatory[2].fingerprints[0]`. */
  path: string;
  message: string;
}

export type TlsConfigResult = { ok: true; value: TlsPolicyConfig } | { ok: false; error: TlsConfigError };

/** Rules beyond this many are refused: a table this large belongs in a database, not a config file. */
export const MAX_MANDATORY_RULES = 10_000;
const VERSIONS: readonly TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];
const DOMAIN = /^\.?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{1,63}$/;

/**
 * Validates a TLS policy configuration given as plain data (parsed JSON or YAML). Missing fields take the
 * defaults (opportunistic, TLS 1.2, no rules). Never throws; the error names the offending path.
 */
export function parseTlsPolicyConfig(input: unknown): TlsConfigResult {
  if (input === undefined || input === null) return { ok: true, value: { ...DEFAULT_TLS_POLICY_CONFIG, mandatory: [] } };
  if (typeof input !== 'object' || Array.isArray(input)) return bad('', 'the TLS configuration must be an object');
  const o = input as Record<string, unknown>;
  const defaultTls = o.defaultTls ?? DEFAULT_TLS_POLICY_CONFIG.defaultTls;
  if (defaultTls !== 'opportunistic' && defaultTls !== 'forced') return bad('defaultTls', `must be "opportunistic" or "forced", got ${JSON.stringify(defaultTls)}`);
  const minTlsVersion = o.minTlsVersion ?? DEFAULT_TLS_POLICY_CONFIG.minTlsVersion;
  if (!VERSIONS.includes(minTlsVersion as TlsVersion)) return bad('minTlsVersion', `must be "TLSv1.2" or "TLSv1.3", got ${JSON.stringify(minTlsVersion)}`);
  const rawRules = o.mandatory ?? [];
  if (!Array.isArray(rawRules)) return bad('mandatory', 'must be a list of rules');
  if (rawRules.length > MAX_MANDATORY_RULES) return bad('mandatory', `more than ${MAX_MANDATORY_RULES} rules`);
  const mandatory: MandatoryTlsRule[] = [];
  for (const [index, raw] of rawRules.entries()) {
    const rule = parseRule(raw, `mandatory[${index}]`);
    if (!rule.ok) return rule;
    mandatory.push(rule.value);
  }
  return { ok: true, value: { defaultTls, minTlsVersion: minTlsVersion as TlsVersion, mandatory } };
}

function parseRule(raw: unknown, path: string): { ok: true; value: MandatoryTlsRule } | { ok: false; error: TlsConfigError } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad(path, 'a rule must be an object with at least "domain"');
  const o = raw as Record<string, unknown>;
  if (typeof o.domain !== 'string') return bad(`${path}.domain`, 'required, a domain name');
  const domain = normalizeRuleDomain(o.domain);
  if (domain === undefined) return bad(`${path}.domain`, `"${o.domain}" is not a domain name (or .domain for its subdomains)`);
  const rule: MandatoryTlsRule = { domain };
  if (o.minTlsVersion !== undefined) {
    if (!VERSIONS.includes(o.minTlsVersion as TlsVersion)) return bad(`${path}.minTlsVersion`, 'must be "TLSv1.2" or "TLSv1.3"');
    rule.minTlsVersion = o.minTlsVersion as TlsVersion;
  }
  for (const key of ['names', 'fingerprints'] as const) {
    const value = o[key];
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) return bad(`${path}.${key}`, 'must be a non-empty list of strings');
    rule[key] = value as string[];
  }
  if (rule.fingerprints) {
    for (const [i, fp] of rule.fingerprints.entries()) {
      if (normalizeFingerprint(fp) === undefined) return bad(`${path}.fingerprints[${i}]`, `"${fp}" is not a SHA-256 fingerprint (64 hex digits, colons allowed)`);
    }
  }
  if (o.caFile !== undefined) {
    if (typeof o.caFile !== 'string' || o.caFile === '') return bad(`${path}.caFile`, 'must be a file path');
    rule.caFile = o.caFile;
  }
  return { ok: true, value: rule };
}

/** Lower-case hex of a SHA-256 fingerprint given as hex, with optional colons and `sha256:` prefix; else undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replace(/^sha-?256:/, '').replace(/:/g, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function normalizeRuleDomain(text: string): string | undefined {
  const lower = text.trim().toLowerCase().replace(/\.$/, '');
  return lower.length <= 254 && DOMAIN.test(lower) ? lower : undefined;
}

/**
 * The mandatory rule for a recipient domain: an exact rule first, then the closest `.parent` rule.
 * Domains compare lower-case without the trailing dot.
 */
export function findMandatoryRule(domain: string, rules: readonly MandatoryTlsRule[]): MandatoryTlsRule | undefined {
  const name = domain.toLowerCase().replace(/\.$/, '');
  const exact = rules.find((r) => r.domain === name);
  if (exact) return exact;
  let best: MandatoryTlsRule | undefined;
  for (const rule of rules) {
    if (rule.domain.startsWith('.') && name.endsWith(rule.domain) && (best === undefined || rule.domain.length > best.domain.length)) best = rule;
  }
  return best;
}

function bad(path: string, message: string): { ok: false; error: TlsConfigError } {
  return { ok: false, error: { path, message } };
}
