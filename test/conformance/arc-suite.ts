// Loads the ValiMail ARC suites (shared/conformance/arc-valimail) with every entry, duplicates included.
// NOTES.md: the validation file defines 4 test ids twice; PyYAML keeps the last copy (171 cases), the
// `yaml` package throws unless uniqueKeys is off, and even then toJS keeps one copy. So the `tests` map is
// walked as a YAML node: each pair becomes a case, and a repeated id gets a `#2` suffix.

import { readFileSync } from 'node:fs';
import { isMap, isScalar, parseAllDocuments, type Pair } from 'yaml';
import type { ZoneData } from '../../src/testing/zone.js';

export const ARC_SUITE_DIR = new URL('../../../shared/conformance/arc-valimail/', import.meta.url);

export interface ArcSuiteScenario {
  description: string;
  /** Every other top-level key (sign suite: domain, sel, privatekey). */
  fields: Record<string, unknown>;
  zone: ZoneData;
  cases: ArcSuiteCase[];
}

export interface ArcSuiteCase {
  /** The test id; a second definition of an id is `<id>#2`. */
  id: string;
  scenario: string;
  data: Record<string, unknown>;
}

/** Reads one suite file: every document, every test pair in file order (duplicate keys kept). */
export function loadArcSuite(file: string): ArcSuiteScenario[] {
  const text = readFileSync(new URL(file, ARC_SUITE_DIR), 'utf8');
  const scenarios: ArcSuiteScenario[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (Array.isArray(doc)) continue; // an empty stream
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const root = doc.contents;
    if (!isMap(root)) continue;
    const scenario: ArcSuiteScenario = { description: '', fields: {}, zone: {}, cases: [] };
    for (const pair of root.items as Pair[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key === 'tests' && isMap(pair.value)) continue;
      const value: unknown = pair.value === null ? null : (pair.value as { toJSON(): unknown }).toJSON();
      if (key === 'description') scenario.description = String(value).trim();
      else if (key === 'txt-records') scenario.zone = zoneFrom(value as Record<string, string>);
      else scenario.fields[key] = value;
    }
    const seen = new Map<string, number>();
    const tests = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'tests')?.value;
    if (isMap(tests)) {
      for (const pair of tests.items as Pair[]) {
        const base = isScalar(pair.key) ? String(pair.key.value) : '?';
        const count = (seen.get(base) ?? 0) + 1;
        seen.set(base, count);
        const data = (pair.value as { toJSON(): unknown }).toJSON() as Record<string, unknown>;
        scenario.cases.push({ id: count === 1 ? base : `${base}#${count}`, scenario: scenario.description, data });
      }
    }
    scenarios.push(scenario);
  }
  return scenarios;
}

/** Key records use YAML folding, so p= holds spaces: the whole record is one TXT string with them removed from p=. */
function zoneFrom(records: Record<string, string> | null): ZoneData {
  const zone: ZoneData = {};
  for (const [name, record] of Object.entries(records ?? {})) {
    const text = String(record).trim().replace(/p=([^;]*)/, (_m, p: string) => `p=${p.replace(/\s+/g, '')}`);
    zone[name] = [{ TXT: text }];
  }
  return zone;
}

/** NOTES.md "Line endings": messages are LF; turn them into CRLF. */
export function messageBytes(message: unknown): Buffer {
  const text = typeof message === 'string' ? message : '';
  return Buffer.from(text.includes('\r\n') ? text : text.replace(/\n/g, '\r\n'), 'utf8');
}
