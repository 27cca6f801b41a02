// The DMARC Policy Record parser (RFC 9989 §4.7, §4.8 ABNF; RFC 7489 §6.3 for the legacy tags): record
// text → a typed DmarcRecord with every problem listed as an issue (offset, message, fix). A text that is
// not a DMARC record (no leading `v=DMARC1`) is the only failure. Never throws, whatever the input.

import { parseReportUriList } from './report-uri.js';
import type {
  AlignmentMode,
  DmarcParseResult,
  DmarcPolicy,
  DmarcRecord,
  DmarcRecordIssue,
  DmarcTag,
} from './types.js';

/** Records longer than this are refused as not-dmarc: TXT answers are bounded by DNS message size anyway. */
export const MAX_RECORD_LENGTH = 16 * 1024;
/** Parsed records kept in memory, keyed by text (FIFO eviction). */
export const PARSE_CACHE_MAX_ENTRIES = 2_000;

const cache = new Map<string, DmarcParseResult>();

const VERSION = 'DMARC1';
const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const KNOWN_TAGS = new Set(['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'rua', 'ruf', 'fo', 'pct', 'rf', 'ri']);
const LEGACY_TAGS = new Set(['pct', 'rf', 'ri']);
const TAG = /^([A-Za-z]+)[ \t]*=[ \t]*/;

/**
 * True when a TXT record's text starts with the DMARC version tag: `v` `=` `DMARC1` with optional WSP
 * around `=`, followed by `;`, WSP or the end (RFC 9989 §4.7, §4.8: the value is case-sensitive).
 * Discovery uses this to discard non-DMARC TXT records (§4.10 step 2).
 */
export function isDmarcRecordText(text: string): boolean {
  return typeof text === 'string' && versionEnd(text) !== undefined;
}

/** Offset just after `DMARC1` when the text starts with a valid version tag. */
function versionEnd(text: string): number | undefined {
  let i = skipWsp(text, 0);
  if (text[i] !== 'v' && text[i] !== 'V') return undefined;
  i = skipWsp(text, i + 1);
  if (text[i] !== '=') return undefined;
  i = skipWsp(text, i + 1);
  if (text.slice(i, i + VERSION.length) !== VERSION) return undefined;
  const end = i + VERSION.length;
  const next = skipWsp(text, end);
  if (next < text.length && text[next] !== ';') return undefined;
  return end;
}

/**
 * Parses a DMARC Policy Record (the TXT character-strings already joined). Returns the typed record with
 * its issues, or `not-dmarc` / `bad-version` when the text is not a DMARC record (RFC 9989 §4.7: such a
 * record "MUST be ignored"). Never throws; results are cached by text (bounded).
 */
export function parseDmarcRecord(text: string): DmarcParseResult {
  if (typeof text !== 'string') return { ok: false, error: { code: 'not-dmarc', message: 'the record is not text', offset: 0 } };
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  let result: DmarcParseResult;
  try {
    result = parseUncached(text);
  } catch (error) {
    // Defensive: a parser bug must not become an exception on hostile input.
    result = { ok: false, error: { code: 'not-dmarc', message: `internal parser error: ${String(error)}`, offset: 0 } };
  }
  if (text.length <= 4096) {
    if (cache.size >= PARSE_CACHE_MAX_ENTRIES) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(text, result);
  }
  return result;
}

/** Empties the parse cache (tests and memory pressure). */
export function clearDmarcParseCache(): void {
  cache.clear();
}

function parseUncached(text: string): DmarcParseResult {
  if (text.length > MAX_RECORD_LENGTH) {
    return { ok: false, error: { code: 'not-dmarc', message: `the record is longer than ${MAX_RECORD_LENGTH} characters`, offset: 0 } };
  }
  const end = versionEnd(text);
  if (end === undefined) return versionError(text);
  const record: DmarcRecord = {
    text,
    pStatus: 'absent',
    subPolicyInvalid: false,
    psd: 'u',
    testing: false,
    adkim: 'relaxed',
    aspf: 'relaxed',
    rua: [],
    ruf: [],
    fo: ['0'],
    legacy: {},
    tags: [{ name: 'v', value: VERSION, offset: skipWsp(text, 0) }],
    issues: [],
  };
  const seen = new Set<string>(['v']);
  let pos = skipWsp(text, end);
  while (pos < text.length) {
    // pos is at a ';' (or the end): take the next part up to the following ';'.
    pos = skipWsp(text, pos + 1);
    if (pos >= text.length) break;
    if (text[pos] === ';') continue;
    let partEnd = text.indexOf(';', pos);
    if (partEnd < 0) partEnd = text.length;
    const part = trimEndWsp(text.slice(pos, partEnd));
    const offset = pos;
    pos = partEnd;
    const tag = TAG.exec(part);
    if (!tag) {
      record.issues.push(syntaxIssue(part, offset));
      continue;
    }
    const name = tag[1]!.toLowerCase();
    const value = part.slice(tag[0].length);
    const valueOffset = offset + tag[0].length;
    const bad = badValueChar(value);
    if (value.length === 0 || bad !== undefined) {
      record.issues.push({
        code: 'syntax',
        severity: 'error',
        tag: name,
        offset: bad === undefined ? valueOffset : valueOffset + bad,
        message:
          value.length === 0
            ? `"${name}=" has no value`
            : `"${name}" holds a character outside printable ASCII at offset ${valueOffset + bad!}`,
        fix: value.length === 0 ? `give "${name}" a value or remove it` : 'DMARC tag values are printable ASCII without ";" (RFC 9989 §4.8)',
      });
      continue;
    }
    if (seen.has(name)) {
      record.issues.push({
        code: 'duplicate-tag',
        severity: 'warning',
        tag: name,
        offset,
        message: `"${name}" appears more than once; the first one counts`,
        fix: `keep a single "${name}" tag`,
      });
      continue;
    }
    seen.add(name);
    record.tags.push({ name, value, offset });
    applyTag(record, { name, value, offset: valueOffset });
  }
  finish(record);
  return { ok: true, value: record };
}

function applyTag(record: DmarcRecord, tag: DmarcTag): void {
  const { name, value, offset } = tag;
  const lower = value.toLowerCase();
  switch (name) {
    case 'p':
    case 'sp':
    case 'np': {
      const policy = POLICIES.find((p) => p === lower);
      if (policy === undefined) {
        if (name === 'p') record.pStatus = 'invalid';
        else record.subPolicyInvalid = true;
        record.issues.push({
          code: 'invalid-policy',
          severity: 'error',
          tag: name,
          offset,
          message: `"${name}=${value}" is not a policy`,
          fix: `use ${name}=none, ${name}=quarantine or ${name}=reject${suggestPolicy(lower, name)}`,
        });
        return;
      }
      if (name === 'p') {
        record.p = policy;
        record.pStatus = 'valid';
      } else if (name === 'sp') record.sp = policy;
      else record.np = policy;
      return;
    }
    case 'psd':
      if (lower === 'y' || lower === 'n' || lower === 'u') record.psd = lower;
      else record.issues.push(invalidValue(name, value, offset, 'psd=y (a public suffix), psd=n (an organizational domain) or psd=u', 'u'));
      return;
    case 't':
      if (lower === 'y' || lower === 'n') record.testing = lower === 'y';
      else record.issues.push(invalidValue(name, value, offset, 't=y (testing) or t=n', 'n'));
      return;
    case 'adkim':
    case 'aspf': {
      const mode: AlignmentMode | undefined = lower === 'r' ? 'relaxed' : lower === 's' ? 'strict' : undefined;
      if (mode === undefined) record.issues.push(invalidValue(name, value, offset, `${name}=r (relaxed) or ${name}=s (strict)`, 'r'));
      else if (name === 'adkim') record.adkim = mode;
      else record.aspf = mode;
      return;
    }
    case 'rua':
    case 'ruf': {
      const list = parseReportUriList(value, offset, name);
      record[name] = list.uris;
      record.issues.push(...list.issues);
      return;
    }
    case 'fo': {
      const options = lower.split(':').map((o) => o.trim());
      const valid = options.every((o) => o === '0' || o === '1' || o === 'd' || o === 's') && !(options.includes('0') && options.includes('1'));
      if (valid && new Set(options).size === options.length) record.fo = options;
      else record.issues.push(invalidValue(name, value, offset, 'fo=0, fo=1, fo=d, fo=s or a colon list such as fo=1:d:s ("0" and "1" exclude each other)', '0'));
      return;
    }
    case 'pct': {
      const n = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
      if (Number.isInteger(n) && n >= 0 && n <= 100) record.legacy.pct = n;
      else record.issues.push(invalidValue(name, value, offset, 'an integer from 0 to 100 (or better: remove pct, RFC 9989 §A.6)', '100'));
      return;
    }
    case 'rf':
      record.legacy.rf = lower.split(':').map((o) => o.trim());
      return;
    case 'ri': {
      const n = /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
      if (Number.isInteger(n) && n <= 0xffffffff) record.legacy.ri = n;
      else record.issues.push(invalidValue(name, value, offset, 'a number of seconds (or better: remove ri, RFC 9989 §C.5.2)', '86400'));
      return;
    }
    default:
      record.issues.push({
        code: 'unknown-tag',
        severity: 'info',
        tag: name,
        offset: offset - name.length - 1,
        message: `"${name}" is not a DMARC tag and is ignored (RFC 9989 §4.7)`,
        fix: `remove "${name}" unless a later DMARC extension defines it${suggestTag(name)}`,
      });
  }
}

/** Record-level checks after all tags are read. */
function finish(record: DmarcRecord): void {
  for (const tag of record.tags) {
    if (LEGACY_TAGS.has(tag.name)) {
      record.issues.push({
        code: 'legacy-tag',
        severity: 'info',
        tag: tag.name,
        offset: tag.offset,
        message:
          tag.name === 'pct'
            ? `"pct" was removed by RFC 9989 (§A.6); it is honoured only in RFC 7489 mode`
            : `"${tag.name}" was removed by RFC 9989 (§C.5.2) and is ignored`,
        fix: tag.name === 'pct' ? 'remove pct; to test a policy use t=y (pct=0 ≈ t=y, pct=100 ≈ t=n)' : `remove ${tag.name}`,
      });
    }
  }
  if (record.pStatus === 'absent') {
    record.issues.push({
      code: 'missing-policy',
      severity: record.rua.length > 0 ? 'warning' : 'error',
      tag: 'p',
      offset: record.text.length,
      message:
        record.rua.length > 0
          ? 'no "p" tag: receivers act as if p=none (RFC 9989 §4.10.1)'
          : 'no "p" tag and no valid "rua": receivers apply no DMARC processing (RFC 9989 §4.10.1)',
      fix: 'add p=none (monitoring), p=quarantine or p=reject right after v=DMARC1',
    });
  }
  if (record.fo.join(':') !== '0' && record.ruf.length === 0 && record.tags.some((t) => t.name === 'fo')) {
    const fo = record.tags.find((t) => t.name === 'fo')!;
    record.issues.push({
      code: 'fo-without-ruf',
      severity: 'info',
      tag: 'fo',
      offset: fo.offset,
      message: '"fo" is ignored without "ruf" (RFC 9989 §4.7)',
      fix: 'add ruf=mailto:… or remove fo',
    });
  }
  if (record.psd === 'y' && record.ruf.length > 0) {
    const ruf = record.tags.find((t) => t.name === 'ruf')!;
    record.issues.push({
      code: 'psd-rua-ruf',
      severity: 'warning',
      tag: 'ruf',
      offset: ruf.offset,
      message: 'a public suffix domain record (psd=y) must not request failure reports (RFC 9989 §10.2)',
      fix: 'remove ruf from the psd=y record',
    });
  }
}

function versionError(text: string): DmarcParseResult {
  const start = skipWsp(text, 0);
  const m = /^v[ \t]*=[ \t]*([^;]*)/i.exec(text.slice(start));
  if (m) {
    const value = trimEndWsp(m[1]!);
    const hint = value.toUpperCase() === VERSION ? ' (the value is case-sensitive)' : '';
    return {
      ok: false,
      error: { code: 'bad-version', message: `"v=${value}" is not "v=DMARC1"${hint}: the record is ignored (RFC 9989 §4.7)`, offset: start },
    };
  }
  return {
    ok: false,
    error: { code: 'not-dmarc', message: 'a DMARC record starts with "v=DMARC1" as its first tag (RFC 9989 §4.7)', offset: start },
  };
}

function syntaxIssue(part: string, offset: number): DmarcRecordIssue {
  const word = part.toLowerCase();
  const shown = part.length > 40 ? `${part.slice(0, 37)}...` : part;
  let fix = 'write each tag as name=value, separated by ";"';
  if ((POLICIES as readonly string[]).includes(word)) fix = `did you mean "p=${word}"?`;
  else if (/^[a-z]+[ \t]*[:-][ \t]*\S/i.test(part)) fix = `use "=" between tag and value: "${part.replace(/[ \t]*[:-][ \t]*/, '=')}"`;
  else if (/^v[ \t]*=/i.test(part)) fix = 'give v=DMARC1 once, as the first tag';
  return { code: 'syntax', severity: 'error', offset, message: `"${shown}" is not a tag=value pair`, fix };
}

function invalidValue(name: string, value: string, offset: number, expected: string, fallback: string): DmarcRecordIssue {
  return {
    code: 'invalid-value',
    severity: 'warning',
    tag: name,
    offset,
    message: `"${name}=${value}" is not valid; the default ${name}=${fallback} is used (RFC 9989 §4.8)`,
    fix: `use ${expected}`,
  };
}

function suggestPolicy(value: string, name: string): string {
  for (const p of POLICIES) if (value.startsWith(p.slice(0, 3)) || p.startsWith(value.slice(0, 3))) return ` (did you mean ${name}=${p}?)`;
  return '';
}

function suggestTag(name: string): string {
  for (const known of KNOWN_TAGS) {
    if (known.length > 1 && (name.startsWith(known) || known.startsWith(name))) return ` (did you mean "${known}"?)`;
  }
  return '';
}

/** Index of the first character outside %x20-3A / %x3C-7E (RFC 9989 §4.8 dmarc-value), or undefined. */
function badValueChar(value: string): number | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x09) continue; // WSP inside a value (e.g. "mailto:a, mailto:b") is allowed by the list rules.
    if (c < 0x20 || c > 0x7e || c === 0x3b) return i;
  }
  return undefined;
}

function skipWsp(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

function trimEndWsp(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(0, end);
}
