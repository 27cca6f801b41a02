// The MX loop check's idea of "us": exact listener addresses, wildcard listeners over the local interfaces
// (and the whole loopback network), IPv4-mapped IPv6, and ports that must match.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localInterfaceAddresses, selfAddressCheck } from './self-addresses.js';

const LOCAL = ['127.0.0.1', '192.0.2.25', '::1', 'fe80::1', '2001:db8::25'];

test('exact listeners match their address and port only', () => {
  const isSelf = selfAddressCheck([{ host: '192.0.2.25', port: 25 }, { host: '2001:DB8::25', port: 25 }], LOCAL);
  assert.equal(isSelf('192.0.2.25', 25), true);
  assert.equal(isSelf('::ffff:192.0.2.25', 25), true);
  assert.equal(isSelf('2001:db8::25', 25), true);
  assert.equal(isSelf('192.0.2.25', 2525), false);
  assert.equal(isSelf('127.0.0.1', 25), false);
  assert.equal(isSelf('198.51.100.1', 25), false);
});

test('0.0.0.0 takes every local IPv4 address and the loopback network; :: takes both families', () => {
  const v4 = selfAddressCheck([{ host: '0.0.0.0', port: 25 }], LOCAL);
  assert.equal(v4('192.0.2.25', 25), true);
  assert.equal(v4('127.0.0.2', 25), true);
  assert.equal(v4('2001:db8::25', 25), false);
  assert.equal(v4('198.51.100.1', 25), false);
  assert.equal(v4('192.0.2.25', 587), false);
  const dual = selfAddressCheck([{ host: '::', port: 25 }], LOCAL);
  assert.equal(dual('2001:db8::25', 25), true);
  assert.equal(dual('192.0.2.25', 25), true);
  assert.equal(dual('::1', 25), true);
  assert.equal(dual('2001:db8::99', 25), false);
});

test('the machine interfaces are read (loopback at least)', () => {
  assert.ok(localInterfaceAddresses().includes('127.0.0.1'));
});
