// The vocabulary of the config schema table: a setting is a key with a type, an optional default and one line
// of meaning. The table (schema.ts) is walked by the validator (validate.ts), which applies the defaults, and
// by the documentation (describe.ts), so a setting's name, type, default and meaning are written once.

export type SettingType =
  | { kind: 'string'; /** What the string must be, for errors and docs ("a host name"). */ what?: string; check?: (value: string) => string | undefined }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  /** Milliseconds: an integer, or a string like "30s", "15m", "4h", "5d". */
  | { kind: 'duration'; minMs: number }
  | { kind: 'list'; of: SettingType; minItems?: number }
  | { kind: 'object'; fields: readonly Setting[]; /** Cross-field rule; returns [key, message] pairs. */ check?: (value: Record<string, unknown>) => [string, string][] };

export interface Setting {
  key: string;
  type: SettingType;
  /** Used when the key is absent. A function computes it (the OS host name); `defaultDoc` then says what it is. */
  default?: unknown;
  /** Absent and no default: an error. */
  required?: boolean;
  /** How the docs show the default when the value alone would not say it. */
  defaultDoc?: string;
  /** One line of meaning. */
  doc: string;
}

export const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "15m", "4h", "5d" or a non-negative integer of milliseconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number);
}

/** The type as the docs and error messages name it. */
export function describeType(type: SettingType): string {
  switch (type.kind) {
    case 'string':
      return type.what ?? 'string';
    case 'integer':
      return type.max === Number.MAX_SAFE_INTEGER ? `integer ≥ ${type.min}` : `integer ${type.min}–${type.max}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return type.values.map((v) => `'${v}'`).join(' | ');
    case 'duration':
      return 'duration (ms, or 30s / 15m / 4h / 5d)';
    case 'list':
      return type.of.kind === 'object' ? 'list of mappings' : `list of ${describeType(type.of)}`;
    case 'object':
      return 'mapping';
  }
}
