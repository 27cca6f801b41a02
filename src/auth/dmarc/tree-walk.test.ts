import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { DmarcDnsSession, selectOrganizationalDomain, treeWalk, treeWalkNames } from './tree-walk.js';

void test('tree walk names follow RFC 9989 §4.10 and never exceed 8', () => {
  assert.deepEqual(treeWalkNames('com'), ['com']);
  assert.deepEqual(treeWalkNames('a.mail.example.com'), ['a.mail.example.com', 'mail.example.com', 'example.com', 'com']);
  const eight = 'a.b.c.d.e.f.example.com';
  assert.deepEqual(treeWalkNames(eight), [eight, 'b.c.d.e.f.example.com', 'c.d.e.f.example.com', 'd.e.f.example.com', 'e.f.example.com', 'f.example.com', 'example.com', 'com']);
  // The RFC's own example (§4.10): 13 labels.
  assert.deepEqual(treeWalkNames('a.b.c.d.e.f.g.h.i.j.mail.example.com'), [
    'a.b.c.d.e.f.g.h.i.j.mail.example.com',
    'g.h.i.j.mail.example.com',
    'h.i.j.mail.example.com',
    'i.j.mail.example.com',
    'j.mail.example.com',
    'mail.example.com',
    'example.com',
    'com',
  ]);
  for (let n = 1; n <= 60; n++) {
    const name = Array.from({ length: n }, (_, i) => `l${i}`).join('.');
    const names = treeWalkNames(name);
    assert.ok(names.length <= 8, `${n} labels → ${names.length} names`);
    assert.equal(names[0], name);
    assert.equal(names[names.length - 1], `l${n - 1}`);
  }
});

void test('Organizational Domain selection: psd=n, below psd=y, fewest labels, start', async () => {
  const resolver = new ZoneResolver({
    '_dmarc.b.example.com': [{ TXT: 'v=DMARC1; p=reject; psd=n' }],
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=none' }],
    '_dmarc.mail.example.net': [{ TXT: 'v=DMARC1; p=none' }],
    '_dmarc.example.net': [{ TXT: 'v=DMARC1; p=none' }],
    '_dmarc.bank.example': [{ TXT: 'v=DMARC1; p=reject; psd=y' }],
  });
  const session = new DmarcDnsSession(resolver);
  const org = async (name: string): Promise<string> => {
    const walk = await treeWalk(session, name);
    assert.equal(walk.kind, 'walked');
    return selectOrganizationalDomain(walk as Extract<typeof walk, { kind: 'walked' }>).domain;
  };
  assert.equal(await org('a.b.example.com'), 'b.example.com');
  assert.equal(await org('x.mail.example.net'), 'example.net');
  assert.equal(await org('mail.mega.bank.example'), 'mega.bank.example');
  assert.equal(await org('bank.example'), 'bank.example', 'psd=y at the start does not count');
  assert.equal(await org('nothing.example.org'), 'nothing.example.org');
  // Each _dmarc name was asked once, however many walks passed it.
  const names = resolver.calls.map((c) => c.name);
  assert.equal(names.length, new Set(names).size);
});

void test('a multi-record set mid-walk is discarded and the walk goes on; DNS errors end it', async () => {
  const resolver = new ZoneResolver({
    '_dmarc.mail.example.com': [{ TXT: 'v=DMARC1; p=reject' }, { TXT: 'v=DMARC1; p=none' }],
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=quarantine' }],
    '_dmarc.broken.example.org': ['SERVFAIL'],
  });
  const session = new DmarcDnsSession(resolver);
  const walk = await treeWalk(session, 'a.mail.example.com');
  assert.ok(walk.kind === 'walked');
  assert.deepEqual(walk.records.map((r) => r.name), ['example.com']);
  const failed = await treeWalk(session, 'x.broken.example.org');
  assert.ok(failed.kind === 'error' && failed.lookup.error === 'servfail');
});

void test('the session budget turns into query-limit errors, never a silent "none"', async () => {
  const session = new DmarcDnsSession(new ZoneResolver({}), 3);
  for (const name of ['a.example', 'b.example', 'c.example']) assert.equal((await session.lookup(name)).kind, 'none');
  const over = await session.lookup('d.example');
  assert.ok(over.kind === 'error' && over.error === 'query-limit');
});
