// `mailflow queue` against a running gateway process: swaks submits a message while delivery is paused, and the
// queue command (another process) lists it, holds it, shows it, releases it, while the gateway keeps the
// database open; after a restart with delivery on, a held message stays undelivered and a released one is
// delivered to the Maildir.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, eventually, GatewayProcess, gatewayTestScope, LOOPBACK_LISTENERS, maildirMessages, writeConfig } from './gateway-main-harness.js';

const run = promisify(execFile);
const { work, running } = gatewayTestScope('mailflow-queue-e2e-');

async function queue(dataDir: string, ...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [...CLI, 'queue', ...args, '--data-dir', dataDir, '--json']);
  return JSON.parse(stdout) as unknown;
}

async function send(gw: GatewayProcess, subject: string): Promise<void> {
  const args = gw.firstMessage.split(' ').slice(1).map((a) => a.replace(/^'(.*)'$/, '$1'));
  const { stdout } = await run('swaks', [...args, '--header', `Subject: ${subject}`, '--body', `${subject} body`, '--timeout', '10']);
  assert.match(stdout, /<~ {2}250 2\.0\.0 OK queued as/);
}

test('mailflow queue works on a running gateway; held mail stays, released mail is delivered', async () => {
  const dataDir = join(work, 'data');
  const paused = writeConfig(work, `hostname: mx.mailflow.test\ndelivery:\n  paused: true\n${LOOPBACK_LISTENERS}`, 'paused.yaml');
  const gw = await GatewayProcess.start(dataDir, paused);
  running.push(gw);
  await send(gw, 'keep me');
  await send(gw, 'hold me');

  const listed = (await queue(dataDir, 'list')) as { id: string; state: string }[];
  assert.equal(listed.length, 2);
  assert.ok(listed.every((m) => m.state === 'incoming'));
  const [keep, hold] = listed.map((m) => m.id) as [string, string];
  await queue(dataDir, 'hold', hold, '--reason', 'checking it first');
  await queue(dataDir, 'hold', keep);
  assert.deepEqual(await queue(dataDir, 'counts'), { incoming: 0, active: 0, deferred: 0, hold: 2, corrupt: 0 });
  const { stdout: body } = await run(process.execPath, [...CLI, 'queue', 'show', hold, '--body', '--data-dir', dataDir]);
  assert.match(body, /Subject: hold me/);
  assert.deepEqual(await queue(dataDir, 'release', keep), { id: keep, state: 'deferred', previousReason: 'held by an operator' });
  assert.equal((await gw.stop('SIGTERM')).code, 0);

  // Delivery on: the released message is delivered, the held one is not.
  const live = writeConfig(work, `hostname: mx.mailflow.test\n${LOOPBACK_LISTENERS}`, 'live.yaml');
  const again = await GatewayProcess.start(dataDir, live);
  running.push(again);
  await eventually(() => maildirMessages(dataDir, 'postmaster@mailflow.test').length === 1, 15_000, 'released message delivered');
  assert.match(maildirMessages(dataDir, 'postmaster@mailflow.test')[0] ?? '', /Subject: keep me/);
  const held = (await queue(dataDir, 'list', '--state', 'hold')) as { id: string; reason: string }[];
  assert.deepEqual(held.map((m) => [m.id, m.reason]), [[hold, 'checking it first']]);
  assert.equal(maildirMessages(dataDir, 'postmaster@mailflow.test').length, 1);
  assert.equal((await again.stop('SIGTERM')).code, 0);
});
