// The PROXY protocol header parser under hostile input: random bytes, random prefixes and mutations of valid
// v1/v2 headers never throw, and every verdict is one of the three kinds, consuming no more than it was given.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader } from '../../src/gateway/smtp/framing/proxy-header.js';
import { seededRandom } from '../../src/testing/seeded-random.js';

const V1 = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\nEHLO x\r\n');
const V2 = Buffer.concat([
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]),
  Buffer.from([198, 51, 100, 9, 192, 0, 2, 1, 0xc3, 0x50, 0x00, 0x19]),
  Buffer.from('EHLO x\r\n'),
]);

function check(input: Buffer): void {
  const result = parseProxyHeader(input);
  assert.ok(result.kind === 'incomplete' || result.kind === 'ok' || result.kind === 'error');
  if (result.kind === 'ok') {
    assert.ok(result.consumed > 0 && result.consumed <= input.length);
    if (result.client) assert.ok(result.client.port >= 0 && result.client.port <= 65535);
  }
}

test('random bytes, prefixes and mutations of valid headers: no throw, sane verdicts (20,000 cases)', () => {
  const random = seededRandom(1993);
  const byte = () => Math.floor(random() * 256);
  for (let n = 0; n < 20_000; n++) {
    const kind = n % 4;
    let input: Buffer;
    if (kind === 0) input = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, byte));
    else if (kind === 1) input = (n % 8 === 1 ? V1 : V2).subarray(0, Math.floor(random() * (V2.length + 1)));
    else {
      input = Buffer.from(n % 8 < 4 ? V1 : V2);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) input[Math.floor(random() * input.length)] = kind === 2 ? byte() : 0x20;
    }
    check(input);
  }
  // The unmutated headers parse to the client they name, and leave the SMTP bytes after them.
  const v1 = parseProxyHeader(V1);
  assert.deepEqual(v1.kind === 'ok' ? [v1.client, V1.subarray(v1.consumed).toString()] : v1, [{ ip: '203.0.113.7', port: 40000 }, 'EHLO x\r\n']);
  const v2 = parseProxyHeader(V2);
  assert.deepEqual(v2.kind === 'ok' ? [v2.client, V2.subarray(v2.consumed).toString()] : v2, [{ ip: '198.51.100.9', port: 50000 }, 'EHLO x\r\n']);
});
