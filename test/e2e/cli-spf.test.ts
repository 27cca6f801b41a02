// End-to-end tests of `mailflow spf …`: in-process through main() and as a real child process, with DNS
// answered by the test DNS server over UDP/TCP on 127.0.0.1 (never a live lookup).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import type { ZoneData } from '../../src/testing/zone.js';
import { runCli, runCliProcess } from '../support/cli-runner.js';

const exampleZone = JSON.parse(readFileSync(new URL('../../examples/example-zone.json', import.meta.url), 'utf8')) as ZoneData;
const zone: ZoneData = {
  ...exampleZone,
  'strict.example': [{ TXT: 'v=spf1 ip4:192.0.2.1 -all exp=explain.strict.example' }],
  'explain.strict.example': [{ TXT: '%{i} is not one of %{d}\'s designated mail servers' }],
  'broken.example': ['SERVFAIL'],
};

let server: TestDnsServer;
before(async () => {
  server = await TestDnsServer.start(zone);
});
after(async () => {
  await server.stop();
});

test('spf check --json passes through a nested include, with options after the subcommand', async () => {
  const out = await runCli(['spf', 'check', '--ip', '203.0.113.9', '--sender', 'alice@example.com', '--dns', server.address, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.result, 'pass');
  assert.equal(typeof json.reason, 'string');
  assert.equal(json.lookups, 2);
  assert.equal(json.voidLookups, 0);
  assert.ok(Array.isArray(json.trail) && json.trail.length > 0);
  assert.match(json.receivedSpf, /^Received-SPF: pass/);
  assert.match(json.authenticationResults, /^spf=pass\b.*\bsmtp\.mailfrom=alice@example\.com/);
});

test('global options work before the subcommand too', async () => {
  const out = await runCli(['--json', '--dns', server.address, 'spf', 'check', '--ip', '192.0.2.200', '--sender', 'bob@example.com']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).result, 'pass');
});

test('a fail carries the expanded exp= explanation; exit code is still 0', async () => {
  const out = await runCli(['spf', 'check', '--ip', '192.0.2.77', '--sender', 'x@strict.example', '--dns', server.address, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.result, 'fail');
  assert.equal(json.explanation, "192.0.2.77 is not one of strict.example's designated mail servers");
});

test('a SERVFAIL gives temperror, not a crash', async () => {
  const out = await runCli(['spf', 'check', '--ip', '192.0.2.1', '--sender', 'x@broken.example', '--dns', server.address, '--json']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).result, 'temperror');
});

test('human output names the result and the trail', async () => {
  const out = await runCli(['spf', 'check', '--ip', '198.51.100.3', '--sender', 'alice@example.com', '--dns', server.address]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /spf.*pass/);
  assert.match(out.stdout, /include:_spf\.example\.com/);
  assert.match(out.stdout, /Authentication-Results: mailflow; spf=pass/);
});

test('usage errors exit 2 with one line on stderr', async () => {
  for (const argv of [
    ['spf', 'check', '--ip', 'not-an-ip', '--sender', 'a@example.com', '--dns', server.address],
    ['spf', 'check', '--sender', 'a@example.com'],
    ['spf', 'check', '--ip', '192.0.2.1', '--sender', 'a@example.com', '--bogus'],
    ['spf', 'check', '--ip', '192.0.2.1', '--sender', '', '--dns', server.address],
    ['spf', 'check', '--ip', '192.0.2.1', '--sender', 'a@example.com', '--dns', 'not a server'],
    ['spf', 'lint', 'bad domain!'],
    ['--now', 'yesterday', 'spf', 'lint', 'example.com'],
    ['no-such-command'],
  ]) {
    const out = await runCli(argv);
    assert.equal(out.code, 2, `${argv.join(' ')} → ${out.code}: ${out.stderr}`);
    assert.ok(out.stderr.trim().length > 0, `stderr for ${argv.join(' ')}`);
    assert.equal(out.stdout, '');
  }
});

test('spf lint reports risky terms with a fix each', async () => {
  const out = await runCli(['spf', 'lint', 'legacy.example.org', '--dns', server.address, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout);
  assert.equal(report.domain, 'legacy.example.org');
  const codes = report.findings.map((f: { code: string }) => f.code);
  assert.ok(report.findings.every((f: { fix: string; severity: string }) => f.fix.length > 0 && ['error', 'warning', 'info'].includes(f.severity)));
  assert.ok(codes.length >= 3, `findings: ${codes.join(', ')}`);
  const human = await runCli(['spf', 'lint', 'legacy.example.org', '--dns', server.address]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /fix:/);
});

test('the command runs as a process, with MAILFLOW_DNS and with --zone', async () => {
  const viaEnv = await runCliProcess(['spf', 'check', '--ip', '203.0.113.9', '--sender', 'a@example.com', '--json'], {
    ...process.env,
    MAILFLOW_DNS: server.address,
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).result, 'pass');

  const viaZone = await runCliProcess(['spf', 'check', '--ip', '192.0.2.10', '--sender', 'alice@example.com', '--zone', 'examples/example-zone.json', '--json']);
  assert.equal(viaZone.code, 0, viaZone.stderr);
  assert.equal(JSON.parse(viaZone.stdout).result, 'pass');

  const usage = await runCliProcess(['spf', 'check', '--ip', '1.2.3']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^mailflow|error/m);
});
