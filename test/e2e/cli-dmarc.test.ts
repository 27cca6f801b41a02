// End-to-end tests of `mailflow dmarc check` and `mailflow psl update`, in-process, with DNS from a zone
// file (--zone).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-dmarc-'));
const zoneFile = join(dir, 'zone.json');
writeFileSync(
  zoneFile,
  JSON.stringify({
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; pct=50; rua=dmarc@example.com; reject' }],
    '_dmarc.gov': [{ TXT: 'v=DMARC1; p=reject; psd=y' }],
    '_dmarc.slow.example': ['TIMEOUT'],
  }),
);

test('dmarc check shows the record, policy and issues with fixes', async () => {
  const out = await runCli(['dmarc', 'check', 'mail.example.com', '--zone', zoneFile]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /record at _dmarc\.example\.com \(organizational\)/);
  assert.match(out.stdout, /policy for mail\.example\.com: sp=reject/);
  assert.match(out.stdout, /fix: did you mean "p=reject"\?/);
  assert.match(out.stdout, /fix: write "mailto:dmarc@example.com"/);
  assert.match(out.stdout, /legacy-tag \(pct\)/);
});

test('dmarc check --json, PSD policy, none and temperror', async () => {
  const psd = await runCli(['dmarc', 'check', 'agency.gov', '--zone', zoneFile, '--json']);
  const json = JSON.parse(psd.stdout);
  assert.equal(json.discovery.kind, 'found');
  assert.equal(json.discovery.policy.source, 'psd');
  assert.equal(json.organizationalDomain.domain, 'agency.gov');
  const none = await runCli(['dmarc', 'check', 'example.org', '--zone', zoneFile]);
  assert.match(none.stdout, /no DMARC policy/);
  assert.match(none.stdout, /fix: publish a TXT record at _dmarc\.example\.org/);
  const slow = await runCli(['dmarc', 'check', 'slow.example', '--zone', zoneFile]);
  assert.match(slow.stdout, /temperror \(dns-timeout\)/);
  const bad = await runCli(['dmarc', 'check', 'not a domain', '--zone', zoneFile]);
  assert.equal(bad.code, 2);
  const mode = await runCli(['dmarc', 'check', 'example.com', '--mode', 'rfc1234', '--zone', zoneFile]);
  assert.equal(mode.code, 2);
});

test('psl update validates and installs atomically', async () => {
  const target = join(dir, 'installed.dat');
  const source = new URL('../../share/public_suffix_list.dat', import.meta.url);
  const ok = await runCli(['psl', 'update', '--file', source.pathname, '--to', target]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /installed \d+ rules/);
  assert.equal(readFileSync(target, 'utf8'), readFileSync(source, 'utf8'));
  const junk = join(dir, 'junk.dat');
  writeFileSync(junk, '<html>not a list</html>\n');
  const bad = await runCli(['psl', 'update', '--file', junk, '--to', target]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not installed/);
  assert.equal(readFileSync(target, 'utf8'), readFileSync(source, 'utf8'), 'the old list stays');
  const missing = await runCli(['psl', 'update', '--file', join(dir, 'missing.dat'), '--to', target]);
  assert.equal(missing.code, 2);
});
