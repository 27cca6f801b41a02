import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeField } from '../../core/message/headers.js';
import { aarInstanceTag, arcResultOf, authservIdOf, collectAuthResults, splitAuthResults, viewAar } from './aar.js';

const field = (text: string) => makeField(Buffer.from(text, 'latin1'));

test('splitAuthResults splits at top-level semicolons only, unfolds, drops empty results', () => {
  assert.deepEqual(splitAuthResults(' mx.example;\r\n spf=pass (a; b) smtp.mailfrom="x;y"@example.com;;\r\n\tdkim=pass  header.d=example.com;'), [
    'mx.example',
    'spf=pass (a; b) smtp.mailfrom="x;y"@example.com',
    'dkim=pass header.d=example.com',
  ]);
  assert.deepEqual(splitAuthResults('mx.example (comment (nested; deep)); arc=none'), ['mx.example (comment (nested; deep))', 'arc=none']);
});

test('authservIdOf reads the first word, without comments or version', () => {
  assert.equal(authservIdOf(' (c) mx.example 1; spf=pass'), 'mx.example');
  assert.equal(authservIdOf('  ; spf=pass'), undefined);
});

test('collectAuthResults merges every A-R with the authserv-id, in order, skipping none and other ids (NOTES ar_merged)', () => {
  const fields = [
    field('Authentication-Results: MX.example; arc=none'),
    field('Authentication-Results: other.example; spf=fail'),
    field('Authentication-Results: mx.example; spf=pass smtp.mfrom=a@b.example;\r\n dkim=pass'),
    field('Authentication-Results: mx.example; none'),
    field('Received: by mx.example; Mon, 1 Jan 2024'),
  ];
  assert.deepEqual(collectAuthResults(fields, 'mx.example'), ['arc=none', 'spf=pass smtp.mfrom=a@b.example', 'dkim=pass']);
  assert.equal(arcResultOf(collectAuthResults(fields, 'mx.example')), 'none');
  assert.equal(arcResultOf(['spf=pass', 'ARC = Pass (x)']), 'pass');
  assert.equal(arcResultOf(['spf=pass']), undefined);
});

test('aarInstanceTag wants i= first, followed by a semicolon (RFC 8617 §4.1.1)', () => {
  assert.equal(aarInstanceTag(field('ARC-Authentication-Results: i=2; mx.example; spf=pass')), '2');
  assert.equal(aarInstanceTag(field('ARC-Authentication-Results:\r\n i = 3 ; mx.example')), '3');
  assert.equal(aarInstanceTag(field('ARC-Authentication-Results: mx.example; i=1; spf=pass')), undefined);
  assert.equal(aarInstanceTag(field('ARC-Authentication-Results: i=1 mx.example; spf=pass')), undefined);
});

test('viewAar parses results when it can and keeps the raw text', () => {
  const good = viewAar(field('ARC-Authentication-Results: i=1; mx.example;\r\n spf=pass smtp.mailfrom=example.com'));
  assert.equal(good.authservId, 'mx.example');
  assert.equal(good.results?.[0]?.method, 'spf');
  assert.equal(good.raw, 'i=1; mx.example; spf=pass smtp.mailfrom=example.com');
  const bad = viewAar(field('ARC-Authentication-Results: i=1; mx.example; spf=(open'));
  assert.equal(bad.authservId, 'mx.example');
  assert.equal(bad.results, undefined);
  assert.ok(bad.parseError);
});
