// The RFC 9990 writer: a report with every field survives parse → write → parse; the §3.1 file name; values the
// schema cannot carry are refused (RangeError) or listed as omitted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { dmarcReportFilename, dmarcReportToXml, generateDmarcReport } from './generate.js';
import { parseDmarcReport } from './parse.js';
import type { DmarcAggregateReport } from './types.js';

const full: DmarcAggregateReport = {
  version: '1.0',
  namespace: 'urn:ietf:params:xml:ns:dmarc-2.0',
  metadata: {
    orgName: 'Receiver & Co <mx>',
    email: 'dmarc@receiver.example',
    extraContactInfo: 'https://receiver.example/dmarc',
    reportId: 'r-2026-01-01',
    dateRange: { begin: 1767225600, end: 1767311999 },
    errors: ['one error'],
    generator: 'mailflow',
  },
  policyPublished: { domain: 'example.com', p: 'reject', sp: 'quarantine', np: 'reject', adkim: 's', aspf: 'r', discoveryMethod: 'treewalk', fo: '1', testing: 'n' },
  records: [
    {
      sourceIp: '2001:db8::25',
      count: 42,
      policyEvaluated: { disposition: 'pass', dkim: 'pass', spf: 'fail', reasons: [{ type: 'mailing_list', comment: 'list.example' }, { type: 'local_policy' }] },
      identifiers: { headerFrom: 'example.com', envelopeFrom: 'bounce.example.com', envelopeTo: 'receiver.example' },
      authResults: {
        dkim: [
          { domain: 'example.com', selector: 's1', result: 'pass', humanResult: '2048-bit key' },
          { domain: 'esp.example', selector: 'x', result: 'fail' },
        ],
        spf: [{ domain: 'bounce.example.com', scope: 'mfrom', result: 'softfail', humanResult: '~all' }],
      },
    },
  ],
};

test('parse → write → parse keeps every field of an RFC 9990 report', async () => {
  const { xml, omitted } = dmarcReportToXml(full);
  assert.deepEqual(omitted, []);
  assert.match(xml, /<org_name>Receiver &amp; Co &lt;mx&gt;<\/org_name>/);
  const back = await parseDmarcReport(xml);
  assert.ok(back.ok);
  assert.deepEqual(back.value, full);
  assert.deepEqual(back.warnings, []);
  const again = dmarcReportToXml(back.value);
  assert.equal(again.xml, xml);
});

test('generateDmarcReport: gzip and the §3.1 file name', async () => {
  const out = generateDmarcReport(full, { receiver: 'mx.receiver.example', uniqueId: 'a1B2' });
  assert.equal(out.filename, 'mx.receiver.example!example.com!1767225600!1767311999!a1B2.xml.gz');
  assert.equal(gunzipSync(out.gzip).toString('utf8'), out.xml);
  const back = await parseDmarcReport(out.gzip);
  assert.equal(back.ok && back.format, 'gzip');
  assert.equal(dmarcReportFilename({ receiver: 'r.example', policyDomain: 'example.com', begin: 1, end: 2, gzip: false }), 'r.example!example.com!1!2.xml');
  for (const bad of [{ receiver: 'a!b' }, { policyDomain: 'x/y' }, { uniqueId: 'not-alnum' }, { uniqueId: '' }, { begin: -1 }, { end: 1.5 }]) {
    assert.throws(() => dmarcReportFilename({ receiver: 'r.example', policyDomain: 'example.com', begin: 1, end: 2, ...bad }), RangeError, JSON.stringify(bad));
  }
});

test('what RFC 9990 cannot carry: refused or listed as omitted', () => {
  const legacy: DmarcAggregateReport = {
    ...full,
    metadata: { ...full.metadata, errors: ['a', 'b'] },
    policyPublished: { ...full.policyPublished, pct: 50, psd: 'n' },
    records: [{ ...full.records[0]!, authResults: { dkim: [{ domain: 'example.com', result: 'pass' }], spf: [{ domain: 'example.com', scope: 'helo', result: 'pass' }, { domain: 'b.example', result: 'none' }] } }],
  };
  const { xml, omitted } = dmarcReportToXml(legacy);
  assert.equal(omitted.length, 5);
  assert.match(xml, /<selector><\/selector>/);
  const record = full.records[0]!;
  const refusals: DmarcAggregateReport[] = [
    { ...full, records: [] },
    { ...full, policyPublished: { domain: 'example.com' } },
    { ...full, records: [{ ...record, policyEvaluated: { reasons: [] } }] },
    { ...full, records: [{ ...record, policyEvaluated: { ...record.policyEvaluated, reasons: [{ type: 'forwarded' }] } }] },
    { ...full, records: [{ ...record, authResults: { dkim: [{ domain: 'd', result: 'softfail' }], spf: [] } }] },
    { ...full, records: [{ ...record, count: -1 }] },
  ];
  for (const report of refusals) assert.throws(() => dmarcReportToXml(report), RangeError);
});
