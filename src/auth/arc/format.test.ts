import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTagList } from '../dkim/index.js';
import { formatAuthResultsArc, layoutAar, layoutSignedField } from './format.js';
import type { ArcValidationResult } from './types.js';

const tags = [
  ['a', 'rsa-sha256'],
  ['b', ''],
  ['bh', 'KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ='],
  ['c', 'relaxed/relaxed'],
  ['d', 'example.org'],
  ['h', 'mime-version:date:from:to:subject:message-id:reply-to:cc:content-type:content-transfer-encoding'],
  ['i', '1'],
  ['s', 'dummy'],
  ['t', '12345'],
] as const;
const signature = 'A'.repeat(340) + '==';

/** The b= region blanked, as a verifier does it (RFC 6376 §3.7). */
function blank(field: string): string {
  const colon = field.indexOf(':') + 1;
  const parsed = parseTagList(field.slice(colon));
  assert.ok(parsed.ok);
  const b = parsed.value.byName.get('b') as { valueStart: number; valueEnd: number };
  return field.slice(0, colon + b.valueStart) + field.slice(colon + b.valueEnd);
}

for (const fold of [false, true]) {
  test(`layoutSignedField (fold: ${fold}): the unsigned form is the complete form with b= removed`, () => {
    const layout = layoutSignedField('ARC-Message-Signature', tags, fold);
    const complete = layout.complete(signature);
    assert.equal(blank(complete), layout.unsigned);
    const parsed = parseTagList(complete.slice(complete.indexOf(':') + 1));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.byName.get('b')?.value.replace(/\s+/g, ''), signature);
    assert.equal(parsed.value.tags.length, tags.length);
    if (fold) for (const line of complete.split('\r\n')) assert.ok(line.length <= 78, `${line.length}: ${line}`);
    else assert.ok(!complete.includes('\r\n'));
  });
}

test('layoutSignedField standardized: tags in the order given, "; " between them', () => {
  const layout = layoutSignedField('ARC-Seal', [['a', 'rsa-sha256'], ['b', ''], ['cv', 'none']], false);
  assert.equal(layout.unsigned, 'ARC-Seal: a=rsa-sha256; b=; cv=none');
  assert.equal(layout.complete('XYZ='), 'ARC-Seal: a=rsa-sha256; b=XYZ=; cv=none');
});

test('layoutAar: i=N; authserv-id; results, or none', () => {
  assert.equal(layoutAar(2, 'mx.example', ['spf=pass', 'dkim=pass\r\n  header.d=x'], false), 'ARC-Authentication-Results: i=2; mx.example; spf=pass; dkim=pass header.d=x');
  assert.equal(layoutAar(1, 'mx.example', [], true), 'ARC-Authentication-Results: i=1; mx.example;\r\n none');
});

test('formatAuthResultsArc', () => {
  const base: ArcValidationResult = { cv: 'none', reason: 'no-arc-sets', detail: '', instances: [], warnings: [] };
  assert.equal(formatAuthResultsArc(base), 'arc=none');
  assert.equal(formatAuthResultsArc({ ...base, cv: 'fail', reason: 'seal-invalid', failedInstance: 2 }), 'arc=fail (seal-invalid i=2)');
  const instance = { instance: 2, domain: 'example.org' } as ArcValidationResult['instances'][number];
  assert.equal(formatAuthResultsArc({ ...base, cv: 'pass', reason: 'verified', oldestPass: 0, instances: [instance] }), 'arc=pass (i=2 d=example.org)');
  assert.equal(formatAuthResultsArc({ ...base, cv: 'pass', reason: 'verified', oldestPass: 2, instances: [instance] }), 'arc=pass (i=2 d=example.org) header.oldest-pass=2');
});
