import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { evaluateDmarc } from './evaluate.js';
import { formatAuthResultsDmarc } from './format.js';

void test('Authentication-Results entries', async () => {
  const resolver = new ZoneResolver({ '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; t=y' }] });
  const pass = await evaluateDmarc({ fromDomain: 'example.com', dkim: [{ result: 'pass', domain: 'example.com' }] }, { resolver });
  assert.equal(formatAuthResultsDmarc(pass), 'dmarc=pass (p=reject dis=none t=y) header.from=example.com policy.dmarc=quarantine');
  const fail = await evaluateDmarc({ fromDomain: 'example.com' }, { resolver });
  assert.equal(formatAuthResultsDmarc(fail), 'dmarc=fail (p=reject dis=quarantine t=y) header.from=example.com policy.dmarc=quarantine');
  const none = await evaluateDmarc({ fromDomain: 'example.net' }, { resolver });
  assert.equal(formatAuthResultsDmarc(none), 'dmarc=none (no-record) header.from=example.net');
  const noFrom = await evaluateDmarc({ from: ['"Test User"'] }, { resolver });
  assert.equal(formatAuthResultsDmarc(noFrom), 'dmarc=permerror (no-author-domain) header.from=none policy.dmarc=none');
  const arc = await evaluateDmarc({ fromDomain: 'example.com', arc: { result: 'pass' } }, { resolver });
  assert.match(formatAuthResultsDmarc(arc), /\(p=reject dis=quarantine t=y arc=pass\)/);
});
