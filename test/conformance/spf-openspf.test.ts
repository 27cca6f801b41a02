// The openspf SPF suites (RFC 7208 target, RFC 4408 historical) through the in-memory ZoneResolver:
// one subtest per case, skips from spf-expectations.json with their reasons, and a summary line each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { runSpfSuite, type SpfSuiteName } from './spf-suite.js';

interface Expectations {
  rfc7208: { skip: Record<string, string> };
  rfc4408: { skip: Record<string, string> };
}

const expectations = JSON.parse(readFileSync(new URL('./spf-expectations.json', import.meta.url), 'utf8')) as Expectations;

const summaries: string[] = [];

for (const suite of ['rfc7208', 'rfc4408'] as SpfSuiteName[]) {
  void test(`openspf ${suite}`, async (t) => {
    const skips = expectations[suite as 'rfc7208' | 'rfc4408'].skip;
    const outcomes = await runSpfSuite(suite, async (zone) => ({ resolver: new ZoneResolver(zone), close: async () => {} }));
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
    const line = `spf ${suite}: ${passed} passed, ${skipped} skipped, ${failed} failed`;
    summaries.push(unexpectedPasses.length ? `${line} (${unexpectedPasses.length} skipped now pass: ${unexpectedPasses.join(', ')})` : line);
    if (suite === 'rfc7208') assert.equal(outcomes.length, 203, 'the RFC 7208 suite has 203 cases');
  });
}

test.after(() => {
  for (const line of summaries) console.log(line);
});
