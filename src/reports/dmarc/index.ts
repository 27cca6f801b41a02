// DMARC aggregate reports (RFC 9990; RFC 7489 Appendix C): the model, parsing received reports in any form they
// arrive in (XML, gzip, zip, mail) with hostile-input caps, and writing RFC 9990 reports (XML, gzip, file name).

export * from './types.js';
export { parseDmarcReport, parseDmarcReportXml, type DmarcParseCode, type DmarcParseError, type DmarcParseResult, type DmarcParseOptions } from './parse.js';
export { MAX_REPORT_XML_BYTES, MAX_REPORT_INPUT_BYTES, MAX_ZIP_ENTRIES, type DmarcFormat } from './unpack.js';
export { MAX_REPORT_RECORDS, MAX_ELEMENT_TEXT, MAX_ELEMENT_DEPTH } from './read.js';
export { MAX_WARNINGS, MAX_IGNORED_PATHS } from './build.js';
export { MAX_RECOVERY_CHARS, MAX_RECOVERED_TEXT } from './recover.js';
export { dmarcReportToXml, gzipDmarcReport, dmarcReportFilename, generateDmarcReport, RFC9990_VERSION, type DmarcXmlOutput } from './generate.js';
