// What the gateway keeps in its data directory besides the queue: a lock (one gateway per directory), the
// generated passwords of accounts that asked for one (mode 0600, the same on every start), and the generated
// self-signed certificate (regenerated only when it no longer fits the host name or is about to expire).

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { certificateStillGood, createSelfSignedCertificate, type SelfSignedCertificate } from './self-signed.js';

export const LOCK_FILE = 'gateway.pid';
export const ACCOUNTS_DIR = 'accounts';
export const TLS_DIR = 'tls';
/** 18 random bytes: 24 base64url characters, 144 bits. */
export const GENERATED_PASSWORD_BYTES = 18;

/** Another gateway runs on this data directory. Code 'gateway-data-dir-locked'. */
export class DataDirLockedError extends Error {
  readonly code = 'gateway-data-dir-locked';
  constructor(dir: string, pid: number) {
    super(`data directory ${dir} is in use by a running gateway (pid ${pid}); stop it or use another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory's lock (a pid file); a stale one left by a killed gateway is replaced. Returns the
 * release function. The lock is what lets start-up take back every message a dead gateway had claimed.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw new DataDirLockedError(dir, pid);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

/** Writes `data` to `file` atomically (temp file + rename) with `mode`. */
function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode, flush: true });
  renameSync(tmp, file);
}

/** A safe file name for an account (its login name with anything odd replaced). */
export function accountFileName(username: string): string {
  return `${username.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_')}.password`;
}

/** The account's generated password: read from the data directory, or made and stored (0600) the first time. */
export function generatedPassword(dir: string, username: string): { password: string; created: boolean; file: string } {
  const folder = join(dir, ACCOUNTS_DIR);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = join(folder, accountFileName(username));
  if (existsSync(file)) {
    const password = readFileSync(file, 'utf8').trim();
    if (password.length > 0) return { password, created: false, file };
  }
  const password = randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
  writeFileAtomic(file, `${password}\n`, 0o600);
  return { password, created: true, file };
}

/** The generated certificate for `hostName` in DIR/tls/, made (or remade) when missing, mismatched or expiring. */
export function generatedCertificate(dir: string, hostName: string): SelfSignedCertificate & { created: boolean; certFile: string } {
  const folder = join(dir, TLS_DIR);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const keyFile = join(folder, 'self-signed.key');
  const certFile = join(folder, 'self-signed.crt');
  if (existsSync(keyFile) && existsSync(certFile)) {
    const pair = { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
    if (certificateStillGood(pair, hostName)) return { ...pair, created: false, certFile };
  }
  const pair = createSelfSignedCertificate(hostName);
  writeFileAtomic(keyFile, pair.keyPem, 0o600);
  writeFileAtomic(certFile, pair.certPem, 0o644);
  return { ...pair, created: true, certFile };
}
