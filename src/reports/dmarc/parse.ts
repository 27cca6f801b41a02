// Reading the DMARC aggregate reports others send us (RFC 9990, RFC 7489 Appendix C and the older dmarc.org draft)
// in any form they arrive in: XML, .xml.gz, .zip, or the whole mail. Every problem is a coded result, never a throw.

import { decodeXmlBytes } from './charset.js';
import { MAX_ELEMENT_DEPTH, MAX_ELEMENT_TEXT, MAX_REPORT_RECORDS, readReportXml, type DmarcReadCode } from './read.js';
import { recoverReportXml } from './recover.js';
import type { DmarcAggregateReport } from './types.js';
import { MAX_REPORT_XML_BYTES, unpackDmarcReport, type DmarcFormat, type DmarcUnpackCode } from './unpack.js';

export type DmarcParseCode = DmarcUnpackCode | DmarcReadCode;

export interface DmarcParseError {
  code: DmarcParseCode;
  message: string;
  /** Character offset in the XML where the parse stopped, when known. */
  offset?: number;
}

export type DmarcParseResult =
  | {
      ok: true;
      value: DmarcAggregateReport;
      /** How it arrived; for a mail, `carrier` says what the attachment was. */
      format: DmarcFormat;
      carrier?: 'xml' | 'gzip' | 'zip';
      /** The attachment's or zip entry's file name, when there was one. */
      fileName?: string;
      /** Things a person may want to know: lower-cased words, unknown values, replaced bytes, recovered markup. */
      warnings: string[];
      /** Elements outside the model, by path below <feedback>, with how often they were seen. */
      ignored: Record<string, number>;
    }
  | { ok: false; error: DmarcParseError };

export interface DmarcParseOptions {
  maxXmlBytes?: number;
  maxRecords?: number;
  maxElementText?: number;
  maxDepth?: number;
}

/** Parses a received aggregate report in any of its forms (XML, gzip, zip, mail). Never rejects on bad input. */
export async function parseDmarcReport(input: Buffer | string, options: DmarcParseOptions = {}): Promise<DmarcParseResult> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const unpacked = await unpackDmarcReport(bytes, options.maxXmlBytes ?? MAX_REPORT_XML_BYTES);
  if (!unpacked.ok) return unpacked;
  const result = parseDmarcReportXml(unpacked.xml, options);
  if (!result.ok) return result;
  return {
    ...result,
    warnings: [...(unpacked.warnings ?? []), ...result.warnings],
    format: unpacked.format,
    ...(unpacked.carrier ? { carrier: unpacked.carrier } : {}),
    ...(unpacked.fileName ? { fileName: unpacked.fileName } : {}),
  };
}

/**
 * Parses report XML bytes (already out of their gzip, zip or mail). Decoding is lenient (bad bytes become
 * U+FFFD); markup left unescaped inside a text-only element is recovered (recover.ts); anything else that is not
 * well-formed is `bad-xml`. Synchronous.
 */
export function parseDmarcReportXml(
  xml: Buffer,
  options: DmarcParseOptions = {},
): { ok: true; value: DmarcAggregateReport; format: 'xml'; warnings: string[]; ignored: Record<string, number> } | { ok: false; error: DmarcParseError } {
  const maxXml = options.maxXmlBytes ?? MAX_REPORT_XML_BYTES;
  if (xml.length === 0) return { ok: false, error: { code: 'empty', message: 'the report XML is empty' } };
  if (xml.length > maxXml) return { ok: false, error: { code: 'too-large', message: `report XML over ${maxXml} bytes` } };
  const limits = { maxRecords: options.maxRecords ?? MAX_REPORT_RECORDS, maxElementText: options.maxElementText ?? MAX_ELEMENT_TEXT, maxDepth: options.maxDepth ?? MAX_ELEMENT_DEPTH };
  const decoded = decodeXmlBytes(xml);
  let read = readReportXml(decoded.text, limits);
  const warnings = [...decoded.warnings];
  if (!read.ok && (read.error.code === 'bad-xml' || read.error.code === 'not-a-report')) {
    const repair = recoverReportXml(decoded.text);
    if (repair.repairs.length) {
      const again = readReportXml(repair.text, limits);
      if (again.ok) {
        warnings.push(`not well-formed XML (${read.error.message}); recovered: ${repair.repairs.join('; ')}`);
        read = again;
      }
    }
  }
  if (!read.ok) return read;
  return { ok: true, value: read.value, format: 'xml', warnings: [...warnings, ...read.warnings], ignored: read.ignored };
}
