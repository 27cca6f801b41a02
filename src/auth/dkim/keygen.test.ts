import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDkimKey, planDkimRotation, splitCharacterStrings, zoneLine } from './keygen.js';
import { parseDkimKeyRecord, loadPublicKey } from './key-record.js';

test('RSA keys: 2048 bits by default, SPKI p=, record split into 255-octet strings', () => {
  const key = generateDkimKey({ type: 'rsa', domain: 'example.com', selector: 'sel' });
  assert.equal(key.dnsName, 'sel._domainkey.example.com');
  assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.ok(key.txtStrings.length === 2 && key.txtStrings.every((s) => s.length <= 255));
  assert.equal(key.txtStrings.join(''), key.txtRecord);
  const record = parseDkimKeyRecord(key.txtRecord);
  assert.ok(record.ok);
  const loaded = loadPublicKey(record.value);
  assert.ok(loaded.ok && loaded.bits === 2048);
  assert.match(key.zoneLine, /^sel\._domainkey\.example\.com\. 3600 IN TXT \( "v=DKIM1; k=rsa; p=.*" ".*" \)$/);
});

test('Ed25519 keys publish the raw 32-octet key (RFC 8463 §4)', () => {
  const key = generateDkimKey({ type: 'ed25519', domain: 'example.com', selector: 'ed' });
  assert.equal(Buffer.from(key.publicKeyBase64, 'base64').length, 32);
  assert.equal(key.txtRecord, `v=DKIM1; k=ed25519; p=${key.publicKeyBase64}`);
  assert.equal(key.txtStrings.length, 1);
});

test('bad requests throw DkimError codes', () => {
  assert.throws(() => generateDkimKey({ type: 'rsa', bits: 512, domain: 'example.com', selector: 's' }), { code: 'bad-key-size' });
  assert.throws(() => generateDkimKey({ type: 'rsa', domain: 'not a domain', selector: 's' }), { code: 'bad-domain' });
  assert.throws(() => generateDkimKey({ type: 'dsa' as 'rsa', domain: 'example.com', selector: 's' }), { code: 'bad-key-type' });
});

test('character-string splitting and zone lines', () => {
  assert.deepEqual(splitCharacterStrings('a'.repeat(300)).map((s) => s.length), [255, 45]);
  assert.equal(zoneLine('s._domainkey.example.com', ['v=DKIM1; p="x"']), 's._domainkey.example.com. 3600 IN TXT "v=DKIM1; p=\\"x\\""');
});

test('rotation plan: publish new, switch, revoke old with empty p=, remove old', () => {
  const plan = planDkimRotation({ domain: 'example.com', currentSelector: 'a', newSelector: 'b', newTxtRecord: 'v=DKIM1; k=ed25519; p=AAAA', ttlSeconds: 600 });
  assert.deepEqual(plan.steps.map((s) => s.action), ['publish-new', 'switch-signing', 'revoke-old', 'remove-old']);
  assert.deepEqual(plan.steps[0]?.publish.map((r) => [r.name, r.txt]), [['b._domainkey.example.com', 'v=DKIM1; k=ed25519; p=AAAA']]);
  assert.equal(plan.steps[0]?.waitSeconds, 1200);
  assert.equal(plan.steps[2]?.publish[0]?.txt, 'v=DKIM1; k=rsa; p=');
  assert.deepEqual(plan.steps[3]?.remove, [{ name: 'a._domainkey.example.com' }]);
  assert.throws(() => planDkimRotation({ domain: 'example.com', currentSelector: 'a', newSelector: 'A', newTxtRecord: 'x' }), { code: 'same-selector' });
});
