// Every DMARC aggregate report sample we have (parsedmarc's aggregate/, aggregate_invalid/, extract_report/ and
// empty.xml; OpenDMARC's four 2012 reports) goes through parseDmarcReport, with spot checks of values read off
// the files; each parsed report is then written as RFC 9990 XML, validated with xmllint against the RFC's XSD
// (an independent validator) and parsed again. Prints `dmarc reports: N parsed, M skipped (...), K failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDmarcReport, parseDmarcReportXml, type DmarcParseResult } from '../../src/reports/dmarc/parse.js';
import { dmarcReportToXml } from '../../src/reports/dmarc/generate.js';
import type { DmarcAggregateReport } from '../../src/reports/dmarc/types.js';

const ROOT = '/work/shared/conformance';
const XSD = join(ROOT, 'dmarc-report-schema/DmarcAggregateReport_rfc9990.xsd');
const DIRS = ['dmarc-reports-parsedmarc/aggregate', 'dmarc-reports-parsedmarc/aggregate_invalid', 'dmarc-reports-parsedmarc/extract_report', 'dmarc-reports-opendmarc'];
const expectations = JSON.parse(readFileSync(new URL('./dmarc-reports-expectations.json', import.meta.url), 'utf8')) as { skip: Record<string, { code: string; reason: string }> };

/** Values read off the files by hand: org_name, report_id, records, sum of counts, first source_ip, first disposition. */
const SPOT: Record<string, [string, string, number, number, string, string]> = {
  '!large-example.com!1711897200!1711983600.xml': ['', 'example.com:1711897200', 2286, 2286, '12.20.121.1', 'none'],
  'Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml': ['google.com', '949348866075514174', 1, 1, '92.53.116.102', 'reject'],
  'estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip': ['XYZ Corporation', '2940', 1, 1, '148.243.137.254', 'none'],
  'fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz': ['FastMail Pty Ltd', '102675056', 1, 1, '104.195.80.20', 'none'],
  'ikea.com!example.de!1538690400!1538776800.xml': ['ikea.com', 'aggr_report_2018_10_05_5bc7e9b4f3e8a', 1, 1, '234.234.234.234', 'none'],
  'mimecast-weird-gzip.eml': ['Mimecast', '157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e', 1, 1, '40.93.199.22', 'none'],
  'old_draft_from_wiki.xml': ['acme.com', '9391651994964116463', 1, 2, '72.150.241.94', 'none'],
  'rfc9990-sample.xml': ['Sample Reporter', '3v98abbp8ya9n3va8yr8oa3ya', 1, 123, '192.0.2.123', 'pass'],
  'rfc9990-example.net!example.com!1700000000!1700086399.xml': ['example.net', 'dmarcbis-test-report-001', 2, 7, '198.51.100.1', 'none'],
  'twilight.eml': ['google.com', '1627703331531660819', 1, 1, '87.106.127.28', 'none'],
  'usssa.com!example.com!1538784000!1538870399.xml': ['usssa.com', '8953b4d4a4ee4218b6ac0e2cb2667ee1', 2, 2, '12.20.127.40', 'none'],
  '163.com!example.com!1337270400!1337356799.20120518163.xml': ['163.com', 'aggr_report_example.com_20120518_163.com', 50, 92, '66.220.144.159', 'reject'],
  // The file is named good.com but the report inside is 126.com's.
  'good.com!example.com!1337270400!1337356799.xml': ['126.com', 'aggr_report_example.com_20120518_126.com', 754, 183934, '116.233.121.204', 'reject'],
  'yeah.net!example.com!1337270400!1337356799.20120518.xml': ['yeah.net', 'aggr_report_example.com_20120518_yeah.net', 254, 21679, '209.85.214.181', 'none'],
  'nice-input.xml.zip': ['google.com', '11038226378739404135', 20, 3047, '209.85.220.69', 'none'],
};

function files(): string[] {
  const list = DIRS.flatMap((dir) => readdirSync(join(ROOT, dir)).filter((f) => f !== 'LICENSE').map((f) => `${dir}/${f}`));
  return [...list, 'dmarc-reports-parsedmarc/empty.xml'].sort();
}

/** What RFC 9990's schema can carry: the writer leaves out pct, psd and the legacy scope, and writes version 1.0. */
function rfc9990View(report: DmarcAggregateReport): unknown {
  const { pct: _pct, psd: _psd, ...policy } = report.policyPublished;
  return {
    metadata: { ...report.metadata, errors: report.metadata.errors.slice(0, 1) },
    policyPublished: policy,
    records: report.records.map((r) => ({
      ...r,
      authResults: { dkim: r.authResults.dkim, spf: r.authResults.spf.slice(0, 1).map(({ scope, ...s }) => (scope === 'mfrom' ? { ...s, scope } : s)) },
    })),
  };
}

