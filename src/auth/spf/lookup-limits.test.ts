import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { SpfLookupBudget, MAX_QUERIES } from './lookup-limits.js';

void test('SpfLookupBudget counts terms, void answers and queries', async () => {
  const z = new ZoneResolver({ 'a.example': [{ A: '192.0.2.1' }], 'b.example': [{ TXT: 'x' }] });
  const b = new SpfLookupBudget(z, 2, 1);
  assert.equal(b.chargeTerm(), undefined);
  assert.equal(b.chargeTerm(), undefined);
  assert.equal(b.chargeTerm(), 'lookup-limit');
  assert.equal(b.terms, 3);
  await b.resolve('a.example', 'A', true);
  assert.equal(b.voids, 0);
  await b.resolve('b.example', 'A', true); // NODATA
  await b.resolve('c.example', 'A', false); // NXDOMAIN, not counted
  assert.equal(b.voids, 1);
  assert.equal(b.voidExceeded, false);
  await b.resolve('c.example', 'A', true);
  assert.equal(b.voidExceeded, true);
  assert.equal(b.queries, 4);
  assert.deepEqual(z.calls.map((c) => c.name), ['a.example', 'b.example', 'c.example', 'c.example']);
});

void test('the query backstop answers servfail without asking', async () => {
  const z = new ZoneResolver({});
  const b = new SpfLookupBudget(z);
  for (let i = 0; i < MAX_QUERIES; i++) await b.resolve('x.example', 'A', false);
  const answer = await b.resolve('x.example', 'A', false);
  assert.equal(answer.kind, 'error');
  assert.equal(z.calls.length, MAX_QUERIES);
});
