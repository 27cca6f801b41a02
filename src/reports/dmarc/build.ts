// Assembling the model from element paths and texts as the XML streams by (paths are below <feedback>, e.g.
// `record/row/count`). Values are normalised here, in one place: result words lower-cased, integers checked,
// unknown enumerated values kept and flagged. Required elements missing at the end make the report bad.

import { isIP } from 'node:net';
import {
  DMARC_ALIGNED_RESULTS,
  DMARC_DISCOVERY_METHODS,
  DMARC_DISPOSITIONS,
  DMARC_DKIM_RESULTS,
  DMARC_OVERRIDE_TYPES,
  DMARC_POLICIES,
  DMARC_SPF_RESULTS,
  type DmarcAggregateReport,
  type DmarcDkimAuthResult,
  type DmarcOverrideReason,
  type DmarcPolicyPublished,
  type DmarcReportMetadata,
  type DmarcReportRecord,
  type DmarcSpfAuthResult,
  type Known,
} from './types.js';

export type DmarcReadCode = 'bad-xml' | 'dtd-refused' | 'too-deep' | 'too-large' | 'too-many-records' | 'not-a-report' | 'bad-report';

/** Stops the parse from inside a saxes handler (caught by readReportXml), or reports why finish() failed. */
export class Stop {
  constructor(
    readonly code: DmarcReadCode,
    readonly message: string,
  ) {}
}

/** Warnings kept per report: a report with a million odd records should not carry a million warnings. */
export const MAX_WARNINGS = 100;
/** Distinct ignored element paths counted by name; more are counted together under `*`. */
export const MAX_IGNORED_PATHS = 1000;

const CONTAINERS = new Set([
  'report_metadata',
  'report_metadata/date_range',
  'policy_published',
  'record',
  'record/row',
  'record/row/policy_evaluated',
  'record/row/policy_evaluated/reason',
  'record/identifiers',
  'record/auth_results',
  'record/auth_results/dkim',
  'record/auth_results/spf',
]);

type Partial2<T> = { -readonly [K in keyof T]?: T[K] };

export class ReportBuilder {
  readonly warnings: string[] = [];
  private readonly ignoredCounts = new Map<string, number>();
  rootNamespace = '';
  private version: string | undefined;
  private readonly meta: Partial2<DmarcReportMetadata> & { errors: string[]; begin?: number; end?: number } = { errors: [] };
  private readonly policy: Partial2<DmarcPolicyPublished> = {};
  private readonly records: DmarcReportRecord[] = [];
  private record: DmarcReportRecord | undefined;
  private recordFields = new Set<string>();
  private reason: Partial2<DmarcOverrideReason> | undefined;
  private dkim: Partial2<DmarcDkimAuthResult> | undefined;
  private spf: Partial2<DmarcSpfAuthResult> | undefined;
  /** A Map, not an object: element names such as `constructor` or `__proto__` must not find anything. */
  private readonly leaves: Map<string, (value: string) => void>;

