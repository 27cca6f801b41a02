// The whole gateway as a process: swaks submits over STARTTLS + AUTH with the printed password and the message
// lands in the postmaster Maildir; the password survives a restart; SIGTERM keeps queued mail; `mailflow
// config check` on good and bad files.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteQueueStore } from '../../src/adapters/storage/sqlite/queue-store.js';
import { CLI, eventually, GatewayProcess, gatewayTestScope, LOOPBACK_LISTENERS, maildirMessages, writeConfig } from './gateway-main-harness.js';

const run = promisify(execFile);
const { work, running } = gatewayTestScope('mailflow-gw-main-');

async function start(dataDir: string, config?: string): Promise<GatewayProcess> {
  const gw = await GatewayProcess.start(dataDir, config);
  running.push(gw);
  return gw;
}

/** swaks as the newcomer runs it: the printed command, with the port the test gateway bound. */
function swaksArgs(command: string): string[] {
  const args = command.split(' ').slice(1).map((a) => a.replace(/^'(.*)'$/, '$1'));
  return [...args, '--header', 'Subject: first message', '--body', 'hello from swaks', '--timeout', '10'];
}

describe('mailflow gateway (the process)', () => {
  const dataDir = join(work, 'data');
  const config = writeConfig(work, `hostname: mx.mailflow.test\n${LOOPBACK_LISTENERS}`);

  test('swaks submits with STARTTLS + AUTH using the printed command; the message lands in the postmaster Maildir', async () => {
    const gw = await start(dataDir, config);
    assert.match(gw.password, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(statSync(join(dataDir, 'accounts', 'demo@mailflow.test.password')).mode & 0o777, 0o600);
    const port = gw.port('submission');
    assert.equal(gw.firstMessage, `swaks --server 127.0.0.1:${port} --tls --auth-user demo@mailflow.test --auth-password '${gw.password}' --from demo@mailflow.test --to postmaster@mailflow.test`);
    const { stdout } = await run('swaks', swaksArgs(gw.firstMessage));
    assert.match(stdout, /<~ {2}250 2\.0\.0 OK queued as/);
    assert.match(stdout, /<~ {2}235 /);
    await eventually(() => maildirMessages(dataDir, 'postmaster@mailflow.test').length === 1, 10_000, 'Maildir delivery');
    const [message] = maildirMessages(dataDir, 'postmaster@mailflow.test');
    assert.match(message ?? '', /^Return-Path: <demo@mailflow\.test>\r\nDelivered-To: postmaster@mailflow\.test\r\nReceived: from \S+ \(\[127\.0\.0\.1\]\) \(using TLSv1\.[23] with cipher \S+\) \(authenticated as demo@mailflow\.test\)\r\n\tby mx\.mailflow\.test \(mailflow\) with ESMTPSA id [0-9a-z]{21}\r\n/);
    assert.match(message ?? '', /hello from swaks/);
    assert.ok(gw.lines.some((l) => l.event === 'smtp-queued' && l.direction === 'inbound'));
    // The embedded defaults have an inbound listener and inboundAuth off: the start says so.
    assert.ok(gw.lines.some((l) => l.event === 'inbound-auth-off' && l.level === 'info'));
    // The trace command reads the same database while the gateway runs.
    const trace = await run(process.execPath, [...CLI, 'trace', '--data-dir', dataDir, '--json']);
    const [traced] = JSON.parse(trace.stdout) as { status: string; mailFrom: string }[];
    assert.equal(traced?.status, 'delivered');
    // A wrong password is refused; the same data directory cannot be used twice.
    const wrong = (await run('swaks', swaksArgs(gw.firstMessage.replace(gw.password, 'wrong'))).catch((e: unknown) => e)) as { stdout: string };
    assert.match(wrong.stdout, /<~\* 535 5\.7\.8 /);
    const second = await run(process.execPath, [...CLI, 'gateway', '--data-dir', dataDir, '--config', config]).catch((e: { code: number; stderr: string }) => e);
    assert.equal((second as { code: number }).code, 1);
    assert.match((second as { stderr: string }).stderr, /in use by a running gateway/);
    const stopped = await gw.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    assert.ok(gw.lines.some((l) => l.event === 'stopped'));
  });

  test('the next start keeps the generated password and certificate', async () => {
    const before = statSync(join(dataDir, 'tls', 'self-signed.crt')).mtimeMs;
    const first = running[0]?.password;
    const gw = await start(dataDir, config);
    assert.equal(gw.password, first);
    assert.equal(statSync(join(dataDir, 'tls', 'self-signed.crt')).mtimeMs, before);
    assert.ok(!gw.lines.some((l) => l.event === 'certificate-generated'));
    assert.equal((await gw.stop('SIGINT')).code, 0);
  });

  test('SIGTERM keeps queued mail; the next start delivers it', async () => {
    const dir = join(work, 'paused');
    const paused = writeConfig(work, `${LOOPBACK_LISTENERS}delivery: { paused: true }\n`, 'paused.yaml');
    const gw = await start(dir, paused);
    assert.ok(gw.lines.some((l) => l.event === 'delivery-paused'));
    // Direct send (unauthenticated) to our own domain over the inbound listener.
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${gw.port('inbound')}`, '--from', 'someone@example.net', '--to', 'postmaster@mailflow.test', '--timeout', '10']);
    assert.match(stdout, /250 2\.0\.0 OK queued/);
    assert.equal((await gw.stop('SIGTERM')).code, 0);
    const store = SqliteQueueStore.openInDataDir(dir, { readonly: true });
    const counts = await store.counts();
    await store.close();
    assert.equal(counts.incoming, 1);
    assert.deepEqual(maildirMessages(dir, 'postmaster@mailflow.test'), []);
    const again = await start(dir, writeConfig(work, LOOPBACK_LISTENERS, 'unpaused.yaml'));
    await eventually(() => maildirMessages(dir, 'postmaster@mailflow.test').length === 1, 10_000, 'delivery after restart');
    assert.equal((await again.stop()).code, 0);
  });
});

describe('mailflow config check', () => {
  test('a valid file: exit 0 and a summary', async () => {
    const file = writeConfig(work, `hostname: mx.example.com\n${LOOPBACK_LISTENERS}acceptedDomains: [{ domain: example.com }]\n`, 'good.yaml');
    const { stdout } = await run(process.execPath, [...CLI, 'config', 'check', file]);
    assert.match(stdout, /good\.yaml: valid — 2 listener\(s\), 1 accepted domain\(s\), 1 account\(s\), 0 connector\(s\)/);
  });

  test('an invalid file: exit 2 and each error with line, column, key path and expectation', async () => {
    const file = writeConfig(work, 'listners: []\nlisteners:\n  - role: inbound\n    port: 99999\nlimits:\n  maxRecipients: many\n', 'bad.yaml');
    const failed = (await run(process.execPath, [...CLI, 'config', 'check', file]).catch((e: unknown) => e)) as { code: number; stdout: string; stderr: string };
    assert.equal(failed.code, 2);
    assert.deepEqual(failed.stdout.trim().split('\n'), [
      `${file}:1:1: listners: unknown setting 'listners'; did you mean 'listeners'? (known here: hostname, dataDir, listeners, acceptedDomains, accounts, connectors, directSend, inboundAuth, trace, mtaStsHosting, dkimSigning, limits, tls, outboundTls, tlsRpt, bareLineEndings, dns, delivery, log)`,
      `${file}:4:11: listeners[0].port: expected an integer 0–65535, got 99999 (a number)`,
      `${file}:6:18: limits.maxRecipients: expected an integer ≥ 1, got 'many' (a string)`,
    ]);
    assert.match(failed.stderr, /3 errors/);
    const json = (await run(process.execPath, [...CLI, '--json', 'config', 'check', file]).catch((e: unknown) => e)) as { stdout: string };
    assert.equal((JSON.parse(json.stdout) as { valid: boolean; errors: unknown[] }).errors.length, 3);
    // The gateway refuses to start on it, with the same errors.
    const gateway = (await run(process.execPath, [...CLI, 'gateway', '--data-dir', join(work, 'never'), '--config', file]).catch((e: unknown) => e)) as { code: number; stderr: string };
    assert.equal(gateway.code, 2);
    assert.match(gateway.stderr, /listeners\[0\]\.port: expected an integer/);
  });

  test('config schema prints the table; --json gives rows', async () => {
    const { stdout } = await run(process.execPath, [...CLI, '--json', 'config', 'schema']);
    const rows = JSON.parse(stdout) as { key: string }[];
    assert.ok(rows.some((r) => r.key === 'delivery.smartHost'));
  });
});
