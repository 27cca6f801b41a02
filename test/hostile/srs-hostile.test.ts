// Hostile input to SRS: random bytes, huge values, NULs, near-miss SRS shapes, the PostSRSd fuzz seeds.
// Every call must return a result (never throw) and never put a control character in an address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { createSrs } from '../../src/auth/srs/index.js';

const srs = createSrs({ secrets: ['tops3cr3t', 'older'], domain: 'example.com', clock: new ManualClock(1577836860_000) });
const SEEDS = new URL('../../../shared/conformance/srs-postsrsd/fuzz-seeds/', import.meta.url);

function check(input: string): void {
  for (const r of [srs.forward(input), srs.reverse(input)]) {
    if (r.ok) assert.doesNotMatch(r.address, /[\u0000-\u0020\u007f]/, JSON.stringify(input));
    else assert.ok(typeof r.reason === 'string' && r.detail.length > 0);
  }
}

test('fuzz seeds and mutations of them never throw', () => {
  const seeds = readdirSync(SEEDS).map((f) => readFileSync(new URL(f, SEEDS)).toString('latin1'));
  assert.equal(seeds.length, 6);
  const chars = ['=', '+', '-', '@', '\u0000', '\n', ' ', 'é', '"', '\\', 'S', 'R', '0', '1'];
  let n = 0;
  for (const seed of seeds) {
    check(seed);
    for (let i = 0; i <= seed.length; i++) {
      for (const c of chars) {
        check(seed.slice(0, i) + c + seed.slice(i));
        check(seed.slice(0, i) + c + seed.slice(i + 1));
        n += 2;
      }
      check(seed.slice(0, i));
    }
  }
  assert.ok(n > 1000);
});

test('random bytes, huge inputs and pathological separators', () => {
  for (let i = 0; i < 2000; i++) check(randomBytes(1 + (i % 80)).toString('latin1'));
  check('SRS0=' + '='.repeat(100_000));
  check('SRS1=' + 'a='.repeat(50_000) + '@x');
  check('x'.repeat(1_000_000) + '@other.example');
  check('SRS0=\u0000\u0000=2W=h=u@example.com');
  check('SRS0=vmyz=2W=otherdomain.com=te\u0000st@example.com');
  const huge = srs.reverse('SRS0=' + 'a'.repeat(1_000_000));
  assert.equal(!huge.ok && huge.reason, 'too-long');
});

test('a valid address with a NUL or CRLF spliced in is not accepted', () => {
  const good = 'SRS0=XjO9=2V=otherdomain.com=test@example.com';
  assert.equal(srs.reverse(good).ok, true);
  for (const bad of [good.replace('test', 'te\r\nst'), good.replace('test', 'test\u0000'), `${good}\u0000`]) {
    assert.equal(srs.reverse(bad).ok, false, JSON.stringify(bad));
  }
});
