// OpenSSL's DANE test data (danetest.in, dane-cross.in; shared/conformance/dane-openssl, NOTES.md "DANE"):
// each block gives TLSA records, a presented chain, whether DANE-EE skips name checks, the expected
// X509_V_ERR code and the expected match depth. Runs verifyDaneChain with the generic profile (PKIX usages
// honoured against the block's trust store) and prints `dane openssl: N passed, M skipped, K failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import { parseTlsaText, verifyDaneChain, type DaneVerifyFailure, type TlsaRecord } from '../../src/transport/dane/index.js';

const ROOT = new URL('../../../shared/conformance/dane-openssl/', import.meta.url);
const readText = (name: string): string => readFileSync(new URL(name, ROOT), 'utf8');
const expectations = JSON.parse(readFileSync(new URL('./dane-expectations.json', import.meta.url), 'utf8')) as { skip: Record<string, string> };

/** OpenSSL X509_V_ERR codes the data uses, and the reason our verifier gives for each. */
const X509_V_ERR: Readonly<Record<number, DaneVerifyFailure | 'ok'>> = {
  0: 'ok',
  20: 'issuer-not-found',
  62: 'name-mismatch',
  65: 'no-match',
};

interface DaneCase {
  id: string;
  line: number;
  noNameChecks: boolean;
  expectedCode: number;
  expectedDepth: number;
  tlsa: TlsaRecord[];
  chain: X509Certificate[];
}

/** Parses the block format of danetest.in (NOTES.md "File format"). Throws on malformed data: it is ours. */
function parseCases(file: string, prefix: string): DaneCase[] {
  const lines = readText(file).split('\n');
  const cases: DaneCase[] = [];
  let i = 0;
  const next = (): { text: string; line: number } | undefined => {
    while (i < lines.length) {
      const text = (lines[i] as string).trim();
      i++;
      if (text !== '' && !text.startsWith('#')) return { text, line: i };
    }
    return undefined;
  };
  for (let header = next(); header !== undefined; header = next()) {
    const fields = header.text.split(/\s+/).map(Number);
    assert.equal(fields.length, 5, `${file}:${header.line}: header`);
    const [tlsaCount, certCount, noNames, code, depth] = fields as [number, number, number, number, number];
    const tlsa: TlsaRecord[] = [];
    for (let t = 0; t < tlsaCount; t++) {
      const line = next();
      const parsed = parseTlsaText(line?.text ?? '');
      assert.ok(parsed.ok, `${file}:${line?.line}: TLSA`);
      tlsa.push(parsed.value);
    }
    const chain: X509Certificate[] = [];
    while (chain.length < certCount) {
      const line = next();
      assert.ok(line, `${file}: missing certificate`);
      if (!line.text.startsWith('-----BEGIN CERTIFICATE-----')) continue; // subject=/issuer=/dates info lines
      const pem: string[] = [line.text];
      for (let l = next(); l !== undefined; l = next()) {
        pem.push(l.text);
        if (l.text.startsWith('-----END CERTIFICATE-----')) break;
      }
      chain.push(new X509Certificate(pem.join('\n')));
    }
    cases.push({
      id: `${prefix}#${cases.length + 1}`,
      line: header.line,
      noNameChecks: noNames === 1,
      expectedCode: code,
      expectedDepth: depth,
      tlsa,
      chain,
    });
  }
  return cases;
}

const suites = [
  { file: 'danetest.in', prefix: 'danetest', baseDomain: 'example.com', store: 'danetest.pem' },
  { file: 'dane-cross.in', prefix: 'dane-cross', baseDomain: 'server.example', store: 'cross-root.pem' },
];
// A fixed time inside every chain's validity (the data's certificates run 2015/2016/2021 to 2116/3015).
const clock = new ManualClock(Date.UTC(2024, 0, 1));

test('OpenSSL DANE test data (danetest.in, dane-cross.in)', () => {
  let passed = 0;
  let skipped = 0;
  const failures: string[] = [];
  const nowPassing: string[] = [];
  for (const suite of suites) {
    const anchors = [new X509Certificate(readText(suite.store))];
    for (const c of parseCases(suite.file, suite.prefix)) {
      const skip = expectations.skip[c.id];
      const result = verifyDaneChain(c.chain, c.tlsa, {
        referenceNames: [suite.baseDomain],
        checkEeNames: !c.noNameChecks,
        profile: 'generic',
        pkixAnchors: anchors,
        clock,
      });
      const expected = X509_V_ERR[c.expectedCode];
      const got = result.ok ? 'ok' : result.reason;
      const ok = got === expected && result.depth === c.expectedDepth;
      if (skip !== undefined) {
        skipped++;
        if (ok) nowPassing.push(c.id);
        continue;
      }
      if (ok) passed++;
      else failures.push(`${c.id} (${suite.file}:${c.line}): expected ${expected ?? c.expectedCode} depth ${c.expectedDepth}, got ${got} depth ${result.depth}${result.ok ? '' : ` (${result.detail})`}`);
    }
  }
  console.log(`dane openssl: ${passed} passed, ${skipped} skipped, ${failures.length} failed`);
  for (const id of nowPassing) console.log(`dane openssl: skipped case ${id} now passes: remove it from dane-expectations.json`);
  assert.deepEqual(failures, []);
  assert.equal(passed + skipped, 55, 'the data holds 55 cases (NOTES.md)');
});
