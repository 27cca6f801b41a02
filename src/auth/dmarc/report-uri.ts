// DMARC reporting URI lists (`rua`, `ruf`): RFC 9989 §4.6 and §4.8 (dmarc-urilist, with the obsolete
// `!size` suffix of RFC 7489 §6.2 accepted and flagged).

import type { DmarcRecordIssue, DmarcReportUri } from './types.js';

/** URIs kept per tag; more are dropped with an issue (a record is not a mailing list). */
export const MAX_REPORT_URIS = 20;

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/;
const SIZE = /!([0-9]{1,15})([kmgt])?$/i;
const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a comma-separated URI list; invalid entries become issues and are left out. Never throws. */
export function parseReportUriList(value: string, offset: number, tag: string): { uris: DmarcReportUri[]; issues: DmarcRecordIssue[] } {
  const uris: DmarcReportUri[] = [];
  const issues: DmarcRecordIssue[] = [];
  let pos = 0;
  for (const raw of value.split(',')) {
    const lead = raw.length - raw.trimStart().length;
    const entry = raw.trim();
    const at = offset + pos + lead;
    pos += raw.length + 1;
    if (entry.length === 0) {
      issues.push({ code: 'invalid-uri', severity: 'warning', tag, offset: at, message: `empty entry in "${tag}"`, fix: 'remove the extra comma' });
      continue;
    }
    if (uris.length >= MAX_REPORT_URIS) {
      issues.push({ code: 'invalid-uri', severity: 'warning', tag, offset: at, message: `more than ${MAX_REPORT_URIS} URIs in "${tag}"; the rest are ignored`, fix: 'list fewer report addresses' });
      break;
    }
    let uri = entry;
    let maxBytes: number | undefined;
    const size = SIZE.exec(entry);
    if (size) {
      uri = entry.slice(0, size.index);
      maxBytes = Number(size[1]) * (size[2] ? UNITS[size[2].toLowerCase()]! : 1);
      issues.push({
        code: 'legacy-size',
        severity: 'info',
        tag,
        offset: at + size.index,
        message: `the "!${size[1]}${size[2] ?? ''}" size limit was removed by RFC 9989 (§C.4) and is ignored`,
        fix: `write "${uri}" without the size suffix`,
      });
    }
    if (!URI.test(uri) || uri.includes('!')) {
      const fix = /^[^:@\s]+@[^:@\s]+$/.test(uri) ? `write "mailto:${uri}"` : 'write a URI such as mailto:dmarc-reports@example.com';
      issues.push({ code: 'invalid-uri', severity: 'warning', tag, offset: at, message: `"${clip(uri)}" in "${tag}" is not a URI and is ignored`, fix });
      continue;
    }
    const colon = uri.indexOf(':');
    const scheme = uri.slice(0, colon).toLowerCase();
    const item: DmarcReportUri = { uri, scheme, offset: at };
    if (maxBytes !== undefined) item.maxBytes = maxBytes;
    if (scheme === 'mailto') {
      const rest = uri.slice(colon + 1);
      const q = rest.indexOf('?');
      const address = safeDecode(q < 0 ? rest : rest.slice(0, q));
      const atSign = address.lastIndexOf('@');
      if (atSign <= 0 || atSign === address.length - 1) {
        issues.push({ code: 'invalid-uri', severity: 'warning', tag, offset: at, message: `"${clip(uri)}" has no mail address`, fix: 'write mailto:local-part@domain' });
        continue;
      }
      item.address = address;
    }
    uris.push(item);
  }
  return { uris, issues };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
