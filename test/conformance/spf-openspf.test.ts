// The openspf SPF suites (RFC 7208 target, RFC 4408 historical) through the in-memory ZoneResolver:
// one subtest per case, skips from spf-expectations.json with their reasons, and a summary line each.
// spf-openspf-wire.test.ts runs the same cases through the wire client and the test DNS server.

import { test } from 'node:test';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { runSpfSuite, type SpfSuiteName } from './spf-suite.js';
import { reportSpfSuite } from './spf-suite-report.js';

const summaries: string[] = [];

for (const suite of ['rfc7208', 'rfc4408'] as SpfSuiteName[]) {
  test(`openspf ${suite}`, async (t) => {
    const outcomes = await runSpfSuite(suite, async (zone) => ({ resolver: new ZoneResolver(zone), close: async () => {} }));
    summaries.push(await reportSpfSuite(t, suite, outcomes));
  });
}

test.after(() => {
  for (const line of summaries) console.log(line);
});
