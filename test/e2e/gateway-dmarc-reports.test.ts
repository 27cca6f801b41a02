// DMARC aggregate reports from the gateway, end to end: the whole gateway (startGateway) verifies mail from
// real SMTP clients against a real DNS server (TestDnsServer), records each verdict, and the day's job writes
// RFC 9990 reports (validated with xmllint against the RFC's XSD) and queues one DKIM-signed report mail per
// authorised rua: the report parsed back (parse.ts) has the counts, IPs and dispositions of what was sent; an
// external rua without its `_report._dmarc` authorisation is skipped; a restart sends nothing again.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WireResolver } from '../../src/adapters/dns/wire-resolver.js';
import { generateDkimKey, verifyDkim } from '../../src/auth/dkim/index.js';
import { parseConfig } from '../../src/config/index.js';
import { utcDayStart } from '../../src/gateway/delivery/tlsrpt-job.js';
import { startGateway, type RunningGateway } from '../../src/gateway/main.js';
import type { GatewayLogger } from '../../src/gateway/process/log.js';
import { parseDmarcReport } from '../../src/reports/dmarc/parse.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { RawClient } from './gateway-harness.js';

const XSD = '/work/shared/conformance/dmarc-report-schema/DmarcAggregateReport_rfc9990.xsd';
const work = mkdtempSync(join(tmpdir(), 'mailflow-dmarc-reports-'));
const dataDir = join(work, 'data');
const key = generateDkimKey({ type: 'ed25519', domain: 'inbox.test', selector: 'rep' });
const keyFile = join(work, 'rep.key');

let dns: TestDnsServer;
let gw: RunningGateway;
let resolver: WireResolver;
const logged: { level: string; event: string; fields: Record<string, unknown> }[] = [];
const logger: GatewayLogger = { log: (level, event, fields) => void logged.push({ level, event, fields: fields ?? {} }) };

async function start(): Promise<RunningGateway> {
  const parsed = parseConfig(`hostname: mx.inbox.test
listeners:
  - { role: inbound, host: 127.0.0.1, port: 0 }
acceptedDomains: [{ domain: inbox.test, mailboxes: [user] }]
inboundAuth: { enabled: true }
delivery: { paused: true }
dkimSigning: { keys: [{ domain: inbox.test, selector: rep, keyFile: ${keyFile} }] }
`);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  return startGateway({ config: parsed.config, dataDir, logger, resolver });
}