  constructor(private readonly maxRecords: number) {
    const enumerated = <T extends string>(list: readonly T[], what: string) => (value: string) => this.enumerated(list, value, what);
    this.leaves = new Map(Object.entries({
      version: (v) => (this.version = v),
      'report_metadata/org_name': (v) => this.once(this.meta, 'orgName', v, 'org_name'),
      'report_metadata/email': (v) => this.once(this.meta, 'email', v, 'email'),
      'report_metadata/extra_contact_info': (v) => this.once(this.meta, 'extraContactInfo', v, 'extra_contact_info'),
      'report_metadata/report_id': (v) => this.once(this.meta, 'reportId', v, 'report_id'),
      'report_metadata/error': (v) => this.meta.errors.push(v),
      'report_metadata/generator': (v) => this.once(this.meta, 'generator', v, 'generator'),
      'report_metadata/date_range/begin': (v) => (this.meta.begin = this.integer(v, 'date_range/begin')),
      'report_metadata/date_range/end': (v) => (this.meta.end = this.integer(v, 'date_range/end')),
      'policy_published/domain': (v) => this.once(this.policy, 'domain', v.toLowerCase(), 'policy_published/domain'),
      'policy_published/adkim': (v) => (this.policy.adkim = this.optional(v, enumerated(['r', 's'], 'adkim'))),
      'policy_published/aspf': (v) => (this.policy.aspf = this.optional(v, enumerated(['r', 's'], 'aspf'))),
      'policy_published/p': (v) => (this.policy.p = this.optional(v, enumerated(DMARC_POLICIES, 'p'))),
      'policy_published/sp': (v) => (this.policy.sp = this.optional(v, enumerated(DMARC_POLICIES, 'sp'))),
      'policy_published/np': (v) => (this.policy.np = this.optional(v, enumerated(DMARC_POLICIES, 'np'))),
      'policy_published/testing': (v) => (this.policy.testing = this.optional(v, enumerated(['y', 'n'], 'testing'))),
      'policy_published/t': (v) => (this.policy.testing = this.optional(v, enumerated(['y', 'n'], 't'))),
      'policy_published/discovery_method': (v) => (this.policy.discoveryMethod = this.optional(v, enumerated(DMARC_DISCOVERY_METHODS, 'discovery_method'))),
      'policy_published/psd': (v) => (this.policy.psd = this.optional(v, (s) => s.toLowerCase())),
      'policy_published/fo': (v) => (this.policy.fo = this.optional(v, (s) => s)),
      'policy_published/pct': (v) => (this.policy.pct = this.optional(v, (s) => this.integer(s, 'pct'))),
      'record/row/source_ip': (v) => this.recordLeaf('source_ip', () => this.setSourceIp(v)),
      'record/row/count': (v) => this.recordLeaf('count', () => (this.current().count = this.integer(v, `record ${this.records.length + 1} count`))),
      'record/row/policy_evaluated/disposition': (v) => (this.current().policyEvaluated.disposition = this.optional(v, enumerated(DMARC_DISPOSITIONS, 'disposition'))),
      'record/row/policy_evaluated/dkim': (v) => (this.current().policyEvaluated.dkim = this.optional(v, enumerated(DMARC_ALIGNED_RESULTS, 'policy_evaluated/dkim'))),
      'record/row/policy_evaluated/spf': (v) => (this.current().policyEvaluated.spf = this.optional(v, enumerated(DMARC_ALIGNED_RESULTS, 'policy_evaluated/spf'))),
      'record/row/policy_evaluated/reason/type': (v) => (this.reasonNow().type = this.optional(v, enumerated(DMARC_OVERRIDE_TYPES, 'reason/type'))),
      'record/row/policy_evaluated/reason/comment': (v) => (this.reasonNow().comment = v),
      'record/identifiers/header_from': (v) => this.recordLeaf('header_from', () => (this.current().identifiers.headerFrom = v)),
      'record/identifiers/envelope_from': (v) => (this.current().identifiers.envelopeFrom = v),
      'record/identifiers/envelope_to': (v) => (this.current().identifiers.envelopeTo = v),
      'record/auth_results/dkim/domain': (v) => (this.dkimNow().domain = v),
      'record/auth_results/dkim/selector': (v) => (this.dkimNow().selector = this.optional(v, (s) => s)),
      'record/auth_results/dkim/result': (v) => (this.dkimNow().result = this.optional(v, enumerated(DMARC_DKIM_RESULTS, 'dkim/result'))),
      'record/auth_results/dkim/human_result': (v) => (this.dkimNow().humanResult = v),
      'record/auth_results/spf/domain': (v) => (this.spfNow().domain = v),
      'record/auth_results/spf/scope': (v) => (this.spfNow().scope = this.optional(v, (s) => s.toLowerCase())),
      'record/auth_results/spf/result': (v) => (this.spfNow().result = this.optional(v, enumerated(DMARC_SPF_RESULTS, 'spf/result'))),
      'record/auth_results/spf/human_result': (v) => (this.spfNow().humanResult = v),
    } satisfies Record<string, (value: string) => void>));
  }

