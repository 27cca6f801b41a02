import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDomain, parsePath, splitPathArgument } from './address.js';
import { parseMailParams, parseRcptParams } from './params.js';

test('splitPathArgument: brackets found outside quotes; junk after ">" refused', () => {
  assert.deepEqual(splitPathArgument('<a@b.example> SIZE=10'), { path: 'a@b.example', rest: 'SIZE=10' });
  assert.deepEqual(splitPathArgument(' <"x>y"@b.example>'), { path: '"x>y"@b.example', rest: '' });
  assert.equal(splitPathArgument('a@b.example'), undefined);
  assert.equal(splitPathArgument('<a@b.example>x'), undefined);
  assert.equal(splitPathArgument('<a<b@c.example>'), undefined);
  assert.equal(splitPathArgument('<a@b.example'), undefined);
});

test('parsePath: mailboxes, null sender, postmaster, literals, IDN', () => {
  assert.deepEqual(parsePath('', true), { ok: true, kind: 'null' });
  assert.equal(parsePath('', false).ok, false);
  assert.deepEqual(parsePath('PostMaster', false), { ok: true, kind: 'postmaster' });
  const m = parsePath('Alice.B@Example.COM', false);
  assert.ok(m.ok && m.kind === 'mailbox');
  assert.equal(m.mailbox.domainAscii, 'example.com');
  assert.equal(m.mailbox.address, 'Alice.B@example.com');
  const q = parsePath('"user@evil.example"@example.com', false);
  assert.ok(q.ok && q.kind === 'mailbox');
  assert.equal(q.mailbox.localUnquoted, 'user@evil.example');
  const lit = parsePath('u@[192.0.2.1]', false);
  assert.ok(lit.ok && lit.kind === 'mailbox' && lit.mailbox.isLiteral);
  const v6 = parsePath('u@[IPv6:2001:db8::1]', false);
  assert.ok(v6.ok && v6.kind === 'mailbox' && v6.mailbox.domainAscii === '[ipv6:2001:db8::1]');
  const idn = parsePath('jörg@bücher.example', false);
  assert.ok(idn.ok && idn.kind === 'mailbox');
  assert.equal(idn.mailbox.domainAscii, 'xn--bcher-kva.example');
  assert.equal(idn.mailbox.nonAscii, true);
});

test('parsePath: refuses source routes, trailing dots, bad literals and bad local parts', () => {
  const refused: Array<[string, string]> = [
    ['@relay.example:user@example.com', 'source-route'],
    ['@a,@b:user@example.com', 'source-route'],
    ['user@example.com.', 'bad-domain'],
    ['user@example..com', 'bad-domain'],
    ['user@localhost', 'bad-domain'],
    ['user@[1.2.3]', 'bad-domain'],
    ['user@[tag:foo]', 'bad-domain'],
    ['user@exa_mple.com', 'bad-domain'],
    ['user@-example.com', 'bad-domain'],
    ['us er@example.com', 'bad-local-part'],
    ['.user@example.com', 'bad-local-part'],
    ['user.@example.com', 'bad-local-part'],
    ['a..b@example.com', 'bad-local-part'],
    ['user', 'bad-local-part'],
    ['"unterminated@example.com', 'bad-local-part'],
    ['user@', 'bad-domain'],
    [`${'a'.repeat(65)}@example.com`, 'too-long'],
  ];
  for (const [path, error] of refused) {
    const r = parsePath(path, false);
    assert.equal(r.ok, false, path);
    assert.equal(!r.ok && r.error, error, path);
  }
  assert.equal(parseDomain('EXAMPLE.com')?.ascii, 'example.com');
});

test('MAIL parameters: SIZE, BODY, SMTPUTF8, RET, ENVID; unknown and duplicate refused', () => {
  const ok = parseMailParams('SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc+2B1 AUTH=<>', 1000);
  assert.deepEqual(ok, { ok: true, value: { size: 100, body: '8BITMIME', smtputf8: true, ret: 'HDRS', envid: 'abc+2B1' } });
  const big = parseMailParams('SIZE=1001', 1000);
  assert.ok(!big.ok && big.reply.code === 552);
  const unknown = parseMailParams('FOO=bar', 1000);
  assert.ok(!unknown.ok && unknown.reply.code === 555);
  assert.ok(!parseMailParams('BODY=BINARYMIME', 1000).ok);
  assert.ok(!parseMailParams('SIZE=1 SIZE=2', 1000).ok);
  assert.ok(!parseMailParams('ENVID=a b', 1000).ok);
  assert.ok(!parseMailParams(`ENVID=${'a'.repeat(101)}`, 1000).ok);
});

test('RCPT parameters: NOTIFY and ORCPT', () => {
  assert.deepEqual(parseRcptParams('NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.example'), { ok: true, value: { notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a@b.example' } });
  assert.deepEqual(parseRcptParams('NOTIFY=NEVER'), { ok: true, value: { notify: ['NEVER'] } });
  assert.ok(!parseRcptParams('NOTIFY=NEVER,SUCCESS').ok);
  assert.ok(!parseRcptParams('NOTIFY=SOMETIMES').ok);
  assert.ok(!parseRcptParams('ORCPT=nosemicolon').ok);
});
