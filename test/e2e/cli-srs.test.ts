// End-to-end tests of `mailflow srs forward|reverse`, in-process through main().

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli-runner.js';

const NOW = '1577836860'; // PostSRSd's test clock: stamp 2W
let dir: string;
let secretFile: string;
let rotatedFile: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailflow-srs-cli-'));
  secretFile = join(dir, 'secret');
  rotatedFile = join(dir, 'rotated');
  writeFileSync(secretFile, 'tops3cr3t\n');
  writeFileSync(rotatedFile, 'newer\ntops3cr3t\n');
  writeFileSync(join(dir, 'empty'), '\n\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('srs forward --json gives { address, result, reason }', async () => {
  const out = await runCli(['srs', 'forward', 'test@otherdomain.com', '--domain', 'example.com', '--secret-file', secretFile, '--now', NOW, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.deepEqual(json, { address: 'test@otherdomain.com', result: 'SRS0=vmyz=2W=otherdomain.com=test@example.com', reason: null, scheme: 'SRS0' });
});

test('srs forward prints the address; a local sender is returned unchanged with a note', async () => {
  const out = await runCli(['--now', NOW, 'srs', 'forward', 'test@otherdomain.com', '--domain', 'example.com', '--secret-file', secretFile]);
  assert.equal(out.stdout, 'SRS0=vmyz=2W=otherdomain.com=test@example.com\n');
  const local = await runCli(['srs', 'forward', 'me@example.com', '--domain', 'example.com', '--secret-file', secretFile, '--json']);
  assert.deepEqual(JSON.parse(local.stdout), { address: 'me@example.com', result: 'me@example.com', reason: 'local-domain' });
});

test('srs reverse: rotation, case smashing, and failures as verdicts (exit 0)', async () => {
  const ok = await runCli(['srs', 'reverse', 'srs0=xjo9=2v=otherdomain.com=test@example.com', '--secret-file', rotatedFile, '--now', NOW, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).result, 'test@otherdomain.com');
  const bad = await runCli(['srs', 'reverse', 'SRS0=FAKE=2V=otherdomain.com=test@example.com', '--secret-file', secretFile, '--now', NOW, '--json']);
  assert.equal(bad.code, 0);
  const json = JSON.parse(bad.stdout);
  assert.equal(json.result, null);
  assert.equal(json.reason, 'bad-hash');
  const human = await runCli(['srs', 'reverse', 'SRS0=XjO9@example.com', '--secret-file', secretFile, '--now', NOW]);
  assert.equal(human.stdout, '');
  assert.match(human.stderr, /^malformed: no time stamp/);
});

test('usage errors exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['srs', 'forward', 'a@b.example', '--domain', 'example.com', '--secret-file', join(dir, 'missing')], /cannot read secret file/],
    [['srs', 'forward', 'a@b.example', '--domain', 'example.com', '--secret-file', join(dir, 'empty')], /holds no secret/],
    [['srs', 'forward', 'a@b.example', '--domain', 'not a domain', '--secret-file', secretFile], /not a domain name/],
    [['srs', 'forward', 'a@b.example', '--domain', 'example.com', '--secret-file', secretFile, '--separator', '#'], /separator/],
    [['srs', 'forward', 'a@b.example', '--domain', 'example.com', '--secret-file', secretFile, '--max-age', 'x'], /whole number/],
    [['srs', 'reverse', 'a@b.example', '--secret-file', secretFile, '--now', 'yesterday'], /Unix seconds/],
    [['srs', 'forward', 'a@b.example', '--secret-file', secretFile], /domain/],
  ];
  for (const [argv, message] of cases) {
    const out = await runCli(argv);
    assert.equal(out.code, 2, argv.join(' '));
    assert.match(out.stderr, message, argv.join(' '));
  }
});
