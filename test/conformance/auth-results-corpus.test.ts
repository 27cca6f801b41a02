// Authentication-Results strings from the shared conformance data, as parser inputs:
// - every ARC-Authentication-Results header in arc-valimail/arc-draft-validation-tests.yml, read from the
//   raw text so the 4 duplicated test ids count too (NOTES.md: 175 entries, 171 after PyYAML);
// - every expected and `prev` Authentication-Results in dmarc-eval-authheaders/authheaders-cases.json.
// Prints `auth-results corpus: N passed, M skipped, K failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseArcAuthenticationResults, parseAuthenticationResults } from '../../src/auth/auth-results/index.js';

const ROOT = new URL('../../../shared/conformance/', import.meta.url);

/**
 * The AARs the suite breaks on purpose (its ARC tests expect cv=fail for them). Their i= tag is bad, so
 * parseArcAuthenticationResults must refuse them with this code; the A-R payload after it must still parse.
 */
const DELIBERATELY_BAD_INSTANCE: Record<string, string> = {
  'lists.example.org; spf=pass': 'missing-instance',
  'lists.example.org; i=1;': 'missing-instance',
  'i=;': 'bad-instance',
  'i=0;': 'bad-instance',
  'i=yo-mama;': 'bad-instance',
  'i=squanch;': 'bad-instance',
  'i=1 lists.example.org;': 'bad-instance',
};

/**
 * Unfolded values of every `ARC-Authentication-Results:` header field inside the `message: |` block
 * scalars. A header starts at the block's own indentation; deeper lines continue the field above (one
 * test folds the text "ARC-Authentication-Results: ..." into its AMS, which is not an AAR field).
 */
function extractAars(text: string): string[] {
  const lines = text.split('\n');
  const indentOf = (line: string) => /^[ ]*/.exec(line)?.[0].length ?? 0;
  const out: string[] = [];
  let base = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*message:\s*[|>]/.test(line)) {
      base = indentOf(lines[i + 1] ?? '');
      continue;
    }
    if (base < 0 || line.trim() === '' || indentOf(line) !== base) continue;
    const m = /^\s*ARC-Authentication-Results:(.*)$/i.exec(line);
    if (!m) continue;
    let value = m[1] as string;
    while (i + 1 < lines.length && (lines[i + 1] as string).trim() !== '' && indentOf(lines[i + 1] as string) > base) value += `\r\n${lines[++i]}`;
    out.push(value);
  }
  return out;
}

function badInstanceCode(value: string): string | undefined {
  const flat = value.replace(/\s+/g, ' ').trim();
  for (const [prefix, code] of Object.entries(DELIBERATELY_BAD_INSTANCE)) if (flat.startsWith(prefix)) return code;
  return undefined;
}

void test('auth-results corpus', async (t) => {
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  const check = (name: string, ok: boolean, message: string) => {
    if (ok) passed++;
    else {
      failed++;
      failures.push(`${name}: ${message}`);
    }
  };

  const aars = extractAars(readFileSync(new URL('arc-valimail/arc-draft-validation-tests.yml', ROOT), 'utf8'));
  let aarOk = 0;
  let aarRefused = 0;
  aars.forEach((value, i) => {
    const r = parseArcAuthenticationResults(value);
    const expectBad = badInstanceCode(value);
    if (expectBad) {
      check(`aar/${i}`, !r.ok && r.error.code === expectBad, `want ${expectBad}, got ${JSON.stringify(r.ok ? r.value : r.error)}`);
      // The payload after the (bad) instance still parses as Authentication-Results.
      const payload = value.replace(/^\s*(i\s*=\s*[^;\s]*\s*;?)?/, '').replace(/\bi=1;\s*/, '');
      const p = parseAuthenticationResults(payload);
      check(`aar/${i}/payload`, p.ok && p.value.results.length >= 3, JSON.stringify(p.ok ? p.value : p.error));
      if (!r.ok) aarRefused++;
      return;
    }
    const ok = r.ok && r.value.authservId === 'lists.example.org' && r.value.results.some((e) => e.method === 'dkim' && e.result === 'pass');
    check(`aar/${i}`, ok, JSON.stringify(r.ok ? r.value : r.error));
    if (r.ok) aarOk++;
  });

  const authheaders = JSON.parse(readFileSync(new URL('dmarc-eval-authheaders/authheaders-cases.json', ROOT), 'utf8')) as {
    cases: Record<string, { expected_authentication_results?: string; options?: { prev?: string } }> | { expected_authentication_results?: string; options?: { prev?: string } }[];
  };
  const cases = Array.isArray(authheaders.cases) ? authheaders.cases : Object.values(authheaders.cases);
  let arCount = 0;
  cases.forEach((c, i) => {
    for (const [kind, value] of [['expected', c.expected_authentication_results], ['prev', c.options?.prev]] as const) {
      if (value === undefined || value === null) continue;
      arCount++;
      const r = parseAuthenticationResults(value);
      const methods = (value.replace(/\([^)]*\)/g, '').match(/;\s*([a-z]+)=/g) ?? []).length;
      check(`authheaders/${i}/${kind}`, r.ok && r.value.authservId === 'example.com' && r.value.results.length === methods, JSON.stringify(r.ok ? r.value : r.error));
    }
  });

  const line = `auth-results corpus: ${passed} passed, 0 skipped, ${failed} failed`;
  t.diagnostic(line);
  t.diagnostic(`ARC-Authentication-Results: ${aars.length} found, ${aarOk} parsed, ${aarRefused} refused for their deliberately bad i= (payload parsed); authheaders A-R strings: ${arCount}`);
  console.log(line);
  console.log(`ARC-Authentication-Results: ${aars.length} found, ${aarOk} parsed, ${aarRefused} refused for their deliberately bad i= (payload parsed); authheaders A-R strings: ${arCount}`);
  assert.ok(aars.length >= 190, `expected at least 190 AARs, found ${aars.length}`);
  assert.deepEqual(failures, []);
});
