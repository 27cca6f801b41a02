import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { lintSpf } from './lint.js';

const includes = Array.from({ length: 6 }, (_, i) => `include:i${i}.example.net`).join(' ');
const zone = new ZoneResolver({
  'good.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 include:_spf.good.example -all' }],
  '_spf.good.example': [{ TXT: 'v=spf1 ip6:2001:db8::/32 ~all' }],
  'heavy.example': [{ TXT: `v=spf1 ${includes} -all` }],
  ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`i${i}.example.net`, [{ TXT: 'v=spf1 a mx ?all' }, { A: '192.0.2.1' }, { MX: [0, 'mx.example.net'] as [number, string] }]])),
  'open.example': [{ TXT: 'v=spf1 ptr +all unknown=1' }],
  'noall.example': [{ TXT: 'v=spf1 ip4:192.0.2.1' }],
  'broken.example': [{ TXT: 'v=spf1 ip4:192.0.2.1 foo -all' }],
  'two.example': [{ TXT: 'v=spf1 -all' }, { TXT: 'v=spf1 ~all' }],
  'dangling.example': [{ TXT: 'v=spf1 include:nospf.example a:gone1.example a:gone2.example a:gone3.example -all' }],
  'loop-a.example': [{ TXT: 'v=spf1 include:loop-b.example -all' }],
  'loop-b.example': [{ TXT: 'v=spf1 include:loop-a.example -all' }],
  'long.example': [{ TXT: ['v=spf1 ' + 'ip4:192.0.2.1 '.repeat(17), 'ip4:192.0.2.2 '.repeat(20) + '-all'] }],
  'mxmany.example': [{ TXT: 'v=spf1 mx -all' }, ...Array.from({ length: 12 }, (_, i) => ({ MX: [i, `mx${i}.example`] as [number, string] }))],
});

const codes = async (domain: string) => (await lintSpf(domain, { resolver: zone })).findings.map((f) => f.code);

void test('a clean policy has no errors and counts lookups', async () => {
  const r = await lintSpf('good.example', { resolver: zone });
  assert.equal(r.lookups, 1);
  assert.equal(r.voidLookups, 0);
  assert.equal(r.record, 'v=spf1 ip4:192.0.2.0/24 include:_spf.good.example -all');
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(r.tree.children[0]?.domain, '_spf.good.example');
});

void test('the lookup limit is reported with the path that breaks it', async () => {
  const r = await lintSpf('heavy.example', { resolver: zone });
  assert.equal(r.lookups, 18);
  const f = r.findings.find((x) => x.code === 'lookup-limit');
  assert.ok(f);
  assert.deepEqual(f.path, ['heavy.example', 'i3.example.net']);
  assert.ok(f.fix.length > 0);
});

void test('risky and broken records', async () => {
  const open = await codes('open.example');
  for (const c of ['pass-all', 'ptr-used', 'unknown-modifier']) assert.ok(open.includes(c as never), `${c} in ${open}`);
  assert.ok((await codes('noall.example')).includes('no-all'));
  const broken = await lintSpf('broken.example', { resolver: zone });
  assert.deepEqual([broken.findings[0]?.code, broken.findings[0]?.offset], ['syntax-error', 21]);
  assert.ok((await codes('two.example')).includes('multiple-records'));
  assert.ok((await codes('nothing.example')).includes('no-record'));
  const dangling = await lintSpf('dangling.example', { resolver: zone });
  const dc = dangling.findings.map((f) => f.code);
  for (const c of ['include-no-record', 'void-lookup', 'void-lookup-limit']) assert.ok(dc.includes(c as never), `${c} in ${dc}`);
  assert.equal(dangling.voidLookups, 4);
  assert.ok((await codes('loop-a.example')).includes('include-loop'));
  const long = await codes('long.example');
  assert.ok(long.includes('record-too-long') && long.includes('record-needs-split'), String(long));
  assert.ok((await codes('mxmany.example')).includes('mx-limit'));
});
