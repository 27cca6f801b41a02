import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { resolveRoute, MAX_ROUTE_ADDRESSES } from './routes.js';

const zone = new ZoneResolver({
  'multi.test': [{ MX: [20, 'b.multi.test'] }, { MX: [10, 'a.multi.test'] }, { MX: [10, 'c.multi.test'] }],
  'a.multi.test': [{ A: '192.0.2.1' }],
  'b.multi.test': [{ A: '192.0.2.2' }, { AAAA: '2001:db8::2' }],
  'c.multi.test': [{ A: '192.0.2.3' }],
  'implicit.test': [{ A: '192.0.2.9' }],
  'bare.test': [{ TXT: 'nothing to route' }],
  'null.test': [{ MX: [0, '.'] }],
  'mixednull.test': [{ MX: [0, '.'] }, { MX: [10, 'a.multi.test'] }],
  'lost.test': [{ MX: [10, 'gone.lost.test'] }],
  'flaky.test': [{ MX: [10, 'sf.flaky.test'] }],
  'sf.flaky.test': ['SERVFAIL'],
  'broken.test': ['TIMEOUT'],
  'many.test': Array.from({ length: 8 }, (_, i) => ({ MX: [i, `h${i}.many.test`] as [number, string] })),
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`h${i}.many.test`, [{ A: `192.0.2.${100 + i}` }]])),
});

test('MX hosts in preference order, equal preferences shuffled, addresses A then AAAA', async () => {
  const first = await resolveRoute('multi.test', zone, { random: () => 0 });
  const second = await resolveRoute('multi.test', zone, { random: () => 0.99 });
  assert.equal(first.kind, 'hosts');
  assert.equal(second.kind, 'hosts');
  if (first.kind !== 'hosts' || second.kind !== 'hosts') return;
  assert.deepEqual(first.hosts.map((h) => h.preference), [10, 10, 20]);
  assert.deepEqual(new Set(first.hosts.slice(0, 2).map((h) => h.name)), new Set(['a.multi.test', 'c.multi.test']));
  assert.notDeepEqual(first.hosts.map((h) => h.name), second.hosts.map((h) => h.name));
  assert.deepEqual(first.hosts[2]?.addresses, ['192.0.2.2', '2001:db8::2']);
});

test('no MX: the domain itself is the implicit MX; no MX and no address fails permanently', async () => {
  assert.deepEqual(await resolveRoute('implicit.test', zone), {
    kind: 'hosts', implicit: true, smartHost: false, mxSecure: false, hosts: [{ name: 'implicit.test', preference: 0, addresses: ['192.0.2.9'] }],
  });
  const bare = await resolveRoute('bare.test', zone);
  assert.equal(bare.kind === 'fail' && bare.permanent, true);
});

test('null MX (alone or beside other records) and NXDOMAIN fail permanently; DNS errors temporarily', async () => {
  for (const [domain, code, enhanced, permanent] of [
    ['null.test', 556, '5.1.10', true],
    ['mixednull.test', 556, '5.1.10', true],
    ['nosuch.test', 550, '5.1.2', true],
    ['lost.test', 554, '5.4.4', true],
    ['flaky.test', 451, '4.4.3', false],
    ['broken.test', 451, '4.4.3', false],
  ] as const) {
    const route = await resolveRoute(domain, zone);
    assert.equal(route.kind, 'fail', domain);
    if (route.kind === 'fail') assert.deepEqual([route.reply.code, route.reply.enhanced, route.permanent], [code, enhanced, permanent], domain);
  }
});

test('address budget bounds the hosts tried; a smart host replaces MX lookup', async () => {
  const route = await resolveRoute('many.test', zone);
  assert.equal(route.kind === 'hosts' && route.hosts.flatMap((h) => h.addresses).length, MAX_ROUTE_ADDRESSES);
  const smart = await resolveRoute('null.test', zone, { smartHost: { host: '192.0.2.50', port: 587 } });
  assert.equal(smart.kind === 'hosts' && smart.smartHost && smart.hosts[0]?.addresses[0], '192.0.2.50');
});

test('an MX that is this gateway is skipped with every less preferred one; nothing left means a mail loop (RFC 5321 §5.1)', async () => {
  const us = '198.51.100.25';
  const loops = new ZoneResolver({
    'backup.test': [{ MX: [10, 'primary.backup.test'] }, { MX: [20, 'us.example'] }, { MX: [30, 'last.backup.test'] }],
    'primary.backup.test': [{ A: '192.0.2.10' }],
    'last.backup.test': [{ A: '192.0.2.30' }],
    'us.example': [{ A: us }, { AAAA: '2001:db8::25' }],
    'only.test': [{ MX: [10, 'us.example'] }, { MX: [20, 'last.backup.test'] }],
    'equal.test': [{ MX: [10, 'primary.backup.test'] }, { MX: [10, 'us.example'] }],
    'self.test': [{ A: us }],
  });
  const isSelf = (address: string) => address === us;
  // We are the secondary MX: only the primary is tried, never the tertiary (it would send the mail back).
  const backup = await resolveRoute('backup.test', loops, { isSelf });
  assert.deepEqual(backup.kind === 'hosts' ? backup.hosts.map((h) => h.name) : backup, ['primary.backup.test']);
  for (const [domain, host] of [['only.test', 'us.example'], ['equal.test', 'us.example'], ['self.test', 'self.test']] as const) {
    for (const random of [() => 0, () => 0.99]) {
      const route = await resolveRoute(domain, loops, { isSelf, random });
      assert.equal(route.kind, 'fail', domain);
      assert.deepEqual(route.kind === 'fail' ? [route.permanent, route.reply.code, route.reply.enhanced] : [], [true, 554, '5.4.6']);
      assert.match(route.kind === 'fail' ? route.reply.text : '', new RegExp(`mail for ${domain.replace('.', '\\.')} loops back to myself: ${host.replace('.', '\\.')} is this gateway`));
    }
  }
  // Without the check (or for other addresses) nothing changes.
  const unchecked = await resolveRoute('only.test', loops);
  assert.deepEqual(unchecked.kind === 'hosts' ? unchecked.hosts.map((h) => h.name) : unchecked, ['us.example', 'last.backup.test']);
});