before(async () => {
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  dns = await TestDnsServer.start({
    'pass.test': [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.pass.test': [{ TXT: 'v=DMARC1; p=reject; rua=mailto:agg@pass.test' }],
    'quar.test': [{ TXT: 'v=spf1 ip4:192.0.2.1 -all' }],
    '_dmarc.quar.test': [{ TXT: 'v=DMARC1; p=quarantine; rua=mailto:agg@reports.test,mailto:agg@unauth.test' }],
    'quar.test._report._dmarc.reports.test': [{ TXT: 'v=DMARC1' }],
    'norua.test': [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    '_dmarc.norua.test': [{ TXT: 'v=DMARC1; p=none' }],
    [key.dnsName]: [{ TXT: key.txtStrings }],
  });
  resolver = new WireResolver({ servers: [dns.address], caseRandomization: false, timeoutMs: 500, attempts: 1 });
  gw = await start();
});

after(async () => {
  await gw?.stop(100);
  await dns?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function send(mailFrom: string, from: string): Promise<number> {
  const listener = gw.listeners.find((l) => l.role === 'inbound');
  assert.ok(listener);
  const client = await RawClient.connect(listener.port, {});
  try {
    assert.equal((await client.read()).code, 220);
    assert.equal((await client.command('EHLO client.pass.test')).code, 250);
    assert.equal((await client.command(`MAIL FROM:<${mailFrom}>`)).code, 250);
    assert.equal((await client.command('RCPT TO:<user@inbox.test>')).code, 250);
    assert.equal((await client.command('DATA')).code, 354);
    client.send(`From: <${from}>\r\nTo: <user@inbox.test>\r\nSubject: hi\r\n\r\nbody\r\n.\r\n`);
    const reply = await client.read(15_000);
    client.send('QUIT\r\n');
    return reply.code;
  } finally {
    client.destroy();
  }
}

test('reports for the day: counts, IPs and dispositions per domain, XSD-valid, DKIM-signed, external rua only when authorised, not resent after a restart', async () => {
  for (let i = 0; i < 3; i++) assert.equal(await send('alice@pass.test', 'alice@pass.test'), 250);
  assert.equal(await send('bounce@norua.test', 'ceo@pass.test'), 550); // SPF of norua.test is not aligned: p=reject
  for (let i = 0; i < 2; i++) assert.equal(await send('news@quar.test', 'news@quar.test'), 250); // held
  assert.equal(await send('a@norua.test', 'a@norua.test'), 250);
  const reports = gw.dmarcReports;
  assert.ok(reports);
  const today = utcDayStart(Date.now());
  const files = await reports.runDay(today);
  assert.equal(files.length, 2, `one report per domain with rua: ${files.join(', ')}`);
  assert.ok(files.every((f) => /^mx\.inbox\.test!(pass|quar)\.test!\d+!\d+\.xml\.gz$/.test(f)), files.join(', '));
  await reports.send();

  const sent = logged.filter((l) => l.event === 'dmarc-report-sent');
  assert.deepEqual(sent.map((l) => l.fields.uri).sort(), ['mailto:agg@pass.test', 'mailto:agg@reports.test']);
  assert.ok(sent.every((l) => l.fields.dkim === 'signed'));
  const unauthorised = logged.filter((l) => l.event === 'dmarc-report-unauthorised');
  assert.deepEqual(unauthorised.map((l) => l.fields.uri), ['mailto:agg@unauth.test']);

  const byUri = new Map(sent.map((l) => [l.fields.uri as string, l.fields.queueId as string]));
  const passMail = await gw.store.readBody(byUri.get('mailto:agg@pass.test') as string);
  assert.ok(passMail);
  const queued = await gw.store.get(byUri.get('mailto:agg@pass.test') as string);
  assert.deepEqual(queued?.recipients.map((r) => r.address), ['agg@pass.test']);
  assert.match(passMail.toString('latin1'), /\r\nSubject: Report Domain: pass\.test Submitter: mx\.inbox\.test Report-ID: <[^>]+>\r\n/);
  const dkim = await verifyDkim(passMail, { resolver });
  assert.equal(dkim.signatures[0]?.result, 'pass', JSON.stringify(dkim.signatures[0]));

  const pass = await parseDmarcReport(passMail);
  assert.ok(pass.ok, JSON.stringify(!pass.ok && pass.error));
  assert.equal(pass.value.policyPublished.domain, 'pass.test');
  assert.equal(pass.value.policyPublished.p, 'reject');
  assert.equal(pass.value.metadata.orgName, 'mx.inbox.test');
  assert.equal(pass.value.metadata.email, 'dmarc-noreply@mx.inbox.test');
  const summary = pass.value.records.map((r) => `${r.sourceIp} ${r.count} ${r.policyEvaluated.disposition} ${r.identifiers.headerFrom} ${r.identifiers.envelopeFrom ?? ''} spf=${r.policyEvaluated.spf}`).sort();
  assert.deepEqual(summary, ['127.0.0.1 1 reject pass.test norua.test spf=fail', '127.0.0.1 3 pass pass.test pass.test spf=pass']);

  const quarMail = await gw.store.readBody(byUri.get('mailto:agg@reports.test') as string);
  const quar = await parseDmarcReport(quarMail ?? Buffer.alloc(0));
  assert.ok(quar.ok);
  assert.deepEqual(quar.value.records.map((r) => [r.count, r.policyEvaluated.disposition, r.policyEvaluated.dkim, r.policyEvaluated.spf]), [[2, 'quarantine', 'fail', 'fail']]);

  // The files (moved to sent/) validate against RFC 9990's XSD.
  const sentDir = join(dataDir, 'dmarc-reports', 'sent');
  for (const file of readdirSync(sentDir).filter((f) => f.endsWith('.xml.gz'))) {
    const xml = join(work, `${file}.xml`);
    writeFileSync(xml, gunzipSync(readFileSync(join(sentDir, file))));
    execFileSync('xmllint', ['--noout', '--schema', XSD, xml], { stdio: 'pipe' });
  }

  // A restart: the day is done and every report is finished; nothing is queued again.
  const before = logged.length;
  await gw.stop(100);
  gw = await start();
  assert.deepEqual(await gw.dmarcReports?.runDay(today), []);
  assert.deepEqual(await gw.dmarcReports?.send(), { pending: 0 });
  assert.equal(logged.slice(before).filter((l) => l.event === 'dmarc-report-sent').length, 0);
});
