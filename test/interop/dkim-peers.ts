// The independent DKIM/ARC implementations the interop tests talk to, and the keys they share:
//   dkimpy  (Debian python3-dkim) through dkim-dkimpy-driver.py: one Python process per batch of operations;
//   OpenDKIM (Debian opendkim) in test mode: `opendkim -x CONF -t FILE,FILE,…` with TestPublicKeys, offline.
// Missing peers are reported by name and package so the test can fail with that message: CI installs them
// (scripts/install-test-peers.sh), so a missing one is a broken environment, never a silent skip.

import { spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDkimKey, type GeneratedDkimKey } from '../../src/auth/dkim/index.js';
import type { ZoneData } from '../../src/testing/zone.js';
import { runJsonDriver, runProcess } from '../support/child-process.js';

/** Debian's dkim module is installed for this interpreter only (a pyenv python3 on PATH lacks it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/** Debian installs the daemon in sbin, which is not on every user's PATH. */
export const OPENDKIM_BINARY = '/usr/sbin/opendkim';

const DKIMPY_DRIVER = fileURLToPath(new URL('./dkim-dkimpy-driver.py', import.meta.url));

/** A whole batch gets this long; a hung peer fails the suite instead of hanging it. */
const PEER_DEADLINE_MS = 300_000;

export const INTEROP_DOMAIN = 'example.com';

export type KeyName = 'rsa' | 'ed25519';

export interface InteropKey {
  name: KeyName;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  selector: string;
  record: GeneratedDkimKey;
  privateKey: KeyObject;
  /** The private key as dkimpy takes it: PKCS#1 PEM for RSA, base64 of the 32-octet seed for Ed25519. */
  dkimpyPrivateKey: string;
}

/** Fresh RSA-2048 and Ed25519 keys for one run; published as `<selector>._domainkey.example.com`. */
export function makeInteropKeys(): Record<KeyName, InteropKey> {
  const rsa = generateDkimKey({ type: 'rsa', bits: 2048, domain: INTEROP_DOMAIN, selector: 'rsa2048' });
  const ed = generateDkimKey({ type: 'ed25519', domain: INTEROP_DOMAIN, selector: 'ed25519' });
  const rsaKey = createPrivateKey(rsa.privateKeyPem);
  const edKey = createPrivateKey(ed.privateKeyPem);
  const seed = Buffer.from(edKey.export({ format: 'jwk' }).d as string, 'base64url').toString('base64');
  return {
    rsa: {
      name: 'rsa',
      algorithm: 'rsa-sha256',
      selector: 'rsa2048',
      record: rsa,
      privateKey: rsaKey,
      dkimpyPrivateKey: rsaKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    },
    ed25519: { name: 'ed25519', algorithm: 'ed25519-sha256', selector: 'ed25519', record: ed, privateKey: edKey, dkimpyPrivateKey: seed },
  };
}

/** The keys as zone data for TestDnsServer / ZoneResolver. */
export function keysZone(keys: Record<KeyName, InteropKey>): ZoneData {
  return Object.fromEntries(Object.values(keys).map((k) => [k.record.dnsName, [{ TXT: k.record.txtStrings }]]));
}

/** The keys as `name → record text`, the form dkimpy's dnsfunc and OpenDKIM's TestPublicKeys read. */
export function keysMap(keys: Record<KeyName, InteropKey>): Record<string, string> {
  return Object.fromEntries(Object.values(keys).map((k) => [k.record.dnsName, k.record.txtRecord]));
}

// ---- dkimpy ------------------------------------------------------------------------------------------

interface SignCommon {
  id: string;
  message: Buffer;
  key: KeyName;
  domain: string;
  selector: string;
  algorithm: string;
  headers?: string[] | null;
}

export type DkimpyOp =
  | { id: string; op: 'dkim-verify'; message: Buffer; index?: number }
  | (SignCommon & { op: 'dkim-sign'; canonicalization: string; identity?: string | null; length?: boolean })
  | (SignCommon & { op: 'arc-sign'; srvId: string; timestamp?: number | null })
  | { id: string; op: 'arc-verify'; message: Buffer };

export interface DkimpyResult {
  id: string;
  /** verify: pass/fail (ARC: pass/fail/none); 'crash' when dkimpy raised. */
  result?: string;
  /** dkim-sign: the DKIM-Signature field, without a final CRLF. */
  header?: string;
  /** arc-sign: the ARC set fields, without final CRLFs. */
  headers?: string[];
  /** arc-verify: dkimpy's reason text. */
  reason?: string;
  log?: string[];
  error?: string;
  trace?: string;
}

export interface DkimpyBatch {
  dkimpy: string;
  results: DkimpyResult[];
}

/** Null when dkimpy can be imported, else what is missing and how to install it. */
export function dkimpyMissing(): string | null {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import dkim, nacl'], { encoding: 'utf8' });
  if (probe.error) return `cannot run ${SYSTEM_PYTHON}: ${probe.error.message} (apt-get install python3-dkim)`;
  if (probe.status !== 0) return `dkimpy is not importable by ${SYSTEM_PYTHON} (apt-get install python3-dkim): ${probe.stderr.trim()}`;
  return null;
}

