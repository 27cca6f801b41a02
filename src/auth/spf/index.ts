// SPF (RFC 7208): parse once, evaluate many times, format at the edge. See docs/spf.md.

export type {
  SpfResultCode,
  SpfReason,
  SpfCheckInput,
  SpfCheckOptions,
  SpfTrailEntry,
  SpfResult,
  SpfQualifier,
  SpfRecord,
  SpfMechanism,
  SpfMechanismKind,
  SpfModifier,
  SpfParseResult,
  SpfSyntaxError,
  SpfSyntaxCode,
  MacroString,
  MacroExpand,
  MacroLetter,
} from './types.js';
export { parseSpfRecord, isSpfRecordText, clearSpfParseCache, PARSE_CACHE_MAX_ENTRIES } from './record.js';
export { checkHost, checkSpf, isValidSpfDomain, DEFAULT_EXPLANATION, DEFAULT_TIMEOUT_MS } from './evaluate.js';
export { SpfLookupBudget, MAX_DNS_TERMS, MAX_VOID_LOOKUPS, MAX_MX_NAMES, MAX_PTR_NAMES } from './lookup-limits.js';
export { parseMacroString, expandMacroString, expandDomainSpec, type MacroContext } from './macro.js';
export { parseIp, formatIp, type IpAddress, type IpNetwork } from './ip.js';
export { formatReceivedSpf, formatAuthResultsSpf } from './format.js';
export { lintSpf, type SpfLintReport, type SpfLintFinding, type SpfLintCode, type SpfLintNode } from './lint.js';