  /** The namespace of <feedback>. */
  namespace(uri: string): void {
    this.rootNamespace = uri;
  }

  /** An element opens at `path`; false when it is not part of the model (the caller skips its subtree). */
  open(path: string): boolean {
    if (path === 'record') {
      if (this.records.length >= this.maxRecords) throw new Stop('too-many-records', `more than ${this.maxRecords} records`);
      this.record = { sourceIp: '', count: -1, policyEvaluated: { reasons: [] }, identifiers: { headerFrom: '' }, authResults: { dkim: [], spf: [] } };
      this.recordFields = new Set();
    } else if (path === 'record/row/policy_evaluated/reason') this.reason = {};
    else if (path === 'record/auth_results/dkim') this.dkim = {};
    else if (path === 'record/auth_results/spf') this.spf = {};
    return CONTAINERS.has(path) || this.leaves.has(path);
  }

  /** An element closes at `path` with its (trimmed) text. */
  close(path: string, text: string): void {
    const leaf = this.leaves.get(path);
    if (leaf) return void leaf(text);
    if (path === 'record') this.closeRecord();
    else if (path === 'record/row/policy_evaluated/reason') this.closeReason();
    else if (path === 'record/auth_results/dkim') this.closeDkim();
    else if (path === 'record/auth_results/spf') this.closeSpf();
  }

  /** Counts an element outside the model (by path, or `{namespace}name` for foreign ones). */
  ignore(path: string): void {
    const key = this.ignoredCounts.has(path) || this.ignoredCounts.size < MAX_IGNORED_PATHS ? path : '*';
    this.ignoredCounts.set(key, (this.ignoredCounts.get(key) ?? 0) + 1);
  }

  /** The ignored elements as a plain object (own properties only, so `__proto__` is just a name). */
  get ignored(): Record<string, number> {
    return Object.fromEntries(this.ignoredCounts);
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push(`more warnings were dropped (over ${MAX_WARNINGS})`);
  }

  /** The report, or why it is not one. */
  finish(): DmarcAggregateReport | Stop {
    const m = this.meta;
    if (m.reportId === undefined) return new Stop('bad-report', 'report_metadata/report_id is missing');
    if (m.begin === undefined || m.end === undefined) return new Stop('bad-report', 'report_metadata/date_range needs begin and end');
    if (this.policy.domain === undefined) return new Stop('bad-report', 'policy_published/domain is missing');
    if (m.orgName === undefined) this.warn('report_metadata/org_name is missing');
    if (m.email === undefined) this.warn('report_metadata/email is missing');
    if (m.orgName === '') this.warn('report_metadata/org_name is empty');
    if (m.end < m.begin) this.warn('date_range ends before it begins');
    if (this.records.length === 0) this.warn('the report has no record');
    const metadata: DmarcReportMetadata = { orgName: m.orgName ?? '', email: m.email ?? '', reportId: m.reportId, dateRange: { begin: m.begin, end: m.end }, errors: m.errors };
    if (m.extraContactInfo !== undefined) metadata.extraContactInfo = m.extraContactInfo;
    if (m.generator !== undefined) metadata.generator = m.generator;
    const report: DmarcAggregateReport = { metadata, policyPublished: { ...this.policy, domain: this.policy.domain }, records: this.records };
    if (this.version !== undefined) report.version = this.version;
    if (this.rootNamespace) report.namespace = this.rootNamespace;
    return report;
  }

  private current(): DmarcReportRecord {
    // Paths below `record` only open inside a record, so this is always set; the fallback keeps types honest.
    return this.record ?? (this.record = { sourceIp: '', count: -1, policyEvaluated: { reasons: [] }, identifiers: { headerFrom: '' }, authResults: { dkim: [], spf: [] } });
  }

  private reasonNow(): Partial2<DmarcOverrideReason> {
    return this.reason ?? (this.reason = {});
  }

  private dkimNow(): Partial2<DmarcDkimAuthResult> {
    return this.dkim ?? (this.dkim = {});
  }

