// `mailflow dmarc report` over the shared sample reports: the summary agrees with the parsed report (message
// totals, pass/fail by policy_evaluated, dispositions, sources), JSON (one document for one file, JSON lines
// with `path` for several), a file that is not a report is a result with its error code (exit 0), and a
// missing file is a usage error (exit 2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { main } from '../main.js';
import { parseDmarcReport } from '../../reports/dmarc/index.js';
import { summarizeDmarcReport } from './dmarc-report.js';

const DIR = new URL('../../../../shared/conformance/dmarc-reports-parsedmarc/aggregate/', import.meta.url).pathname;
const GZ = `${DIR}fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz`;
const ZIP = `${DIR}estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip`;
const EML = `${DIR}Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml`;
const LARGE = `${DIR}!large-example.com!1711897200!1711983600.xml`;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('the summary adds up the records: totals, pass/fail, dispositions, sources largest first', async () => {
  const parsed = await parseDmarcReport(readFileSync(LARGE));
  assert.ok(parsed.ok);
  const s = summarizeDmarcReport(parsed.value);
  const total = parsed.value.records.reduce((n, r) => n + r.count, 0);
  const passing = parsed.value.records.filter((r) => r.policyEvaluated.dkim === 'pass' || r.policyEvaluated.spf === 'pass').reduce((n, r) => n + r.count, 0);
  assert.equal(s.messages, total);
  assert.equal(s.passed, passing);
  assert.equal(s.failed, total - passing);
  assert.equal(Object.values(s.dispositions).reduce((a, b) => a + b, 0), total);
  assert.equal(s.sources.reduce((n, src) => n + src.messages, 0), total);
  for (let k = 1; k < s.sources.length; k++) assert.ok((s.sources[k - 1]?.messages ?? 0) >= (s.sources[k]?.messages ?? 0));
});

test('mailflow dmarc report reads .xml.gz, .zip and mail; text and JSON; several files as JSON lines', async () => {
  const text = await run(['dmarc', 'report', GZ]);
  assert.equal(text.code, 0);
  assert.match(text.out, /^FastMail Pty Ltd about indemed\.com \(p=none sp=none\), 2018-01-16T00:00:00\.000Z → 2018-01-16T23:59:59\.000Z, report 102675056\n1 messages: 0 passed \(0%\), 1 failed; none 1\n {2}104\.195\.80\.20 +1 {2}fail {2}example\.com\n$/);
  const one = JSON.parse((await run(['dmarc', 'report', ZIP, '--json'])).out) as { ok: boolean; format: string; summary: { messages: number } };
  assert.equal(one.ok, true);
  assert.equal(one.format, 'zip');
  assert.ok(one.summary.messages > 0);
  const several = await run(['--json', 'dmarc', 'report', GZ, EML, '/etc/hostname']);
  assert.equal(several.code, 0);
  const lines = several.out.trim().split('\n').map((l) => JSON.parse(l) as { path: string; ok: boolean; format?: string; error?: { code: string } });
  assert.deepEqual(lines.map((l) => [l.path, l.ok]), [[GZ, true], [EML, true], ['/etc/hostname', false]]);
  assert.equal(lines[1]?.format, 'mail');
  assert.equal(lines[2]?.error?.code, 'no-report-part');
});

test('a missing file is a usage error (exit 2) before any output', async () => {
  const missing = await run(['dmarc', 'report', GZ, '/nonexistent/report.xml']);
  assert.equal(missing.code, 2);
  assert.equal(missing.out, '');
  assert.match(missing.err, /report\.xml/);
});