test('DMARC aggregate report samples parse, write as valid RFC 9990 and read back', async () => {
  const all = files();
  const parsed = new Map<string, DmarcParseResult & { ok: true }>();
  const skipped: string[] = [];
  const failed: string[] = [];
  const nowPassing: string[] = [];
  for (const file of all) {
    const result = await parseDmarcReport(readFileSync(join(ROOT, file)));
    const skip = expectations.skip[file];
    if (skip) {
      skipped.push(`${file.split('/').at(-1)}: ${skip.reason}`);
      if (result.ok) nowPassing.push(file);
      else assert.equal(result.error.code, skip.code, `${file}: expected the ${skip.code} error`);
      continue;
    }
    if (!result.ok) failed.push(`${file}: ${result.error.code} ${result.error.message}`);
    else parsed.set(file, result);
  }
  console.log(`dmarc reports: ${parsed.size} parsed, ${skipped.length} skipped (${skipped.join('; ')}), ${failed.length} failed`);
  for (const file of nowPassing) console.log(`dmarc reports: skipped ${file} now parses: remove it from dmarc-reports-expectations.json`);
  assert.deepEqual(failed, []);
  assert.deepEqual(nowPassing, []);
  assert.equal(parsed.size + skipped.length, 29, 'the data holds 29 report files (SOURCES.md)');

  for (const [name, [org, id, records, total, ip, disposition]] of Object.entries(SPOT)) {
    const entry = [...parsed].find(([file]) => file.endsWith(`/${name}`));
    assert.ok(entry, `${name} parsed`);
    const v = entry[1].value;
    assert.equal(v.metadata.orgName, org, name);
    assert.equal(v.metadata.reportId, id, name);
    assert.equal(v.records.length, records, name);
    assert.equal(v.records.reduce((sum, r) => sum + r.count, 0), total, name);
    assert.equal(v.records[0]?.sourceIp, ip, name);
    assert.equal(v.records[0]?.policyEvaluated.disposition, disposition, name);
  }
  await checkSpecialCases(parsed);
  validateAndReadBack(parsed);
});

async function checkSpecialCases(parsed: Map<string, DmarcParseResult & { ok: true }>): Promise<void> {
  const get = (name: string) => [...parsed].find(([file]) => file.endsWith(`/${name}`))?.[1];
  // extract_report: the same XML raw, gzip'd and zipped extracts identically (NOTES.md); changed-input differs.
  const nice = ['nice-input.xml', 'nice-input.xml.gz', 'nice-input.xml.zip'].map((n) => get(n));
  assert.deepEqual(nice.map((r) => r?.format), ['xml', 'gzip', 'zip']);
  assert.deepEqual(nice[1]?.value, nice[0]?.value);
  assert.deepEqual(nice[2]?.value, nice[0]?.value);
  assert.notDeepEqual(get('changed-input.xml')?.value, nice[0]?.value);
  // invalid_xml.xml: markup left in text-only elements is recovered as text.
  const broken = get('invalid_xml.xml');
  assert.equal(broken?.value.metadata.email, '<bad-xml@bad-xml.net>');
  assert.equal(broken?.value.records[0]?.identifiers.headerFrom, 'bad<xml.net');
  assert.ok(broken?.warnings.some((w) => w.includes('recovered')));
  // invalid_utf_8.xml: the stray byte becomes U+FFFD.
  assert.equal(get('invalid_utf_8.xml')?.value.records[0]?.identifiers.headerFrom, 'bad_byte\ufffd');
  // Upper-case result words are lower-cased (parsedmarc's aggregate_invalid sample).
  const upper = get('report_with_upper_cased_pass.xml')?.value.records[0];
  assert.equal(upper?.policyEvaluated.dkim, 'pass');
  assert.equal(upper?.authResults.spf[0]?.result, 'pass');
  // RFC 9990 fields and the namespace.
  const rfc = get('rfc9990-sample.xml')?.value;
  assert.equal(rfc?.version, '1.0');
  assert.equal(rfc?.namespace, 'urn:ietf:params:xml:ns:dmarc-2.0');
  assert.equal(rfc?.metadata.generator, 'Example DMARC Aggregate Reporter v1.2');
  assert.deepEqual(rfc?.policyPublished, { domain: 'example.com', p: 'quarantine', sp: 'none', np: 'none', testing: 'n', discoveryMethod: 'treewalk' });
  assert.deepEqual(get('rfc9990-example.net!example.com!1700000000!1700086399.xml')?.value.records[1]?.policyEvaluated.reasons, [{ type: 'other', comment: 'sender not authorized' }]);
  // Carriers: the mails' attachments.
  assert.equal(get('twilight.eml')?.carrier, 'zip');
  assert.equal(get('mimecast-weird-gzip.eml')?.carrier, 'gzip');
  assert.equal(get('old_draft_from_wiki.xml')?.value.metadata.extraContactInfo, 'http://acme.com/dmarc/support');
  assert.equal(get('empty_reason.xml')?.value.policyPublished.pct, 100);
}

/** Writes every parsed report as RFC 9990, validates all of them with one xmllint run, and parses each back. */
function validateAndReadBack(parsed: Map<string, DmarcParseResult & { ok: true }>): void {
  const dir = mkdtempSync(join(tmpdir(), 'dmarc-xsd-'));
  try {
    const written: string[] = [];
    for (const [i, [file, result]] of [...parsed].entries()) {
      let xml: string;
      try {
        xml = dmarcReportToXml(result.value).xml;
      } catch (error) {
        // bad.com-style gaps are refused by the writer; none of the parsed samples has one.
        assert.fail(`${file}: the writer refused it: ${(error as Error).message}`);
      }
      const path = join(dir, `${i}.xml`);
      writeFileSync(path, xml);
      written.push(path);
      const back = parseDmarcReportSync(xml);
      assert.deepEqual(rfc9990View(back), rfc9990View(result.value), `${file}: parse → write → parse keeps every RFC 9990 field`);
      assert.equal(back.version, '1.0');
    }
    // Not a skip: CI installs libxml2-utils (scripts/install-test-peers.sh); a missing xmllint must be seen.
    const out = execFileSync('xmllint', ['--noout', '--schema', XSD, ...written], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(out, '');
    console.log(`dmarc reports: ${written.length} written as RFC 9990 and valid against the XSD (xmllint)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseDmarcReportSync(xml: string): DmarcAggregateReport {
  const result = parseDmarcReportXml(Buffer.from(xml));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.value;
}
