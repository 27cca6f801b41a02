// The Public Suffix List test cases (shared/conformance/psl-publicsuffix): tests.txt and test_psl.txt (the
// same 78 cases in two syntaxes) through our PSL matcher over the list snapshot shipped in data/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadPublicSuffixList } from '../../src/auth/dmarc/index.js';

const DIR = new URL('../../../shared/conformance/psl-publicsuffix/', import.meta.url);
const SHIPPED = new URL('../../share/public_suffix_list.dat', import.meta.url);

interface PslCase {
  input: string | null;
  expected: string | null;
  line: number;
}

function fromTestsTxt(text: string): PslCase[] {
  const cases: PslCase[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    const [input, expected] = line.split(/\s+/);
    cases.push({ input: input === 'null' ? null : input!, expected: expected === 'null' ? null : expected!, line: index + 1 });
  });
  return cases;
}

function fromTestPslTxt(text: string): PslCase[] {
  const cases: PslCase[] = [];
  const call = /^checkPublicSuffix\((null|'[^']*'),\s*(null|'[^']*')\);/;
  text.split('\n').forEach((raw, index) => {
    const m = call.exec(raw.trim());
    if (!m) return;
    const value = (v: string): string | null => (v === 'null' ? null : v.slice(1, -1));
    cases.push({ input: value(m[1]!), expected: value(m[2]!), line: index + 1 });
  });
  return cases;
}

const summaries: string[] = [];

test('psl', async (t) => {
  const loaded = loadPublicSuffixList(readFileSync(SHIPPED, 'utf8'), { requireComplete: true });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  const psl = loaded.value;
  for (const [file, parse] of [
    ['tests.txt', fromTestsTxt],
    ['test_psl.txt', fromTestPslTxt],
  ] as const) {
    const cases = parse(readFileSync(new URL(file, DIR), 'utf8'));
    assert.equal(cases.length, 78, `${file} has 78 cases`);
    let passed = 0;
    let failed = 0;
    await t.test(file, async (sub) => {
      for (const c of cases) {
        const actual = psl.registrableDomain(c.input);
        if (actual === c.expected) passed++;
        else failed++;
        await sub.test(`${file}:${c.line} ${String(c.input)}`, () => assert.equal(actual, c.expected));
      }
    });
    summaries.push(`psl ${file}: ${passed} passed, 0 skipped, ${failed} failed`);
  }
});

test.after(() => {
  for (const line of summaries) console.log(line);
});
