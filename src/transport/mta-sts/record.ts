// The `_mta-sts` TXT record (RFC 8461 §3.1): selecting the one record among the TXT answers, and parsing it.

import type { MtaStsParseResult, MtaStsRecord, MtaStsSyntaxCode } from './types.js';

/** Longer records are refused before parsing: a real one is under 100 characters. */
export const MAX_RECORD_LENGTH = 1024;

/** A record "begins with v=STSv1;" (RFC 8461 §3.1): the version, optional WSP, then the field delimiter. */
const STS_PREFIX = /^v=STSv1[ \t]*;/;
const ID = /^[A-Za-z0-9]{1,32}$/;
const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/** True when a TXT record (character-strings joined) is an MTA-STS record candidate (RFC 8461 §3.1). */
export function isMtaStsRecordText(text: string): boolean {
  return STS_PREFIX.test(text);
}

/**
 * Picks the MTA-STS record among TXT answers (each the list of its character-strings, joined without a
 * separator): records not beginning with `v=STSv1;` are discarded; exactly one must remain (RFC 8461 §3.1).
 */
export function selectMtaStsRecord(txt: readonly string[][]): { kind: 'one'; text: string } | { kind: 'none' } | { kind: 'multiple'; count: number } {
  const candidates = txt.map((strings) => strings.join('')).filter(isMtaStsRecordText);
  if (candidates.length === 0) return { kind: 'none' };
  if (candidates.length > 1) return { kind: 'multiple', count: candidates.length };
  return { kind: 'one', text: candidates[0] as string };
}

/**
 * Parses an `_mta-sts` TXT record: `v=STSv1; id=<1-32 alnum>[; ext=value]…[;]` (RFC 8461 §3.1 ABNF).
 * The id is required and may appear once; extension fields are kept but not interpreted. Never throws.
 */
export function parseMtaStsRecord(text: string): MtaStsParseResult<MtaStsRecord> {
  const err = (code: MtaStsSyntaxCode, message: string, offset: number): MtaStsParseResult<MtaStsRecord> => ({
    ok: false,
    error: { code, message, offset },
  });
  if (typeof text !== 'string') return err('not-sts', 'record is not text', 0);
  if (text.length > MAX_RECORD_LENGTH) return err('too-long', `record is over ${MAX_RECORD_LENGTH} characters`, MAX_RECORD_LENGTH);
  if (!text.startsWith('v=STSv1')) return err('not-sts', 'an MTA-STS record starts with "v=STSv1" (RFC 8461 §3.1)', 0);
  let id: string | undefined;
  const extensions: { name: string; value: string }[] = [];
  let offset = 'v=STSv1'.length;
  const rest = text.slice(offset);
  // After the version: 1*(delim field) [delim], where delim = *WSP ";" *WSP.
  const parts = rest.split(';');
  if (parts.length < 2 || (parts[0] ?? '').trim() !== '' || /[^ \t]/.test(parts[0] ?? '')) {
    return err('bad-field', 'expected ";" after "v=STSv1"', offset);
  }
  offset += (parts[0] ?? '').length + 1;
  for (let i = 1; i < parts.length; i++) {
    const raw = parts[i] as string;
    const field = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    const fieldOffset = offset + raw.indexOf(field);
    offset += raw.length + 1;
    if (field === '') {
      if (i === parts.length - 1 && i > 1) break; // the optional trailing delimiter
      return err('bad-field', 'empty field', fieldOffset);
    }
    const eq = field.indexOf('=');
    if (eq <= 0) return err('bad-field', `field "${field}" is not name=value`, fieldOffset);
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (name === 'id') {
      if (id !== undefined) return err('duplicate-field', 'more than one id field', fieldOffset);
      if (!ID.test(value)) return err('bad-id', 'id must be 1 to 32 letters and digits (RFC 8461 §3.1)', fieldOffset + 3);
      id = value;
      continue;
    }
    if (!EXT_NAME.test(name)) return err('bad-field', `"${name}" is not a valid field name`, fieldOffset);
    if (!EXT_VALUE.test(value)) return err('bad-field', `field "${name}" has an invalid value`, fieldOffset + eq + 1);
    extensions.push({ name, value });
  }
  if (id === undefined) return err('missing-id', 'the record has no id field (RFC 8461 §3.1)', text.length);
  return { ok: true, value: { id, extensions } };
}
