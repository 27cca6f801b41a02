// The MX loop check in the whole gateway: a relayed message for a domain whose only MX is this gateway (its
// address and, here, the delivery port are our inbound listener's) is not sent back to ourselves: it fails
// with 554 5.4.6 "loops back to myself" and the sender gets the DSN in its mailbox. Real DNS server, real SMTP.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireResolver } from '../../src/adapters/dns/wire-resolver.js';
import { parseConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway/main.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { RawClient } from './gateway-harness.js';
import { eventually, maildirMessages } from './gateway-main-harness.js';

const work = mkdtempSync(join(tmpdir(), 'mailflow-mx-loop-'));
const dataDir = join(work, 'data');
let dns: TestDnsServer;
let gw: RunningGateway;
let inboundPort = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

before(async () => {
  dns = await TestDnsServer.start({
    'loop.test': [{ MX: [10, 'mx.loop.test'] }],
    'mx.loop.test': [{ A: '127.0.0.1' }],
  });
  inboundPort = await freePort();
  const parsed = parseConfig(`hostname: mx.inbox.test
listeners: [{ role: inbound, host: 127.0.0.1, port: ${inboundPort}, tls: none }]
acceptedDomains: [{ domain: inbox.test, mailboxes: [sender] }]
connectors: [{ name: lab, ips: [127.0.0.2] }]
delivery: { outboundPort: ${inboundPort} }
log: { level: warn }
`);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  gw = await startGateway({ config: parsed.config, dataDir, logger: { log: () => undefined }, resolver: new WireResolver({ servers: [dns.address], caseRandomization: false, timeoutMs: 500, attempts: 1 }) });
});

after(async () => {
  await gw?.stop(100);
  await dns?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('mail for a domain whose MX is this gateway fails with 5.4.6 instead of looping, and bounces to the sender', async () => {
  const client = await RawClient.connect(inboundPort, { localAddress: '127.0.0.2' });
  let id = '';
  try {
    assert.equal((await client.read()).code, 220);
    assert.equal((await client.command('EHLO lab.inbox.test')).code, 250);
    assert.equal((await client.command('MAIL FROM:<sender@inbox.test>')).code, 250);
    assert.equal((await client.command('RCPT TO:<someone@loop.test>')).code, 250);
    assert.equal((await client.command('DATA')).code, 354);
    client.send('From: <sender@inbox.test>\r\nTo: <someone@loop.test>\r\nSubject: round and round\r\n\r\nhello\r\n.\r\n');
    const reply = await client.read(10_000);
    assert.equal(reply.code, 250);
    id = /queued as (\S+)/.exec(reply.text)?.[1] ?? '';
  } finally {
    client.destroy();
  }
  await eventually(async () => (await gw.store.queryTrace({ id }))[0]?.status === 'bounced', 10_000, 'the loop bounces');
  const [trace] = await gw.store.queryTrace({ id });
  const status = trace?.events.find((e) => e.kind === 'status')?.data;
  assert.deepEqual([status?.['code'], status?.['enhanced']], [554, '5.4.6']);
  assert.match(String(status?.['reply']), /mail for loop\.test loops back to myself: mx\.loop\.test is this gateway/);
  // No connection was made: the one attempt is the route's verdict, with no MX address tried.
  const attempts = trace?.events.filter((e) => e.kind === 'attempt') ?? [];
  assert.ok(attempts.length > 0 && attempts.every((e) => e.data['ip'] === undefined), JSON.stringify(attempts));
  await eventually(() => maildirMessages(dataDir, 'sender@inbox.test').length === 1, 10_000, 'the DSN in the sender mailbox');
  assert.match(maildirMessages(dataDir, 'sender@inbox.test')[0] ?? '', /Status: 5\.4\.6/);
});
