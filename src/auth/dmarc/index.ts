// DMARC (RFC 9989, with RFC 7489 compatibility): parse once, discover and evaluate, format at the edge.
// See docs/dmarc.md.

export type {
  DmarcMode,
  DmarcPolicy,
  AlignmentMode,
  DmarcResultCode,
  DmarcReportUri,
  DmarcIssueCode,
  DmarcRecordIssue,
  DmarcTag,
  DmarcRecord,
  DmarcParseErrorCode,
  DmarcParseError,
  DmarcParseResult,
  DmarcDiscoveryOptions,
  DmarcPolicySource,
  DmarcQueryLogEntry,
  DmarcReason,
  DmarcPolicyRecord,
  DmarcDiscovery,
  DmarcSpfInput,
  DmarcDkimInput,
  DmarcInput,
  DmarcEvaluateOptions,
  SpfAlignment,
  DkimAlignment,
  DmarcAppliedPolicy,
  DmarcResult,
} from './types.js';
export { parseDmarcRecord, isDmarcRecordText, clearDmarcParseCache, MAX_RECORD_LENGTH } from './record.js';
export { parseReportUriList, MAX_REPORT_URIS } from './report-uri.js';
export { normalizeDomain, MAX_DOMAIN_LENGTH, type DomainResult, type DomainErrorCode } from './domain.js';
export { extractFromDomain, decodeEncodedWords, MAX_FROM_LENGTH, MAX_FROM_ADDRESSES, type FromAddress, type FromExtraction, type FromErrorCode } from './from.js';
export { discoverDmarcPolicy, organizationalDomain, type OrgDomainResult } from './discover.js';
export {
  treeWalkNames,
  selectOrganizationalDomain,
  DmarcDnsSession,
  MAX_TREE_WALK_QUERIES,
  TREE_WALK_KEEP_LABELS,
  MAX_QUERIES_PER_EVALUATION,
  type OrgDomainRule,
} from './tree-walk.js';
export { evaluateDmarc, MAX_AUTHOR_DOMAINS } from './evaluate.js';
export { MAX_DKIM_RESULTS, MAX_DKIM_DOMAINS } from './alignment.js';
export { formatAuthResultsDmarc } from './format.js';
export { loadPublicSuffixList, PublicSuffixList, MIN_PSL_RULES, type PslLoadOptions, type PslLoadResult, type PslLoadError } from './psl.js';
export {
  defaultPslPath,
  defaultPublicSuffixList,
  setDefaultPublicSuffixList,
  installPublicSuffixList,
  PslUnavailableError,
  MAX_PSL_FILE_BYTES,
  type PslInstallResult,
} from './psl-file.js';
