import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArcInstance, ArcValidationResult } from '../arc/index.js';
import type { DmarcResult } from '../dmarc/index.js';
import { parseAuthenticationResults } from '../auth-results/index.js';
import { evaluateTrustedArc, normalizeSealers } from './arc-policy.js';

const checked = { result: 'pass' as const, reason: 'verified' as const, detail: '' };

function instance(i: number, domain: string, aar: string): ArcInstance {
  const parsed = parseAuthenticationResults(`mx.${domain}; ${aar}`);
  assert.ok(parsed.ok);
  return { instance: i, domain, selector: 'arc', cv: i === 1 ? 'none' : 'pass', amsDomain: domain, amsSelector: 'arc', aar: { authservId: `mx.${domain}`, results: parsed.value.results, raw: aar }, amsResult: checked, asResult: checked };
}

function chain(cv: 'pass' | 'fail' | 'none', instances: ArcInstance[]): ArcValidationResult {
  return { cv, reason: cv === 'pass' ? 'verified' : cv === 'none' ? 'no-arc-sets' : 'seal-invalid', detail: '', instances, warnings: [], ...(cv === 'pass' ? { oldestPass: 0 } : {}) };
}

const failed = { result: 'fail', disposition: 'reject' } as DmarcResult;
const trusted = normalizeSealers(['Fabrikam.Example.', 'lists.example']);

void test('a trusted newest sealer whose AAR shows a pass overrides a DMARC fail', () => {
  const decision = evaluateTrustedArc(chain('pass', [instance(1, 'fabrikam.example', 'spf=pass smtp.mailfrom=a@contoso.example; dkim=pass header.d=contoso.example header.b=abc; dmarc=pass header.from=contoso.example')]), failed, trusted);
  assert.equal(decision.applied, true);
  assert.equal(decision.reason, 'arc-trusted-forwarder');
  assert.equal(decision.instance, 1);
  assert.equal(decision.sealer, 'fabrikam.example');
  assert.deepEqual(decision.evidence, ['dmarc=pass header.from=contoso.example', 'dkim=pass header.d=contoso.example', 'spf=pass smtp.mailfrom=a@contoso.example']);
});

void test('each condition that keeps the policy from applying has its own reason', () => {
  const good = chain('pass', [instance(1, 'fabrikam.example', 'spf=pass smtp.mailfrom=a@contoso.example')]);
  assert.equal(evaluateTrustedArc(good, { result: 'pass' } as DmarcResult, trusted).reason, 'dmarc-not-failed');
  assert.equal(evaluateTrustedArc(good, { result: 'temperror' } as DmarcResult, trusted).reason, 'dmarc-not-failed');
  assert.equal(evaluateTrustedArc(good, failed, new Set()).reason, 'no-trusted-sealers');
  assert.equal(evaluateTrustedArc({ ...good, cv: 'fail' }, failed, trusted).reason, 'chain-not-pass');
  assert.equal(evaluateTrustedArc(chain('none', []), failed, trusted).reason, 'chain-not-pass');
  const untrusted = chain('pass', [instance(1, 'evil.example', 'dmarc=pass header.from=contoso.example')]);
  assert.equal(evaluateTrustedArc(untrusted, failed, trusted).reason, 'sealer-not-trusted');
  const nothing = chain('pass', [instance(1, 'fabrikam.example', 'spf=fail smtp.mailfrom=a@contoso.example; dkim=fail header.d=contoso.example; dmarc=fail')]);
  const decision = evaluateTrustedArc(nothing, failed, trusted);
  assert.equal(decision.reason, 'no-pass-in-aar');
  assert.equal(decision.applied, false);
});

void test('older instances count only while their sealers are trusted too (RFC 8617 §7.2)', () => {
  // lists.example (i=2, trusted) saw a broken message; fabrikam.example (i=1, trusted) saw it pass.
  const trustedRun = chain('pass', [instance(1, 'fabrikam.example', 'dkim=pass header.d=contoso.example'), instance(2, 'lists.example', 'dkim=fail header.d=contoso.example')]);
  const decision = evaluateTrustedArc(trustedRun, failed, trusted);
  assert.equal(decision.applied, true);
  assert.equal(decision.instance, 1);
  assert.deepEqual(decision.trustedInstances, [2, 1]);
  // An untrusted sealer in between ends the walk: i=1's pass is not believed.
  const broken = chain('pass', [instance(1, 'fabrikam.example', 'dkim=pass header.d=contoso.example'), instance(2, 'evil.example', 'none'), instance(3, 'lists.example', 'dkim=fail')]);
  const no = evaluateTrustedArc(broken, failed, trusted);
  assert.equal(no.reason, 'no-pass-in-aar');
  assert.deepEqual(no.trustedInstances, [3]);
});