/** Null when dkimpy's ARC signing can run (it needs the authres module), else what to install. */
export function dkimpyArcMissing(): string | null {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import dkim, authres'], { encoding: 'utf8' });
  if (probe.status !== 0) return `dkimpy ARC needs authres (apt-get install python3-dkim python3-authres): ${probe.stderr.trim()}`;
  return null;
}

/**
 * Runs a batch of operations through dkimpy, with `keys` answering its key lookups. Rejects when the
 * driver fails as a whole; an operation dkimpy raised on comes back with result 'crash'.
 */
export function runDkimpy(keys: Record<KeyName, InteropKey>, ops: DkimpyOp[]): Promise<DkimpyBatch> {
  const request = {
    keys: keysMap(keys),
    privateKeys: Object.fromEntries(Object.values(keys).map((k) => [k.name, k.dkimpyPrivateKey])),
    ops: ops.map((op) => ({ ...op, message: op.message.toString('base64') })),
  };
  return runJsonDriver<DkimpyBatch>('dkimpy driver', SYSTEM_PYTHON, [DKIMPY_DRIVER], request, PEER_DEADLINE_MS);
}

// ---- OpenDKIM ----------------------------------------------------------------------------------------

/** Null when OpenDKIM's binary runs, else what is missing and how to install it. */
export function opendkimMissing(): string | null {
  if (!existsSync(OPENDKIM_BINARY)) return `${OPENDKIM_BINARY} not found (apt-get install opendkim opendkim-tools)`;
  const probe = spawnSync(OPENDKIM_BINARY, ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `${OPENDKIM_BINARY} -V failed (${probe.error?.message ?? probe.stderr.trim()}); reinstall opendkim`;
  return null;
}

export interface OpendkimResult {
  /** pass, fail, or 'none' when OpenDKIM printed nothing about the file. */
  result: string;
  detail: string;
}

export interface OpendkimBatch {
  version: string;
  results: Map<string, OpendkimResult>;
}

/** One file's verdict line in test mode with -vv. */
const OPENDKIM_LINE = /^opendkim: ([^:]+\.eml): verification \((.*?)\) (succeeded|failed(?:: (.*))?)$/;

/**
 * Verifies messages (id → bytes) with OpenDKIM in test mode, offline: keys come from a TestPublicKeys file,
 * so it sends no DNS query. All files go to one run (`-t` takes a comma-separated list).
 */
export async function runOpendkim(keys: Record<KeyName, InteropKey>, messages: Map<string, Buffer>): Promise<OpendkimBatch> {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-opendkim-'));
  try {
    const keyFile = join(dir, 'test-public-keys');
    writeFileSync(keyFile, Object.entries(keysMap(keys)).map(([name, text]) => `${name} ${text}\n`).join(''));
    const conf = join(dir, 'opendkim.conf');
    // Mode v: verify only. Syslog off: the verdicts come on stderr. MinimumKeyBits as RFC 8301 §3.2.
    writeFileSync(conf, [`Mode v`, `Syslog no`, `TestPublicKeys ${keyFile}`, `MinimumKeyBits 1024`, `AlwaysAddARHeader yes`, ''].join('\n'));
    const files: string[] = [];
    for (const [id, bytes] of messages) {
      if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new Error(`runOpendkim: id ${id} cannot be a file name in a comma-separated -t list`);
      writeFileSync(join(dir, `${id}.eml`), bytes);
      files.push(`${id}.eml`);
    }
    const { code, stdout, stderr } = await runProcess(OPENDKIM_BINARY, ['-x', conf, '-vv', '-t', files.join(',')], { cwd: dir, deadlineMs: PEER_DEADLINE_MS });
    if (code !== 0) throw new Error(`opendkim -t exited with ${code}: ${stderr.trim().slice(0, 2000)}`);
    const results = new Map<string, OpendkimResult>();
    for (const line of `${stderr}\n${stdout}`.split('\n')) {
      const match = OPENDKIM_LINE.exec(line.trim());
      if (!match) continue;
      const id = (match[1] as string).replace(/\.eml$/, '');
      const ok = match[3] === 'succeeded';
      results.set(id, { result: ok ? 'pass' : 'fail', detail: ok ? (match[2] as string) : `${match[4] ?? 'failed'} (${match[2] as string})` });
    }
    for (const id of messages.keys()) {
      if (!results.has(id)) {
        const said = `${stderr}\n${stdout}`.split('\n').filter((l) => l.includes(`${id}.eml`)).join(' | ');
        results.set(id, { result: 'none', detail: said || 'opendkim printed nothing about this message' });
      }
    }
    const version = spawnSync(OPENDKIM_BINARY, ['-V'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'unknown';
    return { version, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
