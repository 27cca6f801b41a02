// Runs PostSRSd's own test vectors (socketmap black-box, milter, libsrs2 unit tests, fuzz seeds) against
// src/auth/srs with PostSRSd's fixed secret and clock. Prints `srs postsrsd vectors: N passed, M skipped, K failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { createSrs, shouldRewrite, type SrsForwardResult, type SrsReverseResult } from '../../src/auth/srs/index.js';

/** The suites live beside the repository: `../shared/conformance/srs-postsrsd/` from the repo root. */
const dir = new URL('../../../shared/conformance/srs-postsrsd/', import.meta.url);

interface StatelessCase {
  op?: 'forward' | 'reverse';
  address?: string;
  status: 'OK' | 'NOTFOUND' | 'PERM';
  result?: string;
  message?: string;
  comment: string;
}
interface Vectors {
  config: { secret: string; now_unix: number; srs_domain: string; local_domains: string[]; separator: '='; hash_length: number; max_age_days: number };
  stateless_cases: StatelessCase[];
  database_cases: StatelessCase[];
  milter_cases: { envelope_from: string; recipients: string[]; expected_new_from?: string; expected_new_rcpt?: string[] }[];
  unit_test_cases: { op: 'forward' | 'reverse'; address: string; alias_domain?: string; result?: string; error?: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('postsrsd-vectors.json', dir), 'utf8')) as Vectors;
const expectations = JSON.parse(readFileSync(new URL('./srs-expectations.json', import.meta.url), 'utf8')) as { skip: Record<string, string> };

const cfg = vectors.config;
const clock = new ManualClock(cfg.now_unix * 1000);
const srs = createSrs({
  secrets: [cfg.secret],
  domain: cfg.srs_domain,
  localDomains: cfg.local_domains,
  separator: cfg.separator,
  hashLength: cfg.hash_length,
  maxAgeDays: cfg.max_age_days,
  clock,
});

/** PostSRSd's reply wording → the reason (and missing part) mailflow must give. */
const REASON_FOR_MESSAGE: Record<string, string> = {
  'Need not rewrite local domain.': 'local-domain',
  'No domain.': 'no-domain',
  'Too big.': 'too-long',
  'Not an SRS address.': 'not-srs',
  'Time stamp out of date.': 'expired',
  'Hash invalid in SRS address.': 'bad-hash',
  'No hash in SRS0 address.': 'malformed/hash',
  'No timestamp in SRS0 address.': 'malformed/timestamp',
  'No host in SRS0 address.': 'malformed/host',
  'No user in SRS0 address.': 'malformed/user',
  'No database for alias.': 'database-alias',
};
const PERM_REASONS = new Set(['too-long', 'database-alias']);

/** Our result as a PostSRSd socketmap reply: status, value or reason. */
function asReply(r: SrsForwardResult | SrsReverseResult): { status: string; value: string } {
  if (r.ok && (!('rewritten' in r) || r.rewritten)) return { status: 'OK', value: r.address };
  if (r.ok) return { status: 'NOTFOUND', value: r.reason };
  const reason = 'missing' in r && r.missing ? `${r.reason}/${r.missing}` : r.reason;
  return { status: PERM_REASONS.has(r.reason) ? 'PERM' : 'NOTFOUND', value: reason };
}

interface Outcome {
  name: string;
  skip?: string;
  passed: boolean;
  message: string;
}

function runSocketmapCase(group: string, index: number, c: StatelessCase): Outcome {
  const name = `${group}/${index}`;
  const skip = expectations.skip[name];
  if (c.op === undefined || c.address === undefined) {
    return { name, ...(skip ? { skip } : {}), passed: false, message: `${c.comment}: no address to run` };
  }
  const r = c.op === 'forward' ? srs.forward(c.address) : srs.reverse(c.address);
  const got = asReply(r);
  const want = c.status === 'OK' ? { status: 'OK', value: c.result } : { status: c.status, value: REASON_FOR_MESSAGE[c.message ?? ''] };
  const passed = got.status === want.status && got.value === want.value;
  return { name, ...(skip ? { skip } : {}), passed, message: `${c.comment}: ${c.op} ${c.address.slice(0, 80)} → ${JSON.stringify(got)}, want ${JSON.stringify(want)}` };
}

