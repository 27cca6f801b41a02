// The openspf SPF suites (RFC 7208 and RFC 4408) as data: a loader that turns each YAML scenario into
// ZoneData following shared/conformance/NOTES.md, and a runner that takes any resolver factory — the
// in-memory ZoneResolver here, the wire client against the test DNS server elsewhere.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { DnsResolver } from '../../src/core/dns/types.js';
import type { ZoneData, ZoneEntry } from '../../src/testing/zone.js';
import { checkSpf } from '../../src/auth/spf/index.js';
import type { SpfResultCode } from '../../src/auth/spf/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The suites live beside the repository: `../shared/conformance/spf-openspf/` from the repo root. */
export const SPF_SUITE_DIR = resolve(REPO_ROOT, '..', 'shared', 'conformance', 'spf-openspf');

export type SpfSuiteName = 'rfc7208' | 'rfc4408';

export interface SpfSuiteCase {
  /** The scenario's description (the suite's section name). */
  scenario: string;
  id: string;
  spec: string;
  helo: string;
  host: string;
  mailfrom: string;
  /** Acceptable results; the first is preferred. */
  results: SpfResultCode[];
  explanation: string | undefined;
  zone: ZoneData;
}

export interface SpfSuiteOutcome {
  scenario: string;
  id: string;
  expected: SpfResultCode[];
  actual: SpfResultCode;
  expectedExplanation: string | undefined;
  actualExplanation: string | undefined;
  passed: boolean;
  /** Why it failed, or '' when it passed. */
  message: string;
}

export interface SuiteResolver {
  resolver: DnsResolver;
  close(): Promise<void>;
}

/** Resolves 'rfc7208' / 'rfc4408' to the suite file; other values are paths (relative to the repo root). */
export function spfSuitePath(file: SpfSuiteName | string): string {
  if (file === 'rfc7208' || file === 'rfc4408') return resolve(SPF_SUITE_DIR, `${file}-tests.yml`);
  return isAbsolute(file) ? file : resolve(REPO_ROOT, file);
}

/** Loads every case of a suite file, each with its scenario's zone. */
export function loadSpfSuite(file: SpfSuiteName | string): SpfSuiteCase[] {
  const text = readFileSync(spfSuitePath(file), 'utf8');
  const cases: SpfSuiteCase[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) throw new Error(`${file}: YAML error: ${doc.errors[0]!.message}`);
    const scenario = doc.toJS() as { description?: string; tests?: Record<string, Record<string, unknown>>; zonedata?: Record<string, unknown[]> } | null;
    if (!scenario || !scenario.tests) continue;
    const zone = buildZone(scenario.zonedata ?? {});
    for (const [id, t] of Object.entries(scenario.tests)) {
      const result = t.result;
      cases.push({
        scenario: String(scenario.description ?? ''),
        id,
        spec: String(t.spec ?? ''),
        helo: String(t.helo ?? ''),
        host: String(t.host ?? ''),
        mailfrom: String(t.mailfrom ?? ''),
        results: (Array.isArray(result) ? result : [result]).map((r) => String(r).toLowerCase() as SpfResultCode),
        explanation: t.explanation === undefined ? undefined : String(t.explanation),
        zone,
      });
    }
  }
  return cases;
}

/**
 * Builds ZoneData from a scenario's zonedata (NOTES.md "SPF to TXT duplication"): a name without any
 * `TXT:` entry serves its `SPF:` entries as TXT, in place (so the TIMEOUT walk sees them in order);
 * `TXT: NONE` only suppresses that; type 99 is never served. MX is `[pref, host]`; TIMEOUT is kept.
 */
export function buildZone(zonedata: Record<string, unknown[]>): ZoneData {
  const zone: ZoneData = {};
  for (const [owner, rawEntries] of Object.entries(zonedata)) {
    const entries = Array.isArray(rawEntries) ? rawEntries : [];
    const hasTxt = entries.some((e) => typeof e === 'object' && e !== null && 'TXT' in e);
    const out: ZoneEntry[] = [];
    for (const e of entries) {
      if (e === 'TIMEOUT') {
        out.push('TIMEOUT');
        continue;
      }
      if (typeof e !== 'object' || e === null) continue;
      const [type, value] = Object.entries(e)[0] as [string, unknown];
      switch (type) {
        case 'SPF':
          if (!hasTxt) out.push({ TXT: txtValue(value) });
          break;
        case 'TXT':
          if (value !== 'NONE') out.push({ TXT: txtValue(value) });
          break;
        case 'A':
          out.push({ A: String(value) });
          break;
        case 'AAAA':
          out.push({ AAAA: String(value) });
          break;
        case 'MX': {
          const [pref, host] = value as [number, string];
          out.push({ MX: [Number(pref), String(host)] });
          break;
        }
        case 'PTR':
          out.push({ PTR: String(value) });
          break;
        case 'CNAME':
          out.push({ CNAME: String(value) });
          break;
        default:
          throw new Error(`unknown zone entry type ${type} at ${owner}`);
      }
    }
    zone[owner] = [...(zone[owner] ?? []), ...out];
  }
  return zone;
}

function txtValue(value: unknown): string | string[] {
  return Array.isArray(value) ? value.map(String) : String(value);
}

/**
 * Runs a whole suite: one resolver per scenario from `makeResolver`, `checkSpf` per case with the default
 * explanation `DEFAULT`; a case passes when the result is any listed one and, when an explanation is
 * given, the explanation is equal. Returns one outcome per case, in file order.
 */
export async function runSpfSuite(
  file: SpfSuiteName | string,
  makeResolver: (zone: ZoneData) => Promise<SuiteResolver>,
): Promise<SpfSuiteOutcome[]> {
  const cases = loadSpfSuite(file);
  const outcomes: SpfSuiteOutcome[] = new Array<SpfSuiteOutcome>(cases.length);
  const byZone = new Map<ZoneData, number[]>();
  cases.forEach((c, i) => byZone.set(c.zone, [...(byZone.get(c.zone) ?? []), i]));
  for (const [zone, indexes] of byZone) {
    const { resolver, close } = await makeResolver(zone);
    try {
      for (const i of indexes) outcomes[i] = await runSpfCase(cases[i]!, resolver);
    } finally {
      await close();
    }
  }
  return outcomes;
}

/** Runs one case against a resolver. */
export async function runSpfCase(c: SpfSuiteCase, resolver: DnsResolver): Promise<SpfSuiteOutcome> {
  const result = await checkSpf(
    { ip: c.host, sender: c.mailfrom, helo: c.helo },
    { resolver, defaultExplanation: 'DEFAULT', clock: { now: () => 0 } },
  );
  const problems: string[] = [];
  if (!c.results.includes(result.result)) problems.push(`result ${result.result}, expected ${c.results.join(' or ')} (${result.reason}: ${result.detail})`);
  if (c.explanation !== undefined && result.explanation !== c.explanation) {
    problems.push(`explanation ${JSON.stringify(result.explanation)}, expected ${JSON.stringify(c.explanation)}`);
  }
  return {
    scenario: c.scenario,
    id: c.id,
    expected: c.results,
    actual: result.result,
    expectedExplanation: c.explanation,
    actualExplanation: result.explanation,
    passed: problems.length === 0,
    message: problems.join('; '),
  };
}
