import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.js';
import { parseHeaderBlock } from '../../core/message/headers.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { AccountDirectory, hashPassword, parsePasswordHash, verifyPassword } from './accounts.js';
import { compileAddressPatterns } from './address-patterns.js';
import { checkConnectorSpf, compileConnectors, matchConnector, parseNetwork } from './connectors.js';
import { accept, CONTINUE, decisionToReply, reject, runStages, type Decision, type PolicyStage } from './decision.js';
import { AcceptedDomains } from './domains.js';
import { headerFromAddresses, parseFromValue } from './header-from.js';
import { AccountRateLimiter, RATE_WINDOW_MS } from './rate-limit.js';

test('scrypt hashes: salted, verified in constant time, wrong or malformed never match', async () => {
  const a = await hashPassword('secret', { n: 1024 });
  const b = await hashPassword('secret', { n: 1024 });
  assert.notEqual(a, b, 'salted');
  assert.match(a, /^scrypt\$1024\$8\$1\$/);
  assert.equal(await verifyPassword('secret', a), true);
  assert.equal(await verifyPassword('Secret', a), false);
  assert.equal(await verifyPassword('secret', 'plain:secret'), false);
  assert.equal(parsePasswordHash('scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=='), undefined, 'N not a power of two');
  assert.equal(parsePasswordHash(`scrypt$${1 << 24}$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==`), undefined, 'absurd N');
});

test('AccountDirectory: case-insensitive usernames, disabled accounts fail, bad config fails loud', async () => {
  const hash = await hashPassword('pw', { n: 1024 });
  const dir = new AccountDirectory([
    { username: 'Alice@Example.com', passwordHash: hash, fromAddresses: ['alice@example.com'] },
    { username: 'off', passwordHash: hash, fromAddresses: ['off@example.com'], disabled: true },
  ]);
  assert.equal((await dir.authenticate('alice@example.com', 'pw'))?.username, 'Alice@Example.com');
  assert.equal(await dir.authenticate('alice@example.com', 'nope'), undefined);
  assert.equal(await dir.authenticate('nobody', 'pw'), undefined);
  assert.equal(await dir.authenticate('off', 'pw'), undefined);
  assert.throws(() => new AccountDirectory([{ username: 'x', passwordHash: 'secret', fromAddresses: [] }]), /passwordHash/);
  assert.throws(() => new AccountDirectory([{ username: 'x', passwordHash: hash, fromAddresses: ['not-an-address'] }]), /fromAddresses/);
});

test('address patterns: exact and *@domain, case-insensitive, no subdomains', () => {
  const m = compileAddressPatterns(['Alice@Example.com', '*@dept.example.com', 'jörg@bücher.example'], 'test');
  assert.equal(m({ local: 'alice', domain: 'example.com' }), true);
  assert.equal(m({ local: 'bob', domain: 'example.com' }), false);
  assert.equal(m({ local: 'anyone', domain: 'dept.example.com' }), true);
  assert.equal(m({ local: 'anyone', domain: 'sub.dept.example.com' }), false);
  assert.equal(m({ local: 'jörg', domain: 'xn--bcher-kva.example' }), true);
  assert.throws(() => compileAddressPatterns(['a*@example.com'], 'w'), /w:/);
});

test('connectors: IPv4/IPv6 CIDRs, mapped addresses, certificate names', () => {
  const connectors = compileConnectors([
    { name: 'cert', ips: ['192.0.2.0/24'], tlsClientCertName: 'Relay.Example.net' },
    { name: 'v4', ips: ['192.0.2.0/24', '198.51.100.7'] },
    { name: 'v6', ips: ['2001:db8:1::/48'] },
  ]);
  assert.equal(matchConnector(connectors, '192.0.2.99', undefined)?.name, 'v4');
  assert.equal(matchConnector(connectors, '192.0.2.99', { authorized: true, names: ['relay.example.net'] })?.name, 'cert');
  assert.equal(matchConnector(connectors, '192.0.2.99', { authorized: false, names: ['relay.example.net'] })?.name, 'v4');
  assert.equal(matchConnector(connectors, '198.51.100.7', undefined)?.name, 'v4');
  assert.equal(matchConnector(connectors, '198.51.100.8', undefined), undefined);
  assert.equal(matchConnector(connectors, '::ffff:198.51.100.7', undefined)?.name, 'v4');
  assert.equal(matchConnector(connectors, '2001:db8:1:ffff::1', undefined)?.name, 'v6');
  assert.equal(matchConnector(connectors, '2001:db8:2::1', undefined), undefined);
  assert.equal(matchConnector(connectors, 'not-an-ip', undefined), undefined);
  assert.throws(() => compileConnectors([{ name: 'bad', ips: ['192.0.2.0/33'] }]), /bad\.ips/);
  assert.throws(() => compileConnectors([{ name: 'none', ips: [] }]), /none\.ips/);
  assert.equal(parseNetwork('10.1.2.3/8')?.prefix, 8);
});

