// Validates a parsed config value against the schema table and fills in the defaults. Never throws on bad
// input: every problem becomes a ConfigIssue with the path of the key (`listeners[1].port`), what was
// expected and what was found; unknown keys are errors with a did-you-mean.

import { describeType, parseDuration, type Setting, type SettingType } from './table.js';

/** A path into the config: keys and list indexes. */
export type ConfigPath = (string | number)[];

export interface ConfigIssue {
  path: ConfigPath;
  /** Human text that says what was expected and what was found. */
  message: string;
  /** The problem is the key itself (unknown), not its value: the locator points at the key. */
  atKey?: boolean;
}

/** `listeners[1].port` from ['listeners', 1, 'port']; '(top level)' for the root. */
export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Levenshtein distance, for did-you-mean (keys are short). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The closest known key, if it is close enough to be a typo. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function found(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}' (a string)`;
  return `${String(value)} (a ${typeof value})`;
}

/**
 * Checks `value` against `type` at `path`; returns the value with defaults applied (undefined when invalid)
 * and pushes every problem found onto `issues`.
 */
export function validateValue(value: unknown, type: SettingType, path: ConfigPath, issues: ConfigIssue[]): unknown {
  const fail = (expected: string): undefined => {
    issues.push({ path, message: `expected ${expected}, got ${found(value)}` });
    return undefined;
  };
  switch (type.kind) {
    case 'string': {
      if (typeof value !== 'string' || value.length === 0) return fail(type.what ?? 'a non-empty string');
      const problem = type.check?.(value);
      if (problem !== undefined) {
        issues.push({ path, message: `${problem}, got '${value}'` });
        return undefined;
      }
      return value;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < type.min || value > type.max) return fail(`an ${describeType(type)}`);
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'enum': {
      if (typeof value === 'string' && type.values.includes(value)) return value;
      const guess = typeof value === 'string' ? didYouMean(value, type.values) : undefined;
      fail(`one of ${describeType(type)}`);
      if (guess !== undefined) (issues[issues.length - 1] as ConfigIssue).message += `; did you mean '${guess}'?`;
      return undefined;
    }
    case 'duration': {
      const ms = parseDuration(value);
      if (ms === undefined || ms < type.minMs) return fail(`a duration of at least ${type.minMs} ms (milliseconds, or a number with ms/s/m/h/d)`);
      return ms;
    }
    case 'list': {
      if (!Array.isArray(value)) return fail(`a list of ${type.of.kind === 'object' ? 'mappings' : describeType(type.of)}`);
      if (type.minItems !== undefined && value.length < type.minItems) return fail(`a list of at least ${type.minItems}`);
      const before = issues.length;
      const items = value.map((item, index) => validateValue(item, type.of, [...path, index], issues));
      return issues.length === before ? items : undefined;
    }
    case 'object':
      return validateObject(value, type, path, issues);
  }
}

function validateObject(value: unknown, type: Extract<SettingType, { kind: 'object' }>, path: ConfigPath, issues: ConfigIssue[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ path, message: `expected a mapping of ${type.fields.map((f) => f.key).join(', ')}, got ${found(value)}` });
    return undefined;
  }
  const input = value as Record<string, unknown>;
  const known = type.fields.map((f) => f.key);
  const before = issues.length;
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    issues.push({
      path: [...path, key],
      atKey: true,
      message: `unknown setting '${key}'${guess === undefined ? '' : `; did you mean '${guess}'?`} (known here: ${known.join(', ')})`,
    });
  }
  const output: Record<string, unknown> = {};
  for (const setting of type.fields) {
    const present = Object.hasOwn(input, setting.key) && input[setting.key] !== undefined;
    if (!present) {
      if (setting.required === true) issues.push({ path: [...path, setting.key], message: `missing required setting (${describeType(setting.type)}): ${setting.doc}` });
      else if (setting.default !== undefined) {
        // Defaults go through the validator too, so a default list of mappings gets its items' defaults.
        const filled = validateValue(resolveDefault(setting), setting.type, [...path, setting.key], issues);
        if (filled !== undefined) output[setting.key] = filled;
      }
      continue;
    }
    const checked = validateValue(input[setting.key], setting.type, [...path, setting.key], issues);
    if (checked !== undefined) output[setting.key] = checked;
  }
  if (issues.length === before && type.check !== undefined) {
    for (const [key, message] of type.check(output)) issues.push({ path: key === '' ? path : [...path, key], message });
  }
  return issues.length === before ? output : undefined;
}

/** A setting's default, computed when it is a function, copied so callers can never change the table. */
export function resolveDefault(setting: Setting): unknown {
  const value: unknown = typeof setting.default === 'function' ? (setting.default as () => unknown)() : setting.default;
  return value === undefined ? undefined : structuredClone(value);
}
