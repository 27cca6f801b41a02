// Address and macro helpers for the SPF interop scenario generator: documentation-range addresses (RFC 5737
// IPv4, RFC 3849 IPv6) with networks around them, and the RFC 7208 §7 macro expansion the generator needs to
// publish the names a macro will be expanded to.

import type { SeededRandom } from '../../src/testing/seeded-random.js';

/** The three RFC 5737 documentation /24s, as 32-bit integers. */
export const V4_DOC_NETS = [0xc0000200, 0xc6336400, 0xcb007100] as const; // 192.0.2/24 198.51.100/24 203.0.113/24

export function v4ToText(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

export function v4ToInt(text: string): number {
  return text.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function v4Mask(value: number, cidr: number): number {
  return cidr === 0 ? 0 : (value & (0xffffffff << (32 - cidr))) >>> 0;
}

/** A random address in one of the documentation /24s (never .0 or .255, to keep them plausible hosts). */
export function randomV4(rng: SeededRandom, net: number = rng.pick(V4_DOC_NETS)): number {
  return (net + rng.int(1, 254)) >>> 0;
}

/** An address in the same network as `base` for a prefix of `cidr` bits (cidr ≥ 24 stays in the doc /24). */
export function v4InNetwork(rng: SeededRandom, base: number, cidr: number): number {
  const network = v4Mask(base, cidr);
  const size = 2 ** (32 - cidr);
  return (network + (size <= 2 ? 0 : rng.int(0, size - 1))) >>> 0;
}

const V6_DOC = 0x20010db8n << 96n; // 2001:db8::/32

export function v6ToText(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

export function v6Mask(value: bigint, cidr: number): bigint {
  if (cidr === 0) return 0n;
  const mask = ((1n << BigInt(cidr)) - 1n) << BigInt(128 - cidr);
  return value & mask;
}

/** A random host in 2001:db8::/32, with a sparse shape (zero groups) like real allocations. */
export function randomV6(rng: SeededRandom): bigint {
  const site = rng.bits(32) << 64n;
  const iid = rng.chance(0.5) ? BigInt(rng.int(1, 0xffff)) : rng.bits(64);
  return V6_DOC | site | iid;
}

/** An address in the same network as `base` for a prefix of `cidr` bits (cidr ≥ 32 stays in the doc /32). */
export function v6InNetwork(rng: SeededRandom, base: bigint, cidr: number): bigint {
  const hostBits = 128 - cidr;
  const low = hostBits === 0 ? 0n : rng.bits(Math.min(hostBits, 64)) & ((1n << BigInt(hostBits)) - 1n);
  return v6Mask(base, cidr) | low;
}

/** The 32 nibbles of an IPv6 address, most significant first. */
export function v6Nibbles(value: bigint): string[] {
  return value.toString(16).padStart(32, '0').split('');
}

export interface MacroContext {
  sender: string;
  local: string;
  senderDomain: string;
  domain: string;
  ip: string;
  helo: string;
}

/** The value of one macro letter before transformers (RFC 7208 §7.3), or undefined for letters we don't use. */
export function macroValue(letter: string, ctx: MacroContext): string {
  const isV6 = ctx.ip.includes(':');
  switch (letter.toLowerCase()) {
    case 's':
      return ctx.sender;
    case 'l':
      return ctx.local;
    case 'o':
      return ctx.senderDomain;
    case 'd':
      return ctx.domain;
    case 'h':
      return ctx.helo;
    case 'v':
      return isV6 ? 'ip6' : 'in-addr';
    case 'i':
      return isV6 ? v6Nibbles(ipv6ToBigInt(ctx.ip)).join('.') : ctx.ip;
    case 'c':
      return isV6 ? v6ToText(ipv6ToBigInt(ctx.ip)) : ctx.ip;
    default:
      throw new Error(`macroValue: letter ${letter} is not used by the generator`);
  }
}

/** Expands a macro-string the way RFC 7208 §7.3 says (no URL escaping: the generator never uses upper case). */
export function expandMacros(spec: string, ctx: MacroContext): string {
  return spec.replace(/%\{([a-zA-Z])(\d*)(r?)([-.+,/_=]*)\}|%%|%_|%-/g, (whole, letter, digits, reverse, delims) => {
    if (whole === '%%') return '%';
    if (whole === '%_') return ' ';
    if (whole === '%-') return '%20';
    const separators = (delims as string) || '.';
    let parts = macroValue(letter as string, ctx).split(new RegExp(`[${escapeClass(separators)}]`));
    if (reverse) parts = parts.reverse();
    if (digits) parts = parts.slice(Math.max(0, parts.length - Number(digits)));
    return parts.join('.');
  });
}

function escapeClass(chars: string): string {
  return chars.replace(/[-\\\]^/]/g, (c) => `\\${c}`);
}

/** Parses an IPv6 text address (full or compressed, no embedded IPv4) to a bigint. */
export function ipv6ToBigInt(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The reverse-DNS name of an address (RFC 1035 in-addr.arpa, RFC 3596 ip6.arpa). */
export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${v6Nibbles(ipv6ToBigInt(ip)).reverse().join('.')}.ip6.arpa`;
}
