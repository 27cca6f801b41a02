// One contract for every MtaStsPolicyCache: the in-memory cache and the JSON-file cache answer alike.
// Then what only the file cache does: survive a restart, write atomically, shrug off a corrupt file.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMtaStsCache, type CachedMtaStsPolicy, type MtaStsPolicyCache } from '../../src/transport/mta-sts/index.js';
import { JsonFileMtaStsCache } from '../../src/adapters/mta-sts-cache/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-sts-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const entry = (domain: string, id = 'one'): CachedMtaStsPolicy => ({
  domain,
  id,
  policy: { version: 'STSv1', mode: 'enforce', mx: ['mx.example.com', '*.example.net'], maxAge: 86400, extensions: [{ name: 'x', value: 'y' }] },
  fetchedAt: 1_700_000_000_000,
  expiresAt: 1_700_086_400_000,
});

const implementations: [string, (maxEntries?: number) => MtaStsPolicyCache][] = [
  ['MemoryMtaStsCache', (maxEntries) => new MemoryMtaStsCache(maxEntries)],
  ['JsonFileMtaStsCache', (maxEntries) => new JsonFileMtaStsCache(join(dir, `cache-${++files}.json`), maxEntries ? { maxEntries } : {})],
];

for (const [name, make] of implementations) {
  describe(`MtaStsPolicyCache contract: ${name}`, () => {
    test('get returns what set stored, keyed case-insensitively; delete forgets', async () => {
      const cache = make();
      assert.equal(await cache.get('example.com'), undefined);
      await cache.set(entry('example.com'));
      assert.deepEqual(await cache.get('EXAMPLE.com'), entry('example.com'));
      await cache.set(entry('example.com', 'two'));
      assert.equal((await cache.get('example.com'))?.id, 'two');
      await cache.delete('example.com');
      assert.equal(await cache.get('example.com'), undefined);
      await cache.delete('never.example');
    });

    test('returned entries are copies', async () => {
      const cache = make();
      await cache.set(entry('example.com'));
      const got = await cache.get('example.com');
      got?.policy.mx.push('evil.example');
      assert.deepEqual((await cache.get('example.com'))?.policy.mx, ['mx.example.com', '*.example.net']);
    });

    test('bounded: the least recently used entry goes first', async () => {
      const cache = make(2);
      await cache.set(entry('a.example'));
      await cache.set(entry('b.example'));
      await cache.get('a.example');
      await cache.set(entry('c.example'));
      assert.equal(await cache.get('b.example'), undefined);
      assert.ok(await cache.get('a.example'));
      assert.ok(await cache.get('c.example'));
    });

    test('concurrent writes all land', async () => {
      const cache = make();
      await Promise.all(Array.from({ length: 20 }, (_, i) => cache.set(entry(`d${i}.example`))));
      for (let i = 0; i < 20; i++) assert.ok(await cache.get(`d${i}.example`), `d${i}`);
    });
  });
}

describe('JsonFileMtaStsCache on disk', () => {
  test('survives a restart, leaves no temporary files, and is private (0600)', async () => {
    const path = join(dir, 'restart.json');
    await new JsonFileMtaStsCache(path).set(entry('example.com'));
    assert.deepEqual(await new JsonFileMtaStsCache(path).get('example.com'), entry('example.com'));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('restart.json.tmp')), []);
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { version: number }).version, 1);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a corrupt or foreign file starts an empty cache, reported, and is replaced on write', async () => {
    for (const content of ['{not json', '{"version": 99, "entries": []}', '[]']) {
      const path = join(dir, `corrupt-${++files}.json`);
      writeFileSync(path, content);
      const problems: string[] = [];
      const cache = new JsonFileMtaStsCache(path, { onLoadProblem: (p) => problems.push(p) });
      assert.equal(await cache.get('example.com'), undefined);
      assert.equal(problems.length, 1, content);
      await cache.set(entry('example.com'));
      assert.ok(await new JsonFileMtaStsCache(path).get('example.com'));
    }
  });

  test('entries that are not valid policies are dropped on load', async () => {
    const path = join(dir, 'entries.json');
    const good = entry('good.example');
    const bad = [
      { ...entry('mode.example'), policy: { ...good.policy, mode: 'strict' } },
      { ...entry('mx.example'), policy: { ...good.policy, mx: ['bad host'] } },
      { ...entry('age.example'), policy: { ...good.policy, maxAge: 1e12 } },
      { ...entry('time.example'), expiresAt: 'soon' },
      'junk',
      null,
    ];
    writeFileSync(path, JSON.stringify({ version: 1, entries: [good, ...bad] }));
    const cache = new JsonFileMtaStsCache(path);
    assert.deepEqual(await cache.get('good.example'), good);
    for (const d of ['mode.example', 'mx.example', 'age.example', 'time.example']) assert.equal(await cache.get(d), undefined, d);
  });
});