test('checkConnectorSpf: warns for addresses the sending domain does not authorise', async () => {
  const resolver = new ZoneResolver({
    'covered.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all' }],
    'partial.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/25 -all' }],
    'nospf.example': [{ A: '192.0.2.1' }],
  });
  const connector = { name: 'app', ips: ['192.0.2.0/24', '2001:db8::1'] };
  assert.deepEqual(await checkConnectorSpf(connector, ['covered.example'], resolver), []);
  const partial = await checkConnectorSpf(connector, ['partial.example'], resolver);
  assert.deepEqual(partial.map((w) => [w.ip, w.code]), [['192.0.2.255', 'not-authorized'], ['2001:db8::1', 'not-authorized']]);
  const none = await checkConnectorSpf({ name: 'x', ips: ['192.0.2.5'] }, ['nospf.example'], resolver);
  assert.deepEqual(none.map((w) => w.code), ['no-spf']);
  assert.ok(resolver.calls.length > 0, 'only the given resolver is asked');
});

test('runStages: first non-continue wins; throws and timeouts tempfail, never continue', async () => {
  const stage = (name: string, run: () => Decision | Promise<Decision>): PolicyStage<null> => ({ name, run });
  const fallback = reject(554, '5.7.1', 'Relay access denied', 'relay-denied');
  assert.equal((await runStages([stage('a', () => CONTINUE)], null, fallback, 1000)).decision, fallback);
  const won = await runStages([stage('a', () => CONTINUE), stage('b', () => accept('ok')), stage('c', () => fallback)], null, fallback, 1000);
  assert.deepEqual(won, { decision: accept('ok'), stage: 'b' });
  const threw = await runStages([stage('boom', () => { throw new Error('x'); }), stage('later', () => accept('no'))], null, fallback, 1000);
  assert.equal(threw.stage, 'boom');
  assert.deepEqual(decisionToReply(threw.decision, () => ({ code: 250, lines: ['ok'] })), { code: 451, enhanced: '4.3.0', lines: ['Temporary local problem, try again later'] });
  const rejected = await runStages([stage('async-boom', () => Promise.reject(new Error('x')))], null, fallback, 1000);
  assert.equal(rejected.decision.kind, 'tempfail');
  const slow = await runStages([stage('slow', () => new Promise<Decision>(() => {}))], null, fallback, 20);
  assert.ok(slow.decision.kind === 'tempfail' && slow.decision.enhanced === '4.4.3');
  const liar = await runStages([stage('liar', () => ({ kind: 'reject', code: 250, enhanced: '2.0.0', text: 'ok', reason: 'x' }))], null, fallback, 1000);
  assert.equal(liar.decision.kind, 'tempfail', 'a "reject" with a 2xx code is a broken stage');
});

test('AcceptedDomains: exact match in A-label form; mailboxes when listed', () => {
  const d = new AcceptedDomains([{ domain: 'Example.COM' }, { domain: 'bücher.example', mailboxes: ['Info'] }]);
  assert.equal(d.primary, 'example.com');
  assert.equal(d.has('example.com'), true);
  assert.equal(d.has('sub.example.com'), false);
  assert.equal(d.has('example.com.'), false);
  assert.equal(d.mailboxExists('anyone', 'example.com'), true);
  assert.equal(d.mailboxExists('info', 'xn--bcher-kva.example'), true);
  assert.equal(d.mailboxExists('other', 'xn--bcher-kva.example'), false);
  assert.throws(() => new AcceptedDomains([{ domain: 'example.com.' }]), /acceptedDomains/);
});

test('header From: display names, comments, groups; strict failures', () => {
  const ok = (v: string) => {
    const r = parseFromValue(v);
    assert.ok(r.ok, `${v}: ${!r.ok ? r.detail : ''}`);
    return r.addresses.map((a) => `${a.local}@${a.domain}`);
  };
  assert.deepEqual(ok(' Alice <alice@Example.com>'), ['alice@example.com']);
  assert.deepEqual(ok(' "Bob, <bob@evil.example>" <bob@example.com> (comment <x@y.example>)'), ['bob@example.com']);
  assert.deepEqual(ok(' alice@example.com (Alice)'), ['alice@example.com']);
  assert.deepEqual(ok(' a@example.com, "B" <b@example.org>'), ['a@example.com', 'b@example.org']);
  assert.deepEqual(ok(' Team: a@example.com, b@example.com;'), ['a@example.com', 'b@example.com']);
  assert.deepEqual(ok(' =?utf-8?q?evil=40example.net?= <ok@example.com>'), ['ok@example.com']);
  for (const bad of [' Alice', ' <alice@example.com', ' alice@[192.0.2.1]', ' alice@example.com.', ' <a@example.com> <b@example.com>', '']) {
    assert.equal(parseFromValue(bad).ok, false, bad);
  }
  const headers = parseHeaderBlock(Buffer.from('From: a@example.com\r\nFrom: b@example.com\r\n'));
  assert.deepEqual(headerFromAddresses(headers), { ok: false, error: 'multiple-from', detail: '2 From header fields' });
});

test('AccountRateLimiter: rolling hour', () => {
  const clock = new ManualClock(1_000_000);
  const limiter = new AccountRateLimiter(clock);
  limiter.record('a');
  clock.advance(1000);
  limiter.record('a');
  assert.equal(limiter.allows('a', 2), false);
  assert.equal(limiter.allows('b', 2), true);
  clock.advance(RATE_WINDOW_MS - 999);
  assert.equal(limiter.count('a'), 1);
  assert.equal(limiter.allows('a', 2), true);
});
