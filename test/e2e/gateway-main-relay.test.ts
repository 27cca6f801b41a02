// Real delivery between two gateway processes on loopback: an application submits to gateway A (STARTTLS +
// AUTH); A looks up the MX of b.test in the test DNS server and delivers over SMTP (STARTTLS) to gateway B's
// inbound listener; B delivers to its Maildir. Both Received fields and A's trace tell the story.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { CLI, eventually, GatewayProcess, maildirMessages, writeConfig } from './gateway-main-harness.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'mailflow-gw-relay-'));
const running: GatewayProcess[] = [];
let dns: TestDnsServer | undefined;
after(async () => {
  await Promise.all(running.map((g) => g.stop('SIGKILL')));
  await dns?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('gateway A delivers to gateway B by MX over loopback; B puts it in the Maildir', async () => {
  dns = await TestDnsServer.start({
    'b.test': [{ MX: [10, 'mx.b.test'] }, { TXT: 'v=spf1 ip4:127.0.0.1 -all' }],
    'mx.b.test': [{ A: '127.0.0.1' }],
    'a.test': [{ TXT: 'v=spf1 ip4:127.0.0.1 -all' }],
  });
  const b = await GatewayProcess.start(join(work, 'b'), writeConfig(work, `hostname: mx.b.test
listeners: [{ role: inbound, port: 0 }]
acceptedDomains: [{ domain: b.test, mailboxes: [user] }]
accounts: []
dns: { servers: ["${dns.address}"] }
`, 'b.yaml'));
  running.push(b);
  const a = await GatewayProcess.start(join(work, 'a'), writeConfig(work, `hostname: mx.a.test
listeners: [{ role: submission, port: 0 }]
acceptedDomains: [{ domain: a.test }]
accounts: [{ username: app@a.test, generatedPassword: true, fromAddresses: [app@a.test] }]
connectors: [{ name: lab, ips: [192.0.2.0/24], sendingDomains: [a.test] }]
dns: { servers: ["${dns.address}"] }
delivery: { outboundPort: ${b.port('inbound')} }
`, 'a.yaml'));
  running.push(a);
  // The connector's network is not in a.test's SPF: a warning at start, not a refusal.
  const warning = await a.waitFor((l) => l.event === 'connector-spf');
  assert.equal(warning.code, 'not-authorized');
  assert.equal(warning.connector, 'lab');

  const { stdout } = await run('swaks', ['--server', `127.0.0.1:${a.port('submission')}`, '--tls', '--auth-user', 'app@a.test', '--auth-password', a.password,
    '--from', 'app@a.test', '--to', 'user@b.test', '--header', 'Subject: across', '--body', 'from A to B', '--timeout', '10']);
  assert.match(stdout, /250 2\.0\.0 OK queued/);
  await eventually(() => maildirMessages(join(work, 'b'), 'user@b.test').length === 1, 15_000, 'delivery at B');
  const [message] = maildirMessages(join(work, 'b'), 'user@b.test');
  const received = (message ?? '').split('\r\n').filter((l) => l.startsWith('Received:') || l.startsWith('\tby'));
  assert.match(received[0] ?? '', /^Received: from mx\.a\.test \(\[127\.0\.0\.1\]\) \(using TLSv1\.[23] /);
  assert.match(received[1] ?? '', /by mx\.b\.test \(mailflow\) with ESMTPS id [0-9a-z]{21}$/);
  assert.match(received[3] ?? '', /by mx\.a\.test \(mailflow\) with ESMTPSA id [0-9a-z]{21}$/);
  assert.match(message ?? '', /from A to B/);

  await eventually(async () => {
    const trace = await run(process.execPath, [...CLI, 'trace', '--data-dir', join(work, 'a'), '--json']);
    return (JSON.parse(trace.stdout) as { status: string }[])[0]?.status === 'delivered';
  }, 10_000, 'trace at A');
  const trace = await run(process.execPath, [...CLI, 'trace', '--data-dir', join(work, 'a'), '--json']);
  const events = (JSON.parse(trace.stdout) as { events: { kind: string; data: Record<string, unknown> }[] }[])[0]?.events ?? [];
  const attempt = events.find((e) => e.kind === 'attempt');
  assert.equal(attempt?.data.mx, 'mx.b.test');
  assert.ok(dns.queries.some((q) => q.name.toLowerCase() === 'b.test' && q.type === 'MX'));
  assert.equal((await a.stop()).code, 0);
  assert.equal((await b.stop()).code, 0);
});
