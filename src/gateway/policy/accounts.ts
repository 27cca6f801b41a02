// Submission accounts: scrypt password hashes (salted, compared in constant time), and the addresses each account
// may send as. A login for an unknown user still runs scrypt, so timing does not tell which users exist.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { AccountConfig } from '../config-types.js';
import { compileAddressPatterns, type AddressMatcher } from './address-patterns.js';

/** scrypt cost (N = 2^15, r = 8, p = 1: ~32 MiB and tens of ms per check; RFC 7914 §2, OWASP's floor). */
export const SCRYPT_N = 32768;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
export const SCRYPT_KEY_BYTES = 32;
export const SCRYPT_SALT_BYTES = 16;
/** Highest N a stored hash may ask for: a hash from a hostile config must not exhaust memory. */
export const SCRYPT_MAX_N = 1 << 20;

function scryptAsync(password: Buffer, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function maxmem(n: number, r: number, p: number): number {
  return 128 * n * r * p + 2 * 1024 * 1024 + 128 * r * p;
}

/**
 * Hashes a password as `scrypt$N$r$p$saltB64$hashB64`. `cost` lowers N for tests only.
 */
export async function hashPassword(password: string, cost: { n?: number } = {}): Promise<string> {
  const n = cost.n ?? SCRYPT_N;
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await scryptAsync(Buffer.from(password, 'utf8'), salt, SCRYPT_KEY_BYTES, { N: n, r: SCRYPT_R, p: SCRYPT_P, maxmem: maxmem(n, SCRYPT_R, SCRYPT_P) });
  return `scrypt$${n}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Parses a stored hash; undefined when it is not one of ours or asks for absurd costs. */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0)) return undefined;
  if (n > SCRYPT_MAX_N || (n & (n - 1)) !== 0 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { n, r, p, salt, key };
}

/** True when `password` matches the stored hash. Constant-time on the derived key; never throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) return false;
  try {
    const key = await scryptAsync(Buffer.from(password, 'utf8'), parsed.salt, parsed.key.length, {
      N: parsed.n,
      r: parsed.r,
      p: parsed.p,
      maxmem: maxmem(parsed.n, parsed.r, parsed.p),
    });
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

/** An account with its address patterns compiled. */
export interface Account {
  config: AccountConfig;
  username: string;
  mayUse: AddressMatcher;
}

export class AccountDirectory {
  private readonly byName = new Map<string, Account>();
  /** A hash for unknown users, at the cost the configured accounts use, so both take the same time. */
  private readonly dummyHash: string;

  constructor(accounts: readonly AccountConfig[]) {
    for (const config of accounts) {
      const key = config.username.toLowerCase();
      if (this.byName.has(key)) throw new TypeError(`accounts: duplicate username ${config.username}`);
      if (!parsePasswordHash(config.passwordHash)) throw new TypeError(`accounts.${config.username}: passwordHash is not an scrypt hash made by hashPassword`);
      this.byName.set(key, { config, username: config.username, mayUse: compileAddressPatterns(config.fromAddresses, `accounts.${config.username}.fromAddresses`) });
    }
    const sample = accounts[0] ? parsePasswordHash(accounts[0].passwordHash) : undefined;
    const n = sample?.n ?? SCRYPT_N;
    this.dummyHash = `scrypt$${n}$${SCRYPT_R}$${SCRYPT_P}$${randomBytes(SCRYPT_SALT_BYTES).toString('base64')}$${randomBytes(SCRYPT_KEY_BYTES).toString('base64')}`;
  }

  /** The account when the credentials are right and the account is enabled; undefined otherwise. */
  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const account = this.byName.get(username.toLowerCase());
    const ok = await verifyPassword(password, account?.config.passwordHash ?? this.dummyHash);
    return ok && account && !account.config.disabled ? account : undefined;
  }

  get size(): number {
    return this.byName.size;
  }
}
