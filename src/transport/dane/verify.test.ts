// Verification against chains this test makes with openssl (TestPki): DANE-EE, DANE-TA (in chain, certificate
// from DNS, key from DNS), names and wildcards, dates, CA flags, and hostile input. No TLS connection needed.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.js';
import { TestPki, type TestCertificate } from '../../testing/test-pki.js';
import { tlsaDataFor } from './match.js';
import type { TlsaRecord } from './types.js';
import { verifyDaneChain } from './verify.js';

const pki = new TestPki();
after(() => pki.dispose());
const root = pki.createRoot('DANE Test Root');
const inter = pki.issue(root, { commonName: 'DANE Test Issuer', ca: true });
const leaf = pki.issue(inter, { dnsNames: ['mx.example.com', '*.mail.example.net'] });
const otherLeaf = pki.issue(inter, { dnsNames: ['other.example.org'] });
const notCa = pki.issue(root, { commonName: 'Not A CA' });
const underNotCa = pki.issue(notCa, { dnsNames: ['mx.example.com'] });
const chain = [leaf.der, inter.der, root.der];
const now = new ManualClock(Date.now());
const DAY = 86_400_000;

function record(usage: number, selector: 0 | 1, matchingType: 0 | 1 | 2, cert: TestCertificate): TlsaRecord {
  return { usage, selector, matchingType, data: tlsaDataFor(cert.x509, selector, matchingType) };
}
const verify = (certs: Buffer[], tlsa: TlsaRecord[], names = ['mx.example.com'], clock = now) =>
  verifyDaneChain(certs, tlsa, { referenceNames: names, clock });

test('DANE-EE matches the leaf with every selector and matching type', () => {
  for (const selector of [0, 1] as const) {
    for (const mt of [0, 1, 2] as const) {
      const result = verify(chain, [record(3, selector, mt, leaf)]);
      assert.ok(result.ok, `3 ${selector} ${mt}`);
      assert.equal(result.match, 'dane-ee');
      assert.equal(result.depth, 0);
    }
  }
});

test('DANE-EE ignores names and dates (RFC 7672 §3.1.1)', () => {
  const farFuture = new ManualClock(Date.now() + 400 * DAY);
  const result = verify([otherLeaf.der], [record(3, 1, 1, otherLeaf)], ['mx.example.com'], farFuture);
  assert.ok(result.ok);
  const checked = verifyDaneChain([otherLeaf.der], [record(3, 1, 1, otherLeaf)], { referenceNames: ['mx.example.com'], checkEeNames: true });
  assert.equal(checked.ok ? 'ok' : checked.reason, 'name-mismatch');
});

test('DANE-EE of another certificate does not match', () => {
  const result = verify(chain, [record(3, 1, 1, otherLeaf)]);
  assert.equal(result.ok ? 'ok' : result.reason, 'no-match');
  assert.equal(result.ok ? '' : result.failure, 'tlsa-invalid');
  assert.equal(result.depth, -1);
});

test('DANE-TA on the issuer or the root, in the chain', () => {
  const byIssuer = verify(chain, [record(2, 1, 1, inter)]);
  assert.ok(byIssuer.ok);
  assert.deepEqual([byIssuer.match, byIssuer.depth, byIssuer.matchedName], ['dane-ta', 1, 'mx.example.com']);
  const byRoot = verify(chain, [record(2, 0, 2, root)]);
  assert.ok(byRoot.ok);
  assert.equal(byRoot.depth, 2);
  const both = verify(chain, [record(2, 0, 1, root), record(2, 1, 2, inter)]);
  assert.equal(both.depth, 1, 'the anchor nearest the leaf wins');
});

test('DANE-TA never matches the leaf itself', () => {
  const result = verify(chain, [record(2, 1, 1, leaf)]);
  assert.equal(result.ok ? 'ok' : result.reason, 'no-match');
});

test('DANE-TA anchor published in DNS: full certificate or bare key, server sends only the leaf', () => {
  const cert = verify([leaf.der], [record(2, 0, 0, inter)]);
  assert.ok(cert.ok);
  assert.equal(cert.depth, 1);
  const key = verify([leaf.der], [record(2, 1, 0, inter)]);
  assert.ok(key.ok);
  assert.equal(key.depth, 0, 'a key anchor matches at the depth of the certificate it signed');
  const rootKey = verify([leaf.der, inter.der], [record(2, 1, 0, root)]);
  assert.ok(rootKey.ok);
  assert.equal(rootKey.depth, 1);
  const missing = verify([leaf.der], [record(2, 1, 1, inter)]);
  assert.equal(missing.ok ? 'ok' : missing.reason, 'no-match', 'a digest cannot stand in for a missing issuer');
});

