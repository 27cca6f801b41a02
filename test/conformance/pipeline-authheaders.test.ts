// The two authheaders DMARC cases that verify a signed message (`test_authenticate_dmarc`,
// `test_authenticate_dmarc_comma`), run through the real pipeline: the DKIM signature is verified by
// src/auth/dkim against the case's key (messages/test.txt), not taken from the expected header as
// test/conformance/dmarc-authheaders.test.ts does for them (its PIPELINE_PENDING list). The cases run
// with `spf: false`: no SPF record exists for the domain, so SPF is none and cannot align. Compared:
// dkim=<result> with header.d, and dmarc=<result>, header.from and policy.dmarc (comments are authheaders
// wording and are ignored). RFC 7489 mode with the shipped PSL, as authheaders runs these cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAuthenticationResults, type AuthResultEntry } from '../../src/auth/auth-results/index.js';
import { verifyMessage } from '../../src/auth/pipeline/index.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import type { ZoneData } from '../../src/testing/zone.js';

/** The cases dmarc-authheaders.test.ts feeds stated DKIM results (its PIPELINE_PENDING; not imported, which
 * would run that file's tests here too). */
const PIPELINE_PENDING = ['test_authenticate_dmarc', 'test_authenticate_dmarc_comma'];

const DIR = new URL('../../../shared/conformance/dmarc-eval-authheaders/', import.meta.url);

interface Case {
  name: string;
  message: string;
  authserv_id: string;
  options: { spf?: boolean; dkim?: boolean; dmarcbis?: boolean };
  expected_authentication_results: string;
}

/** The case DNS: TXT values, and `{file}` entries (the DKIM key) read from the suite. */
function zoneFrom(dns: Record<string, unknown>): ZoneData {
  const zone: ZoneData = {};
  for (const [raw, value] of Object.entries(dns)) {
    const name = raw.replace(/\.$/, '');
    if (typeof value === 'object' && value !== null && 'file' in value) {
      zone[name] = [{ TXT: readFileSync(new URL(String((value as { file: string }).file), DIR), 'utf8').trim() }];
    } else if (typeof value === 'string' && value !== '' && (name.startsWith('_dmarc.') || name.includes('._domainkey.'))) {
      zone[name] = [{ TXT: value }];
    }
  }
  return zone;
}

function props(entry: AuthResultEntry | undefined, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (entry === undefined) return out;
  out[entry.method] = entry.result;
  for (const p of entry.props) if (keys.includes(`${p.ptype}.${p.property}`)) out[`${p.ptype}.${p.property}`] = p.value;
  return out;
}

test('pipeline authheaders (signed-message cases verified for real)', async (t) => {
  const data = JSON.parse(readFileSync(new URL('authheaders-cases.json', DIR), 'utf8')) as { dns: Record<string, unknown>; cases: Case[] };
  const cases = data.cases.filter((c) => PIPELINE_PENDING.includes(c.name));
  assert.equal(cases.length, 2, 'both pipeline cases are in the suite');
  const zone = zoneFrom(data.dns);
  let passed = 0;
  for (const c of cases) {
    const raw = readFileSync(new URL(c.message, DIR));
    const message = raw.includes('\r\n') ? raw : Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    const result = await verifyMessage(message, {
      ip: '192.0.2.1',
      helo: 'localhost.example',
      mailFrom: 'test@example.com',
      resolver: new ZoneResolver(zone),
      authservId: c.authserv_id,
      mode: c.options.dmarcbis ? 'rfc9989' : 'rfc7489',
      // The signatures carry t= from 2018 and 2021 and no x=: any current time verifies them.
    });
    const ours = parseAuthenticationResults(result.authenticationResults.replace(/^Authentication-Results:/, ''));
    const expected = parseAuthenticationResults(c.expected_authentication_results.replace(/^Authentication-Results:/, ''));
    assert.ok(ours.ok && expected.ok);
    const pick = (r: AuthResultEntry[], method: string) => r.find((e) => e.method === method);
    const dkimKeys = ['header.d'];
    const dmarcKeys = ['header.from', 'policy.dmarc'];
    const mismatches: string[] = [];
    for (const [method, keys] of [['dkim', dkimKeys], ['dmarc', dmarcKeys]] as const) {
      const want = props(pick(expected.value.results, method), keys);
      const got = props(pick(ours.value.results, method), keys);
      for (const [k, v] of Object.entries(want)) if (got[k] !== v) mismatches.push(`${k}: expected ${v}, got ${got[k] ?? '(absent)'}`);
    }
    if (mismatches.length === 0) passed++;
    await t.test(c.name, () => {
      assert.equal(result.dkim.signatures[0]?.result, 'pass', result.dkim.signatures[0]?.detail);
      assert.equal(result.spf.result, 'none', 'spf: false — no SPF record');
      assert.deepEqual(mismatches, [], result.authenticationResults);
    });
  }
  t.after(() => console.log(`pipeline authheaders: ${passed} passed, 0 skipped, ${cases.length - passed} failed (DKIM verified by the pipeline)`));
});
