import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, seededRandom } from './seeded-random.js';

void test('the mulberry32 sequence: fixed values for a seed, the same for the same seed, in [0, 1)', () => {
  const random = seededRandom(1);
  const first = [random(), random(), random()];
  // Pinned: interop expectation files name generated cases by index, so the sequence must never drift.
  assert.deepEqual(first.map((x) => Math.round(x * 2 ** 32)), [2693262067, 11749833, 2265367787]);
  const again = seededRandom(1);
  assert.deepEqual([again(), again(), again()], first);
  assert.notEqual(seededRandom(2)(), first[0]);
  const many = seededRandom(0xffff_ffff + 8); // taken modulo 2^32, like the seed 7
  assert.equal(many(), seededRandom(7)());
  for (let i = 0; i < 10_000; i++) {
    const x = random();
    assert.ok(x >= 0 && x < 1);
  }
});

void test('SeededRandom draws from the same sequence as seededRandom', () => {
  const plain = seededRandom(42);
  const random = new SeededRandom(42);
  assert.equal(random.next(), plain());
  assert.equal(random.int(0, 9), Math.floor(plain() * 10));
});

void test('int stays within [min, max] and reaches both ends; chance follows p', () => {
  const random = new SeededRandom(3);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(random.int(-2, 2));
  assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  assert.equal(random.chance(0), false);
  assert.equal(random.chance(1), true);
  let heads = 0;
  for (let i = 0; i < 10_000; i++) if (random.chance(0.25)) heads++;
  assert.ok(heads > 2200 && heads < 2800, `${heads} of 10000`);
});

void test('pick, shuffle, bytes and bits', () => {
  const random = new SeededRandom(11);
  const items = ['a', 'b', 'c'] as const;
  assert.ok(items.includes(random.pick(items)));
  assert.throws(() => random.pick([]), /empty list/);
  const list = [1, 2, 3, 4, 5, 6, 7, 8];
  const shuffled = random.shuffle(list);
  assert.equal(shuffled, list, 'in place');
  assert.deepEqual([...shuffled].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  const bytes = random.bytes(64);
  assert.equal(bytes.length, 64);
  assert.ok(new Set(bytes).size > 16);
  assert.equal(random.bits(0), 0n);
  for (const width of [1, 12, 32, 64, 100, 128]) assert.ok(random.bits(width) < 1n << BigInt(width), `${width} bits`);
});
