import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSpfHop, compileTrustedNetworks, MAX_TRUSTED_HOPS } from './hops.js';
import { VerifyOptionsError } from './types.js';

const trusted = compileTrustedNetworks(['10.0.0.0/8', '2001:db8:f11::/48', '198.51.100.7']);
const rcvd = (ip: string, helo = `h-${ip}.example`, by = 'filter.example') => `from ${helo} (rdns [${ip}]) by ${by} with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000`;

void test('CIDRs and single addresses compile; anything else is a configuration error', () => {
  assert.equal(trusted.contains('10.200.3.4'), true);
  assert.equal(trusted.contains('11.0.0.1'), false);
  assert.equal(trusted.contains('2001:db8:f11:1::2'), true);
  assert.equal(trusted.contains('198.51.100.7'), true);
  assert.equal(trusted.contains('198.51.100.8'), false);
  assert.equal(trusted.contains('::ffff:10.1.2.3'), true, 'IPv4-mapped IPv6 is IPv4');
  assert.equal(trusted.contains('not an ip'), false);
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com', '2001:db8::/129', '10.0.0.0/8/1', '']) {
    assert.throws(() => compileTrustedNetworks([bad]), (e: unknown) => e instanceof VerifyOptionsError && e.code === 'bad-trusted-hop', bad);
  }
});

void test('without trusted hops, or from an untrusted client, SPF checks the connection', () => {
  const none = chooseSpfHop({ ip: '192.0.2.1', helo: 'a.example' }, [rcvd('10.0.0.1')], undefined);
  assert.deepEqual([none.ip, none.helo, none.receivedIndex, none.reason], ['192.0.2.1', 'a.example', null, 'connection']);
  const untrusted = chooseSpfHop({ ip: '192.0.2.1', helo: 'a.example' }, [rcvd('203.0.113.5')], trusted);
  assert.equal(untrusted.reason, 'connection');
  assert.match(untrusted.detail, /not a trusted hop/);
});

void test('the walk stops at the first untrusted hop, through several trusted filters', () => {
  const hop = chooseSpfHop({ ip: '10.0.0.5', helo: 'filter2' }, [rcvd('10.0.0.4'), rcvd('192.0.2.25', 'mail.contoso.example', 'filter1.example'), rcvd('10.9.9.9')], trusted);
  assert.equal(hop.reason, 'first-untrusted');
  assert.equal(hop.ip, '192.0.2.25');
  assert.equal(hop.helo, 'mail.contoso.example');
  assert.equal(hop.receivedIndex, 1);
  assert.equal(hop.by, 'filter1.example');
  assert.deepEqual(hop.trustedPath, ['10.0.0.5', '10.0.0.4']);
});

void test('hostile: Received fields below the first untrusted hop are never believed', () => {
  // The attacker (203.0.113.66) forged a field claiming the origin's server handed the message on.
  const forged = rcvd('192.0.2.25', 'mail.contoso.example');
  const hop = chooseSpfHop({ ip: '10.0.0.5', helo: 'filter' }, [rcvd('203.0.113.66', 'mail.contoso.example'), forged], trusted);
  assert.equal(hop.ip, '203.0.113.66');
  assert.equal(hop.receivedIndex, 0);
  // A forged field claiming a trusted address, added by the untrusted hop, is below it too: never read.
  const claimTrusted = chooseSpfHop({ ip: '10.0.0.5', helo: 'filter' }, [rcvd('203.0.113.66'), rcvd('10.0.0.1'), forged], trusted);
  assert.equal(claimTrusted.ip, '203.0.113.66');
});

void test('internal fields without a from clause are passed over; unreadable or exhausted chains give no hop', () => {
  const internal = chooseSpfHop({ ip: '10.0.0.5', helo: 'f' }, ['by filter.example (Postfix, from userid 0) id 1; date', rcvd('192.0.2.25')], trusted);
  assert.equal(internal.ip, '192.0.2.25');
  assert.equal(internal.receivedIndex, 1);
  const unreadable = chooseSpfHop({ ip: '10.0.0.5', helo: 'f' }, ['from somewhere (no address here) by filter; date', rcvd('192.0.2.25')], trusted);
  assert.deepEqual([unreadable.reason, unreadable.ip, unreadable.receivedIndex], ['unreadable', '', 0]);
  const inside = chooseSpfHop({ ip: '10.0.0.5', helo: 'f' }, [rcvd('10.0.0.4'), rcvd('10.0.0.3')], trusted);
  assert.deepEqual([inside.reason, inside.ip], ['all-trusted', '']);
  const loop = chooseSpfHop({ ip: '10.0.0.5', helo: 'f' }, Array.from({ length: MAX_TRUSTED_HOPS + 5 }, () => rcvd('10.0.0.4')), trusted);
  assert.equal(loop.reason, 'too-many-hops');
});
