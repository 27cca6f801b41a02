// The shipped Public Suffix List data file: where it lives, loading it once, and replacing it
// (`mailflow psl update --file F`). The list is data, not code: updating it needs no release.

import { readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPublicSuffixList, type PslLoadError, type PublicSuffixList } from './psl.js';

/** The largest list file accepted (the 2026 list is about 330 KB). */
export const MAX_PSL_FILE_BYTES = 8 * 1024 * 1024;

let defaultList: PublicSuffixList | undefined;

/**
 * Where the shipped list lives: `share/public_suffix_list.dat` at the package root (this file sits three
 * levels below it both as source, src/auth/dmarc, and built, dist/auth/dmarc). `MAILFLOW_PSL_FILE`
 * overrides it.
 */
export function defaultPslPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MAILFLOW_PSL_FILE;
  if (override !== undefined && override !== '') return override;
  return fileURLToPath(new URL('../../../share/public_suffix_list.dat', import.meta.url));
}

/** Thrown when the shipped list cannot be read or parsed: an installation problem, not a DMARC result. */
export class PslUnavailableError extends Error {
  readonly code = 'psl-unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'PslUnavailableError';
  }
}

/**
 * The shipped list, loaded on first use and kept. Throws PslUnavailableError when the file is missing or
 * invalid (RFC 7489 mode cannot run without a list; callers may pass their own `psl` instead).
 */
export function defaultPublicSuffixList(): PublicSuffixList {
  if (defaultList !== undefined) return defaultList;
  const path = defaultPslPath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PslUnavailableError(`cannot read the Public Suffix List at ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const loaded = loadPublicSuffixList(text);
  if (!loaded.ok) throw new PslUnavailableError(`the Public Suffix List at ${path} is invalid: ${loaded.error.message}`);
  defaultList = loaded.value;
  return defaultList;
}

/** Replaces the in-memory default list (after an update, or in tests). `undefined` reloads from the file on next use. */
export function setDefaultPublicSuffixList(list: PublicSuffixList | undefined): void {
  defaultList = list;
}

export type PslInstallResult =
  | { ok: true; path: string; rules: number; privateRules: number; bytes: number }
  | { ok: false; error: PslLoadError | { code: 'unreadable' | 'too-large' | 'unwritable'; message: string; line: 0 } };

/**
 * Validates a list file (parses, has the ICANN section, at least MIN_PSL_RULES rules) and installs it at
 * `destination` (default defaultPslPath()) by writing a temporary file and renaming it over the old one,
 * so readers never see half a list. When installed at the default path it also becomes the in-memory
 * default. Never throws.
 */
export function installPublicSuffixList(source: string, destination: string = defaultPslPath()): PslInstallResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (error) {
    return { ok: false, error: { code: 'unreadable', message: `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, line: 0 } };
  }
  if (bytes.length > MAX_PSL_FILE_BYTES) {
    return { ok: false, error: { code: 'too-large', message: `${source} is ${bytes.length} bytes, more than ${MAX_PSL_FILE_BYTES}`, line: 0 } };
  }
  const text = bytes.toString('utf8');
  const loaded = loadPublicSuffixList(text, { requireComplete: true });
  if (!loaded.ok) return { ok: false, error: loaded.error };
  const temporary = `${destination}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, destination);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing to clean up
    }
    return { ok: false, error: { code: 'unwritable', message: `cannot write ${destination}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, line: 0 } };
  }
  if (destination === defaultPslPath()) defaultList = loaded.value;
  return { ok: true, path: destination, rules: loaded.value.ruleCount, privateRules: loaded.value.privateRuleCount, bytes: bytes.length };
}
