// End-to-end tests of `mailflow srs forward|reverse`, in-process. Until src/cli/main.ts registers the srs
// group, the commands are mounted on a program with the same global options and exit-code mapping.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { buildProgram, main } from '../../src/cli/main.js';
import { registerSrsCommands } from '../../src/cli/commands/srs.js';
import { UsageError } from '../../src/cli/errors.js';
import type { CliIO } from '../../src/cli/output.js';

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

async function runFallback(argv: string[], io: CliIO): Promise<number> {
  const program = new Command('mailflow').option('--json', '', false).option('--now <unix-seconds>').exitOverride();
  program.configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) });
  registerSrsCommands(program, io);
  for (const c of program.commands) {
    c.exitOverride();
    for (const s of c.commands) s.exitOverride();
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`mailflow: ${error.message}\n`);
      return 2;
    }
    return 1;
  }
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const registered = buildProgram(io).commands.some((c) => c.name() === 'srs');
  const code = registered ? await main(argv, io) : await runFallback(argv, io);
  return { code, stdout, stderr };
}

test('srs forward --json gives { address, result, reason }', async () => {
  const out = await run(['srs', 'forward', 'test@otherdomain.com', '--domain', 'example.com', '--secret-file', secretFile, '--now', NOW, '--json']);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.deepEqual(json, { address: 'test@otherdomain.com', result: 'SRS0=vmyz=2W=otherdomain.com=test@example.com', reason: null, scheme: 'SRS0' });
});

test('srs forward prints the address; a local sender is returned unchanged with a note', async () => {
  const out = await run(['--now', NOW, 'srs', 'forward', 'test@otherdomain.com', '--domain', 'example.com', '--secret-file', secretFile]);
  assert.equal(out.stdout, 'SRS0=vmyz=2W=otherdomain.com=test@example.com\n');
  const local = await run(['srs', 'forward', 'me@example.com', '--domain', 'example.com', '--secret-file', secretFile, '--json']);
  assert.deepEqual(JSON.parse(local.stdout), { address: 'me@example.com', result: 'me@example.com', reason: 'local-domain' });
});

test('srs reverse: rotation, case smashing, and failures as verdicts (exit 0)', async () => {
  const ok = await run(['srs', 'reverse', 'srs0=xjo9=2v=otherdomain.com=test@example.com', '--secret-file', rotatedFile, '--now', NOW, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).result, 'test@otherdomain.com');
  const bad = await run(['srs', 'reverse', 'SRS0=FAKE=2V=otherdomain.com=test@example.com', '--secret-file', secretFile, '--now', NOW, '--json']);
  assert.equal(bad.code, 0);
  const json = JSON.parse(bad.stdout);
  assert.equal(json.result, null);
  assert.equal(json.reason, 'bad-hash');
  const human = await run(['srs', 'reverse', 'SRS0=XjO9@example.com', '--secret-file', secretFile, '--now', NOW]);
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
    const out = await run(argv);
    assert.equal(out.code, 2, argv.join(' '));
    assert.match(out.stderr, message, argv.join(' '));
  }
});
