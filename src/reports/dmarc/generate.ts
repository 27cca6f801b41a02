// Writing RFC 9990 aggregate reports: the XML (Appendix A schema, namespace urn:ietf:params:xml:ns:dmarc-2.0,
// version 1.0), gzip'd, under the §3.1 file name. Output is checked against the RFC's XSD with xmllint in tests.

import { gzipSync } from 'node:zlib';
import {
  DMARC_ALIGNED_RESULTS,
  DMARC_DISCOVERY_METHODS,
  DMARC_DISPOSITIONS,
  DMARC_DKIM_RESULTS,
  DMARC_NS_RFC9990,
  DMARC_POLICIES,
  DMARC_SPF_RESULTS,
  RFC9990_OVERRIDE_TYPES,
  type DmarcAggregateReport,
  type DmarcReportRecord,
} from './types.js';

/** The schema version RFC 9990 reports carry. */
export const RFC9990_VERSION = '1.0';

export interface DmarcXmlOutput {
  xml: string;
  /**
   * What the model holds that RFC 9990's schema has no place for, and so was not written: `pct` and `psd`
   * (RFC 7489 / drafts), errors after the first, SPF results after the first, an SPF scope other than mfrom.
   */
  omitted: string[];
}

/**
 * The report as RFC 9990 XML. Throws RangeError when the model cannot make a schema-valid report (no records,
 * no `p`, a value outside the schema's lists, a missing policy_evaluated result): a programming error on our
 * side, since reports we write come from our own evaluations.
 */