function runUnitCase(index: number, c: Vectors['unit_test_cases'][number]): Outcome {
  const r = c.op === 'forward' ? srs.forward(c.address) : srs.reverse(c.address);
  let passed: boolean;
  if (c.result !== undefined) passed = r.ok && r.address === c.result;
  else if (c.error === 'SRS_ENOSENDERATSIGN') passed = !r.ok && r.reason === 'no-domain';
  else if (c.error === 'SRS_ENOTSRSADDRESS') passed = !r.ok && r.reason === 'not-srs';
  else passed = false;
  return { name: `unit/${index}`, passed, message: `${c.op} ${c.address} → ${JSON.stringify(r)}, want ${c.result ?? c.error}` };
}

function runMilterCase(index: number, c: Vectors['milter_cases'][number]): Outcome {
  const problems: string[] = [];
  if (c.expected_new_from !== undefined) {
    const rcptDomain = (c.recipients[0] ?? '').split('@').pop() ?? '';
    const decision = shouldRewrite({ sender: c.envelope_from, recipientDomain: rcptDomain, localDomains: cfg.local_domains });
    const r = decision.rewrite ? srs.forward(c.envelope_from) : null;
    const got = r?.ok ? r.address : JSON.stringify({ decision, r });
    if (got !== c.expected_new_from) problems.push(`new from ${got}, want ${c.expected_new_from}`);
  }
  if (c.expected_new_rcpt !== undefined) {
    const got = c.recipients.map((rcpt) => {
      const r = srs.reverse(rcpt);
      return r.ok ? r.address : rcpt;
    });
    if (JSON.stringify(got) !== JSON.stringify(c.expected_new_rcpt)) problems.push(`new rcpt ${got.join(',')}, want ${c.expected_new_rcpt.join(',')}`);
  }
  return { name: `milter/${index}`, passed: problems.length === 0, message: problems.join('; ') };
}

/** Fuzz seeds: raw bytes as an address, both ways; must give a result, never throw. Expected results are ours. */
const SEED_EXPECT: Record<string, { reverse: string; forward: string }> = {
  empty: { reverse: 'not-srs', forward: 'no-domain' },
  malformed1: { reverse: 'malformed/hash', forward: 'no-domain' },
  malformed2: { reverse: 'malformed/timestamp', forward: 'no-domain' },
  malformed3: { reverse: 'malformed/host', forward: 'no-domain' },
  plain: { reverse: 'not-srs', forward: 'local-domain' },
  valid: { reverse: 'test@otherdomain.com', forward: 'local-domain' },
};

function runSeeds(): Outcome[] {
  const seedDir = new URL('fuzz-seeds/', dir);
  return readdirSync(seedDir).sort().map((file) => {
    const text = readFileSync(new URL(file, seedDir)).toString('latin1');
    const want = SEED_EXPECT[file];
    try {
      const rev = asReply(srs.reverse(text)).value;
      const fwd = asReply(srs.forward(text)).value;
      const passed = want !== undefined && rev === want.reverse && fwd === want.forward;
      return { name: `seed/${file}`, passed, message: `reverse → ${rev}, forward → ${fwd}; want ${JSON.stringify(want)}` };
    } catch (error) {
      return { name: `seed/${file}`, passed: false, message: `threw ${(error as Error).message}` };
    }
  });
}

void test('srs postsrsd vectors', async (t) => {
  const outcomes: Outcome[] = [
    ...vectors.stateless_cases.map((c, i) => runSocketmapCase('stateless', i, c)),
    ...vectors.database_cases.map((c, i) => runSocketmapCase('database', i, c)),
    ...vectors.milter_cases.map((c, i) => runMilterCase(i, c)),
    ...vectors.unit_test_cases.map((c, i) => runUnitCase(i, c)),
    ...runSeeds(),
  ];
  let passed = 0;
  let skipped = 0;
  let failed = 0;
  for (const o of outcomes) {
    if (o.skip !== undefined) {
      skipped++;
      if (o.passed) t.diagnostic(`skipped case now passes: ${o.name} — remove its skip`);
      await t.test(o.name, { skip: o.skip }, () => {});
      continue;
    }
    if (o.passed) passed++;
    else failed++;
    await t.test(o.name, () => assert.ok(o.passed, o.message));
  }
  const line = `srs postsrsd vectors: ${passed} passed, ${skipped} skipped, ${failed} failed`;
  t.diagnostic(line);
  console.log(line);
  assert.equal(vectors.stateless_cases.length, 29);
  assert.equal(failed, 0, line);
});