test('DANE-TA checks the leaf name against every reference name, with one-label wildcards', () => {
  assert.equal(verify(chain, [record(2, 1, 1, inter)], ['other.example.com']).ok, false);
  const mismatch = verify(chain, [record(2, 1, 1, inter)], ['other.example.com']);
  assert.deepEqual(mismatch.ok ? [] : [mismatch.reason, mismatch.failure, mismatch.depth], ['name-mismatch', 'certificate-host-mismatch', 1]);
  const second = verify(chain, [record(2, 1, 1, inter)], ['target.example.org', 'mx.example.com']);
  assert.ok(second.ok);
  assert.equal(second.matchedName, 'mx.example.com');
  assert.ok(verify(chain, [record(2, 1, 1, inter)], ['smtp.mail.example.net']).ok);
  assert.equal(verify(chain, [record(2, 1, 1, inter)], ['a.smtp.mail.example.net']).ok, false, 'wildcard spans one label');
  assert.equal(verify(chain, [record(2, 1, 1, inter)], ['mail.example.net']).ok, false, 'wildcard needs a label');
  assert.equal(verify(chain, [record(2, 1, 1, inter)], []).ok, false);
});

test('DANE-TA checks dates below the anchor', () => {
  const expired = verify(chain, [record(2, 1, 1, inter)], ['mx.example.com'], new ManualClock(Date.now() + 60 * DAY));
  assert.deepEqual(expired.ok ? [] : [expired.reason, expired.failure], ['cert-expired', 'certificate-expired']);
  const early = verify(chain, [record(2, 1, 1, inter)], ['mx.example.com'], new ManualClock(Date.now() - 2 * DAY));
  assert.equal(early.ok ? 'ok' : early.reason, 'cert-not-yet-valid');
});

test('DANE-TA refuses a path through a certificate that is not a CA', () => {
  // OpenSSL's issuer check already refuses a non-CA issuer (its keyUsage lacks keyCertSign), so no path exists.
  const result = verify([underNotCa.der, notCa.der], [record(2, 1, 1, root)]);
  assert.ok(!result.ok && (result.reason === 'no-match' || result.reason === 'not-a-ca'), JSON.stringify(result));
});

test('presented order does not matter; junk and duplicates are tolerated', () => {
  const result = verify([leaf.der, root.der, otherLeaf.der, inter.der, inter.der], [record(2, 0, 1, root)]);
  assert.ok(result.ok);
  assert.equal(result.depth, 2);
});

test('PKIX usages are ignored under the SMTP profile', () => {
  const result = verify(chain, [record(1, 1, 1, leaf), record(0, 1, 1, root)]);
  assert.equal(result.ok ? 'ok' : result.reason, 'no-usable-tlsa');
});

test('hostile input: empty chain, bad DER, bad records, huge chains', () => {
  assert.equal(verify([], [record(3, 1, 1, leaf)]).ok ? 'ok' : 'failed', 'failed');
  const empty = verify([], [record(3, 1, 1, leaf)]);
  assert.equal(empty.ok ? '' : empty.reason, 'empty-chain');
  const bad = verify([Buffer.from('not a certificate')], [record(3, 1, 1, leaf)]);
  assert.equal(bad.ok ? '' : bad.reason, 'bad-certificate');
  const malformed = verify(chain, [{ usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(3) }]);
  assert.equal(malformed.ok ? '' : malformed.reason, 'no-usable-tlsa');
  const many = Array.from({ length: 200 }, () => inter.der);
  const started = Date.now();
  const result = verify([leaf.der, ...many, root.der], [record(2, 1, 1, root)]);
  assert.equal(result.ok ? 'ok' : result.reason, 'no-match', 'the root is past the 16 certificates looked at');
  assert.ok(verify([leaf.der, ...many], [record(2, 1, 1, inter)]).ok);
  assert.ok(Date.now() - started < 2000, 'bounded work');
});
