// Reads a YAML config file into a validated MailflowConfig. Never throws for a bad file: the result lists
// every problem with the key's path and, when the YAML says where it is, the line and column.

import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { CONFIG_SCHEMA } from './schema.js';
import type { MailflowConfig } from './types.js';
import { formatPath, validateValue, type ConfigIssue, type ConfigPath } from './validate.js';

export interface ConfigError {
  /** `listeners[1].port`, or '' for a YAML syntax error. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ConfigResult = { ok: true; config: MailflowConfig } | { ok: false; errors: ConfigError[] };

/** Validates YAML text (`source` names it in nothing but is kept for callers' messages). */
export function parseConfig(text: string): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', message: `YAML: ${e.message.split('\n')[0] ?? e.message}`, line: pos.line, column: pos.col };
      }),
    };
  }
  // An empty file is an empty mapping: every default.
  const raw: unknown = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
  const issues: ConfigIssue[] = [];
  const value = validateValue(raw ?? {}, CONFIG_SCHEMA, [], issues);
  if (issues.length > 0 || value === undefined) {
    return { ok: false, errors: issues.map((issue) => withPosition(issue, doc, lineCounter)) };
  }
  return { ok: true, config: value as MailflowConfig };
}

/** The defaults alone: what `mailflow gateway` runs on without --config. */
export function defaultConfig(): MailflowConfig {
  const result = parseConfig('');
  if (!result.ok) throw new Error(`config: the schema's defaults do not validate: ${result.errors.map((e) => formatConfigError(e)).join('; ')}`);
  return result.config;
}

/** Reads and validates a file; a file that cannot be read is one error with its path. */
export function loadConfigFile(file: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [{ path: '', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }] };
  }
  return parseConfig(text);
}

/** `FILE:LINE:COL: path: message`, the form `mailflow config check` prints. */
export function formatConfigError(error: ConfigError, file?: string): string {
  const where = [file, error.line, error.column].filter((p) => p !== undefined).join(':');
  return `${where === '' ? '' : `${where}: `}${error.path === '' ? '' : `${error.path}: `}${error.message}`;
}

function withPosition(issue: ConfigIssue, doc: Document, lineCounter: LineCounter): ConfigError {
  const node = locate(doc, issue.path, issue.atKey === true);
  const error: ConfigError = { path: formatPath(issue.path), message: issue.message };
  if (node?.range) {
    const pos = lineCounter.linePos(node.range[0]);
    error.line = pos.line;
    error.column = pos.col;
  }
  return error;
}

/** The YAML node at `path` (the key node when `atKey`), or the nearest existing parent (a missing key). */
function locate(doc: Document, path: ConfigPath, atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as string | number;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (pair === undefined) return node as Node;
      if (atKey && i === path.length - 1) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (item === undefined) return node as Node;
      node = item;
    } else {
      return node as Node | undefined;
    }
  }
  return (node ?? undefined) as Node | undefined;
}
