// The openspf SPF suites again, this time through the real wire client (UDP/TCP, no cache) talking to the
// test DNS server on 127.0.0.1: the same cases must give the same results as through the zone resolver.

import { test } from 'node:test';
import { createResolver } from '../../src/adapters/dns/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { runSpfSuite, type SpfSuiteName } from './spf-suite.js';
import { reportSpfSuite } from './spf-suite-report.js';

// The suite's TIMEOUT names never answer: a short timeout and one attempt keep the run fast.
const WIRE_TIMEOUT_MS = 250;

const summaries: string[] = [];

for (const suite of ['rfc7208', 'rfc4408'] as SpfSuiteName[]) {
  test(`openspf ${suite} over the wire`, async (t) => {
    const outcomes = await runSpfSuite(suite, async (zone) => {
      const server = await TestDnsServer.start(zone);
      const resolver = createResolver({ servers: [server.address], timeoutMs: WIRE_TIMEOUT_MS, attempts: 1, cache: false });
      return { resolver, close: () => server.stop() };
    });
    summaries.push(await reportSpfSuite(t, suite, outcomes, `${suite} (wire)`));
  });
}

test.after(() => {
  for (const line of summaries) console.log(line);
});