export function dmarcReportToXml(report: DmarcAggregateReport): DmarcXmlOutput {
  const omitted: string[] = [];
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<feedback xmlns="${DMARC_NS_RFC9990}">`, `  <version>${RFC9990_VERSION}</version>`];
  const m = report.metadata;
  out.push('  <report_metadata>');
  leaf(out, 4, 'org_name', m.orgName);
  leaf(out, 4, 'email', m.email);
  leaf(out, 4, 'extra_contact_info', m.extraContactInfo);
  leaf(out, 4, 'report_id', m.reportId);
  out.push('    <date_range>', `      <begin>${integer(m.dateRange.begin, 'begin')}</begin>`, `      <end>${integer(m.dateRange.end, 'end')}</end>`, '    </date_range>');
  leaf(out, 4, 'error', m.errors[0]);
  if (m.errors.length > 1) omitted.push(`${m.errors.length - 1} error element(s) after the first (RFC 9990 allows one)`);
  leaf(out, 4, 'generator', m.generator);
  out.push('  </report_metadata>');
  const p = report.policyPublished;
  if (p.p === undefined) throw new RangeError('dmarcReportToXml: policy_published needs p');
  out.push('  <policy_published>');
  leaf(out, 4, 'domain', p.domain);
  leaf(out, 4, 'p', listed(p.p, DMARC_POLICIES, 'p'));
  leaf(out, 4, 'sp', p.sp === undefined ? undefined : listed(p.sp, DMARC_POLICIES, 'sp'));
  leaf(out, 4, 'np', p.np === undefined ? undefined : listed(p.np, DMARC_POLICIES, 'np'));
  leaf(out, 4, 'adkim', p.adkim === undefined ? undefined : listed(p.adkim, ['r', 's'], 'adkim'));
  leaf(out, 4, 'aspf', p.aspf === undefined ? undefined : listed(p.aspf, ['r', 's'], 'aspf'));
  leaf(out, 4, 'discovery_method', p.discoveryMethod === undefined ? undefined : listed(p.discoveryMethod, DMARC_DISCOVERY_METHODS, 'discovery_method'));
  leaf(out, 4, 'fo', p.fo);
  leaf(out, 4, 'testing', p.testing === undefined ? undefined : listed(p.testing, ['y', 'n'], 'testing'));
  out.push('  </policy_published>');
  if (p.pct !== undefined) omitted.push('policy_published/pct (not in RFC 9990)');
  if (p.psd !== undefined) omitted.push('policy_published/psd (not in RFC 9990)');
  if (report.records.length === 0) throw new RangeError('dmarcReportToXml: RFC 9990 needs at least one record');
  for (const [i, record] of report.records.entries()) writeRecord(out, record, i + 1, omitted);
  out.push('</feedback>', '');
  return { xml: out.join('\n'), omitted };
}

function writeRecord(out: string[], r: DmarcReportRecord, n: number, omitted: string[]): void {
  const e = r.policyEvaluated;
  if (e.disposition === undefined || e.dkim === undefined || e.spf === undefined) throw new RangeError(`dmarcReportToXml: record ${n} needs policy_evaluated disposition, dkim and spf`);
  out.push('  <record>', '    <row>');
  leaf(out, 6, 'source_ip', r.sourceIp);
  out.push(`      <count>${integer(r.count, `record ${n} count`)}</count>`, '      <policy_evaluated>');
  leaf(out, 8, 'disposition', listed(e.disposition, DMARC_DISPOSITIONS, `record ${n} disposition`));
  leaf(out, 8, 'dkim', listed(e.dkim, DMARC_ALIGNED_RESULTS, `record ${n} policy_evaluated/dkim`));
  leaf(out, 8, 'spf', listed(e.spf, DMARC_ALIGNED_RESULTS, `record ${n} policy_evaluated/spf`));
  for (const reason of e.reasons) {
    out.push('        <reason>');
    leaf(out, 10, 'type', listed(reason.type, RFC9990_OVERRIDE_TYPES, `record ${n} reason/type`));
    leaf(out, 10, 'comment', reason.comment);
    out.push('        </reason>');
  }
  out.push('      </policy_evaluated>', '    </row>', '    <identifiers>');
  leaf(out, 6, 'header_from', r.identifiers.headerFrom);
  leaf(out, 6, 'envelope_from', r.identifiers.envelopeFrom);
  leaf(out, 6, 'envelope_to', r.identifiers.envelopeTo);
  out.push('    </identifiers>', '    <auth_results>');
  for (const d of r.authResults.dkim) {
    out.push('      <dkim>');
    leaf(out, 8, 'domain', d.domain);
    // Required by RFC 9990; RFC 7489 reports often lack it. Empty is schema-valid and reads back as absent.
    leaf(out, 8, 'selector', d.selector ?? '');
    leaf(out, 8, 'result', listed(d.result, DMARC_DKIM_RESULTS, `record ${n} dkim/result`));
    leaf(out, 8, 'human_result', d.humanResult);
    out.push('      </dkim>');
  }
  const [spf, ...more] = r.authResults.spf;
  if (spf) {
    out.push('      <spf>');
    leaf(out, 8, 'domain', spf.domain);
    if (spf.scope === 'mfrom') leaf(out, 8, 'scope', spf.scope);
    else if (spf.scope !== undefined) omitted.push(`record ${n}: spf scope "${spf.scope}" (RFC 9990 knows mfrom only)`);
    leaf(out, 8, 'result', listed(spf.result, DMARC_SPF_RESULTS, `record ${n} spf/result`));
    leaf(out, 8, 'human_result', spf.humanResult);
    out.push('      </spf>');
  }
  if (more.length) omitted.push(`record ${n}: ${more.length} spf result(s) after the first (RFC 9990 allows one)`);
  out.push('    </auth_results>', '  </record>');
}

function leaf(out: string[], indent: number, name: string, value: string | undefined): void {
  if (value === undefined) return;
  out.push(`${' '.repeat(indent)}<${name}>${escapeXml(value)}</${name}>`);
}

function listed(value: string, list: readonly string[], what: string): string {
  if (!list.includes(value)) throw new RangeError(`dmarcReportToXml: ${what} "${value}" is not one of ${list.join(', ')}`);
  return value;
}

function integer(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`dmarcReportToXml: ${what} must be a non-negative integer`);
  return String(value);
}

/** Escapes markup and drops characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR; lone surrogates). */
function escapeXml(text: string): string {
  return text
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** The report gzip'd (RFC 9990 §3.1: `application/gzip`). */
export function gzipDmarcReport(xml: string): Buffer {
  return gzipSync(Buffer.from(xml, 'utf8'));
}

const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * RFC 9990 §3.1 file name: `receiver!policy-domain!begin-timestamp!end-timestamp[!unique-id].xml[.gz]`, with
 * receiver and policy-domain domain names, timestamps in Unix seconds and unique-id 1*(ALPHA / DIGIT). A resent
 * report MUST reuse its file name, so the caller keeps the unique id. Anything else is a RangeError.
 */
export function dmarcReportFilename(input: { receiver: string; policyDomain: string; begin: number; end: number; uniqueId?: string; gzip?: boolean }): string {
  for (const [what, domain] of [['receiver', input.receiver], ['policy-domain', input.policyDomain]] as const) {
    if (!DOMAIN.test(domain)) throw new RangeError(`dmarcReportFilename: ${what} "${domain}" is not a domain name`);
  }
  const begin = integer(input.begin, 'begin-timestamp');
  const end = integer(input.end, 'end-timestamp');
  if (input.uniqueId !== undefined && !/^[A-Za-z0-9]+$/.test(input.uniqueId)) throw new RangeError(`dmarcReportFilename: unique-id "${input.uniqueId}" must be letters and digits`);
  const parts = [input.receiver.replace(/\.$/, ''), input.policyDomain.replace(/\.$/, ''), begin, end, ...(input.uniqueId === undefined ? [] : [input.uniqueId])];
  return `${parts.join('!')}.xml${input.gzip === false ? '' : '.gz'}`;
}

/** Everything a sender needs for one report: the XML, its gzip and its file name (policy domain and range from the report). */
export function generateDmarcReport(report: DmarcAggregateReport, options: { receiver: string; uniqueId?: string }): DmarcXmlOutput & { gzip: Buffer; filename: string } {
  const output = dmarcReportToXml(report);
  const filename = dmarcReportFilename({
    receiver: options.receiver,
    policyDomain: report.policyPublished.domain,
    begin: report.metadata.dateRange.begin,
    end: report.metadata.dateRange.end,
    ...(options.uniqueId === undefined ? {} : { uniqueId: options.uniqueId }),
  });
  return { ...output, gzip: gzipDmarcReport(output.xml), filename };
}
