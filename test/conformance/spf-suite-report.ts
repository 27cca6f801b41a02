// Turns suite outcomes into node:test subtests (one per case, skips with their reasons from
// spf-expectations.json) and a summary line `spf <suite>: N passed, M skipped, K failed`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { SpfSuiteName, SpfSuiteOutcome } from './spf-suite.js';

interface Expectations {
  rfc7208: { skip: Record<string, string> };
  rfc4408: { skip: Record<string, string> };
}

const expectations = JSON.parse(readFileSync(new URL('./spf-expectations.json', import.meta.url), 'utf8')) as Expectations;

/** Reports one suite's outcomes as subtests of `t` and returns its summary line. */
export async function reportSpfSuite(t: TestContext, suite: SpfSuiteName, outcomes: SpfSuiteOutcome[], label: string = suite): Promise<string> {
  const skips = expectations[suite].skip;
  let passed = 0;
  let skipped = 0;
  let failed = 0;
  const unexpectedPasses: string[] = [];
  for (const o of outcomes) {
    const name = `${o.scenario}/${o.id}`;
    const reason = skips[name];
    if (reason !== undefined) {
      skipped++;
      if (o.passed) unexpectedPasses.push(name);
      await t.test(name, { skip: reason }, () => {});
      continue;
    }
    if (o.passed) passed++;
    else failed++;
    await t.test(name, () => {
      assert.ok(o.passed, o.message);
    });
  }
  const known = new Set(outcomes.map((o) => `${o.scenario}/${o.id}`));
  for (const name of Object.keys(skips)) if (!known.has(name)) t.diagnostic(`expectations: no case named "${name}"`);
  for (const name of unexpectedPasses) t.diagnostic(`skipped case now passes: ${name} — remove its skip`);
  const line = `spf ${label}: ${passed} passed, ${skipped} skipped, ${failed} failed`;
  if (suite === 'rfc7208') assert.equal(outcomes.length, 203, 'the RFC 7208 suite has 203 cases');
  return unexpectedPasses.length ? `${line} (${unexpectedPasses.length} skipped now pass: ${unexpectedPasses.join(', ')})` : line;
}
