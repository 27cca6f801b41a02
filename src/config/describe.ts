// The schema table as people and tools read it: one row per setting (`listeners[].port`), with its type,
// default and meaning. `mailflow config schema` prints it (text or --json); docs/config.md holds its Markdown.

import { CONFIG_SCHEMA } from './schema.js';
import { describeType, type Setting, type SettingType } from './table.js';

export interface SchemaRow {
  key: string;
  type: string;
  required: boolean;
  /** The default as YAML would spell it, or words when it is computed or structured. */
  default: string;
  description: string;
}

function formatDefault(setting: Setting): string {
  if (setting.defaultDoc !== undefined) return setting.defaultDoc;
  if (setting.required === true) return '(required)';
  if (setting.default === undefined || typeof setting.default === 'function') return '(none)';
  if (setting.type.kind === 'object') return '';
  if (setting.type.kind === 'duration' && typeof setting.default === 'number') return `${setting.default} ms`;
  if (Array.isArray(setting.default)) return setting.default.length === 0 ? '[]' : JSON.stringify(setting.default);
  return String(setting.default);
}

function walk(fields: readonly Setting[], prefix: string, rows: SchemaRow[]): void {
  for (const setting of fields) {
    const key = `${prefix}${setting.key}`;
    rows.push({ key, type: describeType(setting.type), required: setting.required === true, default: formatDefault(setting), description: setting.doc });
    const inner: SettingType = setting.type.kind === 'list' ? setting.type.of : setting.type;
    if (inner.kind === 'object') walk(inner.fields, setting.type.kind === 'list' ? `${key}[].` : `${key}.`, rows);
  }
}

/** Every setting of the config file, in table order. */
export function schemaRows(): SchemaRow[] {
  const rows: SchemaRow[] = [];
  walk(CONFIG_SCHEMA.fields, '', rows);
  return rows;
}

/** The table as Markdown (docs/config.md holds exactly this between its markers). */
export function schemaMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = ['| Setting | Type | Default | Meaning |', '| --- | --- | --- | --- |'];
  for (const row of schemaRows()) lines.push(`| \`${row.key}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  return `${lines.join('\n')}\n`;
}

/** The table for a terminal: key, type and default on one line, the meaning indented below. */
export function schemaText(): string {
  return schemaRows()
    .map((row) => `${row.key}  (${row.type}; default: ${row.default === '' ? 'see below' : row.default})\n    ${row.description}\n`)
    .join('');
}