  private spfNow(): Partial2<DmarcSpfAuthResult> {
    return this.spf ?? (this.spf = {});
  }

  private recordLeaf(name: string, set: () => void): void {
    if (this.recordFields.has(name)) return this.warn(`record ${this.records.length + 1}: duplicate <${name}>; the first is kept`);
    this.recordFields.add(name);
    set();
  }

  private setSourceIp(value: string): void {
    this.current().sourceIp = value;
    if (isIP(value) === 0) this.warn(`record ${this.records.length + 1}: source_ip "${value.slice(0, 64)}" is not an IP address`);
  }

  private closeRecord(): void {
    const record = this.current();
    const n = this.records.length + 1;
    if (!this.recordFields.has('source_ip')) throw new Stop('bad-report', `record ${n}: row/source_ip is missing`);
    if (!this.recordFields.has('count')) throw new Stop('bad-report', `record ${n}: row/count is missing`);
    if (!this.recordFields.has('header_from')) this.warn(`record ${n}: identifiers/header_from is missing`);
    this.records.push(record);
    this.record = undefined;
  }

  private closeReason(): void {
    const r = this.reasonNow();
    this.reason = undefined;
    if (r.type === undefined && !r.comment) return this.warn(`record ${this.records.length + 1}: an empty <reason> was dropped`);
    const reason: DmarcOverrideReason = { type: r.type ?? 'other' };
    if (r.type === undefined) this.warn(`record ${this.records.length + 1}: a <reason> without type was kept as "other"`);
    if (r.comment) reason.comment = r.comment;
    this.current().policyEvaluated.reasons.push(reason);
  }

  private closeDkim(): void {
    const d = this.dkimNow();
    this.dkim = undefined;
    this.current().authResults.dkim.push({ ...this.authBase('dkim', d), ...(d.selector === undefined ? {} : { selector: d.selector }) });
  }

  private closeSpf(): void {
    const s = this.spfNow();
    this.spf = undefined;
    this.current().authResults.spf.push({ ...this.authBase('spf', s), ...(s.scope === undefined ? {} : { scope: s.scope }) });
  }

  /** domain, result and human_result of an auth_results entry; domain or result missing is flagged, not fatal. */
  private authBase(kind: 'dkim' | 'spf', partial: { domain?: string; result?: string; humanResult?: string }): { domain: string; result: string; humanResult?: string } {
    if (partial.domain === undefined || partial.result === undefined) this.warn(`record ${this.records.length + 1}: auth_results/${kind} without domain or result`);
    return { domain: partial.domain ?? '', result: partial.result ?? 'none', ...(partial.humanResult ? { humanResult: partial.humanResult } : {}) };
  }

  private once<T extends object, K extends keyof T>(target: T, key: K, value: T[K], name: string): void {
    if (target[key] !== undefined) return this.warn(`duplicate <${name}>; the first is kept`);
    target[key] = value;
  }

  /** Empty text means the element is absent (`<disposition></disposition>` in old AOL reports); otherwise `convert` it. */
  private optional<T>(value: string, convert: (value: string) => T): T | undefined {
    return value === '' ? undefined : convert(value);
  }

  /** Lower-cased; a value outside the list is kept as received and flagged. */
  private enumerated<T extends string>(list: readonly T[], value: string, what: string): Known<T> {
    const lower = value.toLowerCase();
    if (lower !== value && (list as readonly string[]).includes(lower)) this.warn(`${what} "${value}" lower-cased`);
    if (!(list as readonly string[]).includes(lower)) this.warn(`${what} "${value.slice(0, 64)}" is not one of ${list.join(', ')}`);
    return lower;
  }

  /** A non-negative integer; `1337270400.0` (163.com's reports) is accepted. Anything else stops the parse. */
  private integer(value: string, what: string): number {
    const match = /^(\d{1,15})(?:\.0*)?$/.exec(value);
    if (!match?.[1]) throw new Stop('bad-report', `${what}: "${value.slice(0, 64)}" is not a non-negative integer`);
    return Number(match[1]);
  }
}
