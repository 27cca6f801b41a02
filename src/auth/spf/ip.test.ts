import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressTextMatches, formatIp, makeNetwork, networkContains, parseIp, parseIpv4Int, parseIpv6Into, reverseName } from './ip.js';

void test('IPv4 parsing is strict', () => {
  assert.equal(parseIpv4Int('192.0.2.1'), 0xc0000201);
  assert.equal(parseIpv4Int('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.4 ', '', 'a.b.c.d', '1.2.3.4/8']) {
    assert.equal(parseIpv4Int(bad), -1, bad);
  }
});

void test('IPv6 parsing and formatting', () => {
  const w = [0, 0, 0, 0];
  assert.equal(parseIpv6Into('2001:db8::1', w), true);
  assert.deepEqual(w, [0x20010db8, 0, 0, 1]);
  assert.equal(parseIpv6Into('::', w), true);
  assert.deepEqual(w, [0, 0, 0, 0]);
  assert.equal(parseIpv6Into('::1.1.1.1', w), true);
  assert.deepEqual(w, [0, 0, 0, 0x01010101]);
  for (const bad of [':CAFE::BABE', 'CAFE::BABE::1', '1:2:3:4:5:6:7:8:9', '12345::', '1:2:3:4:5:6:7', 'g::1', '1::2:', ':', '1:2:3:4:5:6:7:1.2.3.4']) {
    assert.equal(parseIpv6Into(bad, w), false, bad);
  }
  assert.equal(formatIp(parseIp('CAFE:BABE:0:0:0:0:0:1')!), 'cafe:babe::1');
  assert.equal(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
  assert.equal(formatIp(parseIp('1:0:2:3:4:5:6:7')!), '1:0:2:3:4:5:6:7');
});

void test('IPv4-mapped IPv6 clients are IPv4; garbage is rejected', () => {
  const ip = parseIp('::FFFF:1.2.3.4')!;
  assert.equal(ip.family, 4);
  assert.equal(formatIp(ip), '1.2.3.4');
  assert.equal(parseIp('::ffff:0102:0304')!.family, 4);
  for (const bad of ['', 'localhost', '1.2.3.4%eth0', '[1.2.3.4]', 'fe80::1%lo', '999.1.1.1', '\u0000']) assert.equal(parseIp(bad), undefined, bad);
});

void test('CIDR matching on words', () => {
  const v4 = (t: string) => parseIp(t)!;
  const net = makeNetwork(4, [parseIpv4Int('192.0.2.77'), 0, 0, 0], 24);
  assert.equal(networkContains(net, v4('192.0.2.1')), true);
  assert.equal(networkContains(net, v4('192.0.3.1')), false);
  assert.equal(networkContains(makeNetwork(4, [0x01010101, 0, 0, 0], 0), v4('203.0.113.9')), true);
  const w = [0, 0, 0, 0];
  parseIpv6Into('cafe:babe:8000::', w);
  const n6 = makeNetwork(6, w, 33);
  assert.equal(networkContains(n6, v4('cafe:babe:8000::1')), true);
  assert.equal(networkContains(n6, v4('cafe:babe:0::1')), false);
  assert.equal(networkContains(n6, v4('1.2.3.4')), false, 'IPv4 never matches ip6');
  assert.equal(addressTextMatches('1.2.3.5', v4('1.2.3.4'), 24), true);
  assert.equal(addressTextMatches('1.2.3.5', v4('1.2.3.4'), 32), false);
  assert.equal(addressTextMatches('2001:db8:1234::dead:beef', v4('2001:db8:1234::cafe:babe'), 64), true);
  assert.equal(addressTextMatches('not-an-ip', v4('1.2.3.4'), 0), false);
});

void test('reverse names', () => {
  assert.equal(reverseName(parseIp('192.0.2.3')!), '3.2.0.192.in-addr.arpa');
  assert.equal(reverseName(parseIp('2001:db8::cb01')!), '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
});
