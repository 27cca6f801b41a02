// Cross-checks mailflow's SPF against pyspf (Debian python3-spf) on the generated scenarios, both
// resolving over the wire from one TestDnsServer that serves every scenario's zone.
// A disagreement fails unless spf-pyspf-expectations.json lists it with the RFC 7208 section showing
// pyspf wrong; a listed difference that no longer happens fails too, so the list stays true.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { createResolver } from '../../src/adapters/dns/index.js';
import { checkSpf } from '../../src/auth/spf/index.js';
import type { SpfResult } from '../../src/auth/spf/types.js';
import { generateSpfScenarios, unionZone, type SpfScenario } from './spf-scenarios.js';
import { pyspfMissing, runPyspf, type PyspfResult } from './pyspf-runner.js';

interface KnownDifference {
  kind: string;
  pyspf: string;
  mailflow: string;
  rfc: string;
  reason: string;
}

const EXPECTATIONS_FILE = new URL('./spf-pyspf-expectations.json', import.meta.url);
const RESULT_WORDS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'] as const;
/** Per-query timeout for both sides: long enough for loopback, short enough for the TIMEOUT cases. */
const LOOKUP_TIMEOUT_MS = 600;
/** mailflow checks run this many at a time (the server is local; this just bounds open sockets). */
const CONCURRENCY = 24;

function loadExpectations(): Record<string, KnownDifference> {
  const parsed = JSON.parse(readFileSync(EXPECTATIONS_FILE, 'utf8')) as { differences: Record<string, KnownDifference> };
  return parsed.differences;
}

async function runMailflow(scenarios: SpfScenario[], server: string): Promise<Map<string, SpfResult | Error>> {
  const resolver = createResolver({ servers: [server], timeoutMs: LOOKUP_TIMEOUT_MS, attempts: 1, cache: false });
  const results = new Map<string, SpfResult | Error>();
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const scenario = scenarios[next++] as SpfScenario;
      try {
        results.set(scenario.id, await checkSpf(scenario.query, { resolver }));
      } catch (error) {
        results.set(scenario.id, error as Error);
      }
    }
  };
  await Promise.all([...Array(CONCURRENCY)].map(worker));
  return results;
}

/** What one side said, as compared: the result word, plus the explanation when the scenario asks for it. */
function verdict(scenario: SpfScenario, result: string, explanation: string | undefined): string {
  return scenario.compareExplanation && result === 'fail' ? `fail (${JSON.stringify(explanation ?? '')})` : result;
}

function describe(scenario: SpfScenario, mine: SpfResult | Error, theirs: PyspfResult | undefined): string {
  const mailflow =
    mine instanceof Error
      ? `threw ${mine.name}: ${mine.message}`
      : `${mine.result} (${mine.reason}: ${mine.detail}) lookups=${mine.lookups} void=${mine.voidLookups}` +
        (mine.explanation === undefined ? '' : ` exp=${JSON.stringify(mine.explanation)}`);
  const pyspf = theirs === undefined ? 'no result' : `${theirs.result} ${JSON.stringify(theirs.explanation ?? theirs.error ?? '')}`;
  return [
    `${scenario.id} ${scenario.kind} — ${scenario.note}`,
    `query:    ${JSON.stringify(scenario.query)}`,
    `mailflow: ${mailflow}`,
    `pyspf:    ${pyspf}`,
    `zone:     ${JSON.stringify(scenario.zone)}`,
  ].join('\n');
}

void test('SPF interop with pyspf over the wire', async (t) => {
  const missing = pyspfMissing();
  // Not a skip: CI installs python3-spf, so a missing pyspf is a broken environment that must be seen.
  assert.equal(missing, null, `pyspf interop cannot run: ${missing}`);

  const scenarios = generateSpfScenarios();
  const expectations = loadExpectations();
  const server = await TestDnsServer.start(unionZone(scenarios));
  t.after(() => server.stop());

  const cases = scenarios.map((s) => ({ id: s.id, ...s.query }));
  const [mine, theirs] = await Promise.all([
    runMailflow(scenarios, server.address),
    runPyspf('127.0.0.1', server.port, cases, LOOKUP_TIMEOUT_MS / 1000),
  ]);
  const pyspfById = new Map(theirs.results.map((r) => [r.id, r]));

  let agreed = 0;
  let known = 0;
  const disagreed: { scenario: SpfScenario; text: string }[] = [];
  const stale: { id: string; text: string }[] = [];
  const covered = new Map<string, number>();
  for (const scenario of scenarios) {
    const m = mine.get(scenario.id) as SpfResult | Error;
    const p = pyspfById.get(scenario.id);
    const mVerdict = m instanceof Error ? 'threw' : verdict(scenario, m.result, m.explanation);
    const pVerdict = p === undefined ? 'missing' : verdict(scenario, p.result, p.explanation);
    const listed = expectations[scenario.id];
    if (mVerdict === pVerdict) {
      agreed += 1;
      covered.set(mVerdict.split(' ')[0] as string, (covered.get(mVerdict.split(' ')[0] as string) ?? 0) + 1);
      if (listed) stale.push({ id: scenario.id, text: `listed as a known difference but both now say ${mVerdict}` });
    } else if (listed && listed.kind === scenario.kind && listed.mailflow === mVerdict && listed.pyspf === pVerdict) {
      known += 1;
    } else {
      const note = listed ? `\n(listed in the expectations as mailflow=${listed.mailflow} pyspf=${listed.pyspf}, kind ${listed.kind})` : '';
      disagreed.push({ scenario, text: describe(scenario, m, p) + note });
    }
  }
  for (const id of Object.keys(expectations)) {
    if (!scenarios.some((s) => s.id === id)) stale.push({ id, text: 'listed in the expectations but no such scenario' });
  }

  const reportPath = process.env.SPF_INTEROP_REPORT;
  if (reportPath) {
    // For investigating: every case with both verdicts, e.g. SPF_INTEROP_REPORT=/tmp/spf.json.
    const rows = scenarios.map((s) => {
      const m = mine.get(s.id);
      return { ...s, mailflow: m instanceof Error ? String(m) : m, pyspf: pyspfById.get(s.id) };
    });
    writeFileSync(reportPath, JSON.stringify(rows, null, 1));
  }

  console.log(`pyspf ${theirs.pyspf} (dnspython ${theirs.dnspython}), ${scenarios.length} scenarios`);
  console.log(`spf pyspf interop: ${agreed} agreed, ${known} known-differences, ${disagreed.length} disagreed`);
  console.log(`agreed results: ${RESULT_WORDS.map((w) => `${w}=${covered.get(w) ?? 0}`).join(' ')}`);

  await t.test(`generated at least 300 scenarios (${scenarios.length})`, () => {
    assert.ok(scenarios.length >= 300);
  });
  await t.test('every SPF result word occurs among the agreed cases', () => {
    const absent = RESULT_WORDS.filter((w) => !covered.has(w));
    assert.deepEqual(absent, [], `no agreed case ends in ${absent.join(', ')}: the generator lost coverage`);
  });
  for (const { scenario, text } of disagreed) {
    await t.test(`disagreement ${scenario.id} ${scenario.kind}`, () => assert.fail(text));
  }
  for (const { id, text } of stale) {
    await t.test(`stale expectation ${id}`, () => assert.fail(`${id}: ${text}; update spf-pyspf-expectations.json`));
  }
});
