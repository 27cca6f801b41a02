// Hostile DMARC aggregate report input: DTDs and entities (XXE, billion laughs), gzip and zip bombs, zips with
// several or no files, record floods, huge texts, deep nesting, invalid UTF-8, truncated and junk input, MIME
// nesting. Every case is a coded result, never a throw, and the work stays bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { parseDmarcReport, type DmarcParseResult } from '../../src/reports/dmarc/parse.js';
import { MAX_REPORT_INPUT_BYTES, MAX_REPORT_XML_BYTES } from '../../src/reports/dmarc/unpack.js';
import { MAX_ELEMENT_DEPTH, MAX_ELEMENT_TEXT, MAX_REPORT_RECORDS } from '../../src/reports/dmarc/read.js';
import { MAX_IGNORED_PATHS } from '../../src/reports/dmarc/build.js';

const RECORD = '<record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>';
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<feedback><report_metadata><org_name>X</org_name><email>x@example.net</email><report_id>1</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published>';
const report = (records = RECORD, head = HEAD): string => `${head}${records}</feedback>`;

function code(result: DmarcParseResult): string {
  return result.ok ? 'ok' : result.error.code;
}

/** A zip (stored or deflated entries, no data descriptors) built by hand, with an optional lie about the size. */
function zip(entries: { name: string; data: Buffer; claimedSize?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const body = deflateRawSync(entry.data);
    const size = entry.claimedSize ?? entry.data.length;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt32LE(crc32(entry.data), 14);
    header.writeUInt32LE(body.length, 18);
    header.writeUInt32LE(size, 22);
    header.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(crc32(entry.data), 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(header, name, body);
    central.push(dir, name);
    offset += header.length + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

test('DTDs are refused: billion laughs, XXE, parameter entities', async () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${report().replace('<org_name>X', '<org_name>&c;').replace(/^<\?xml[^>]*>\n/, '')}`;
  const xxe = `<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>`;
  const parameter = '<!DOCTYPE feedback [<!ENTITY % remote SYSTEM "http://192.0.2.1/x.dtd"> %remote;]><feedback/>';
  const external = '<!DOCTYPE feedback SYSTEM "http://192.0.2.1/x.dtd"><feedback/>';
  for (const input of [laughs, xxe, parameter, external]) assert.equal(code(await parseDmarcReport(input)), 'dtd-refused', input.slice(0, 60));
  // An entity used without any declaration is not expanded: not well-formed, and not "recovered".
  const undeclared = await parseDmarcReport(report().replace('<org_name>X', '<org_name>&xxe;'));
  assert.equal(code(undeclared), 'bad-xml');
  // A DTD inside a gzip or a mail is refused the same way.
  assert.equal(code(await parseDmarcReport(gzipSync(Buffer.from(xxe)))), 'dtd-refused');
});

test('a gzip bomb stops at the output cap (default and a smaller one)', async () => {
  const bomb = gzipSync(Buffer.alloc(MAX_REPORT_XML_BYTES + 1024 * 1024, 0x20));
  assert.ok(bomb.length < 200_000, `a ${bomb.length}-byte bomb`);
  const result = await parseDmarcReport(bomb);
  assert.equal(code(result), 'too-large');
  assert.equal(code(await parseDmarcReport(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), { maxXmlBytes: 1024 * 1024 })), 'too-large');
  // The lenient path for trailing bytes (Mimecast) is capped too.
  const trailing = Buffer.concat([gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), Buffer.from('\r\n')]);
  assert.equal(code(await parseDmarcReport(trailing, { maxXmlBytes: 1024 * 1024 })), 'too-large');
});

test('a zip bomb stops at the cap, whatever its header claims', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0x20);
  const honest = zip([{ name: 'r.xml', data: big }]);
  assert.ok(honest.length < 20_000);
  assert.equal(code(await parseDmarcReport(honest, { maxXmlBytes: 1024 * 1024 })), 'too-large');
  const liar = zip([{ name: 'r.xml', data: big, claimedSize: 100 }]);
  assert.equal(code(await parseDmarcReport(liar, { maxXmlBytes: 1024 * 1024 })), 'too-large');
  const ok = await parseDmarcReport(zip([{ name: 'r.xml', data: Buffer.from(report()) }]));
  assert.equal(code(ok), 'ok');
  assert.equal(ok.ok && ok.format, 'zip');
});

test('a zip must hold exactly one file', async () => {
  const several = await parseDmarcReport(zip([{ name: 'a.xml', data: Buffer.from(report()) }, { name: 'b.xml', data: Buffer.from(report()) }]));
  assert.equal(code(several), 'zip-entries');
  assert.match(!several.ok ? several.error.message : '', /2 files \(a\.xml, b\.xml\)/);
  const none = await parseDmarcReport(zip([{ name: 'dir/', data: Buffer.alloc(0) }]));
  assert.equal(code(none), 'zip-entries');
  const flood = zip(Array.from({ length: 100 }, (_, i) => ({ name: `${i}.xml`, data: Buffer.from('x') })));
  assert.equal(code(await parseDmarcReport(flood)), 'zip-entries');
  const truncated = zip([{ name: 'r.xml', data: Buffer.from(report()) }]);
  assert.equal(code(await parseDmarcReport(truncated.subarray(0, truncated.length - 30))), 'bad-zip');
});

test('the record cap and the element text cap', async () => {
  assert.equal(MAX_REPORT_RECORDS, 1_000_000);
  const eleven = report(RECORD.repeat(11));
  assert.equal(code(await parseDmarcReport(eleven, { maxRecords: 10 })), 'too-many-records');
  const ten = await parseDmarcReport(report(RECORD.repeat(10)), { maxRecords: 10 });
  assert.equal(ten.ok && ten.value.records.length, 10);
  const long = report().replace('<org_name>X', `<org_name>${'x'.repeat(MAX_ELEMENT_TEXT + 1)}`);
  assert.equal(code(await parseDmarcReport(long)), 'too-large');
  const cdata = report().replace('<org_name>X', `<org_name><![CDATA[${'x'.repeat(MAX_ELEMENT_TEXT + 1)}]]>`);
  assert.equal(code(await parseDmarcReport(cdata)), 'too-large');
  assert.equal(code(await parseDmarcReport(Buffer.alloc(MAX_REPORT_INPUT_BYTES + 1, 0x20))), 'too-large');
});

test('deeply nested junk is refused; unknown elements are counted, never kept', async () => {
  const deep = report(`${'<x>'.repeat(10_000)}${'</x>'.repeat(10_000)}${RECORD}`);
  const result = await parseDmarcReport(deep);
  assert.equal(code(result), 'too-deep');
  assert.match(!result.ok ? result.error.message : '', new RegExp(`deeper than ${MAX_ELEMENT_DEPTH}`));
  const junk = report(`<extension><a><b>1</b></a></extension><__proto__>1</__proto__><constructor>x</constructor>${RECORD.replace('<row>', '<row><junk>1</junk><junk>2</junk>')}`);
  const ok = await parseDmarcReport(junk);
  assert.ok(ok.ok);
  assert.deepEqual(ok.ignored, JSON.parse('{"extension": 1, "__proto__": 1, "constructor": 1, "record/row/junk": 2}'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const names = Array.from({ length: MAX_IGNORED_PATHS + 50 }, (_, i) => `<n${i}/>`).join('');
  const many = await parseDmarcReport(report(`${names}${RECORD}`));
  assert.ok(many.ok);
  assert.equal(Object.keys(many.ignored).length, MAX_IGNORED_PATHS + 1);
  assert.equal(many.ignored['*'], 50);
});

test('invalid UTF-8 is decoded leniently; a windows-1252 report keeps its characters', async () => {
  const bytes = Buffer.from(report().replace('<org_name>X', '<org_name>caf\u00e9 '));
  const bad = Buffer.concat([bytes.subarray(0, bytes.indexOf('caf') + 3), Buffer.from([0xe9, 0xff]), bytes.subarray(bytes.indexOf('caf') + 5)]);
  const result = await parseDmarcReport(bad);
  assert.ok(result.ok);
  assert.equal(result.value.metadata.orgName, 'caf\ufffd\ufffd');
  assert.ok(result.warnings.some((w) => w.includes('U+FFFD')));
  const latin = Buffer.from(report().replace('UTF-8', 'windows-1252').replace('<org_name>X', '<org_name>caf\u00e9'), 'latin1');
  const decoded = await parseDmarcReport(latin);
  assert.equal(decoded.ok && decoded.value.metadata.orgName, 'caf\u00e9');
});

test('truncated, junk, wrong-root and incomplete input: coded errors', async () => {
  const gz = gzipSync(Buffer.from(report()));
  const cases: [Buffer | string, string][] = [
    ['', 'empty'],
    [gz.subarray(0, gz.length - 12), 'bad-gzip'],
    [report().slice(0, -20), 'bad-xml'],
    ['<html><body>hi</body></html>', 'not-a-report'],
    ['not a report at all', 'no-report-part'],
    [report().replace('<report_id>1</report_id>', ''), 'bad-report'],
    [report().replace('<domain>example.com</domain><p>', '<p>'), 'bad-report'],
    [report().replace('<count>1</count>', '<count>many</count>'), 'bad-report'],
    [report().replace('<count>1</count>', '<count>-1</count>'), 'bad-report'],
    [report().replace('<begin>1</begin>', '<begin>99999999999999999999</begin>'), 'bad-report'],
    [report().replace('<source_ip>192.0.2.1</source_ip>', ''), 'bad-report'],
    [report().replace('</feedback>', '</feedback><feedback/>'), 'bad-xml'],
    [report().replace('<org_name>X</org_name>', '<org_name>X</email>'), 'bad-xml'],
  ];
  for (const [input, expected] of cases) assert.equal(code(await parseDmarcReport(input)), expected, String(input).slice(0, 80));
});

test('recovery is narrow and bounded', async () => {
  // A stray "&" and "<" inside text-only elements are recovered; the values are kept as text.
  const amp = await parseDmarcReport(report().replace('<org_name>X', '<org_name>AT&T <ops>'));
  assert.ok(amp.ok);
  assert.equal(amp.value.metadata.orgName, 'AT&T <ops>');
  // Markup in a container is not guessed at.
  assert.equal(code(await parseDmarcReport(report().replace('<row>', '<row><<'))), 'bad-xml');
  // Many broken elements in a big document: the recovery pass stays linear-ish.
  const broken = report(RECORD.replace('<header_from>example.com', '<header_from>a<b').repeat(20_000));
  const started = Date.now();
  const result = await parseDmarcReport(broken);
  assert.equal(result.ok && result.value.records.length, 20_000);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  // Unclosed text-only elements do not make the repair swallow the document.
  const unclosed = `${HEAD.replace('<org_name>X</org_name>', `${'<email>x<'.repeat(50_000)}`)}${RECORD}</feedback>`;
  const t2 = Date.now();
  assert.equal(code(await parseDmarcReport(unclosed)), 'bad-xml');
  assert.ok(Date.now() - t2 < 5_000, `took ${Date.now() - t2} ms`);
});

test('mail: nested multiparts stay bounded; a bomb in an attachment stops at the cap', async () => {
  let mail = report();
  for (let i = 0; i < 50; i++) mail = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${mail}\r\n--b${i}--\r\n`;
  assert.equal(code(await parseDmarcReport(mail)), 'no-report-part');
  const gz = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)).toString('base64');
  const bomb = `Subject: Report Domain: example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${gz}\r\n--x--\r\n`;
  assert.equal(code(await parseDmarcReport(bomb, { maxXmlBytes: 1024 * 1024 })), 'too-large');
  const octet = `Subject: r\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/octet-stream; name="a!b!1!2.xml.gz"\r\nContent-Transfer-Encoding: base64\r\n\r\n${gzipSync(Buffer.from(report())).toString('base64')}\r\n--x--\r\n`;
  const ok = await parseDmarcReport(octet);
  assert.ok(ok.ok);
  assert.deepEqual([ok.format, ok.carrier, ok.fileName], ['mail', 'gzip', 'a!b!1!2.xml.gz']);
  const qp = `Subject: r\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${report().replace(/=/g, '=3D')}\r\n`;
  const quoted = await parseDmarcReport(qp);
  assert.equal(quoted.ok && quoted.carrier, 'xml');
});
