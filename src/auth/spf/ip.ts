// IP addresses for SPF: strict parsing of IPv4 / IPv6 text into 32-bit words, CIDR networks pre-computed as
// word + mask pairs, and the textual forms the macros need (%{i}, %{c}, reverse names). No dependency and no
// regex: the evaluation hot path parses every A/AAAA answer it compares, so these stay allocation-light.
//
// RFC 7208 §5.6 (ip4/ip6 syntax: no leading zeros in ip4-network), §5 (IPv4-mapped IPv6 clients are IPv4).

/** A client or record address. IPv4 uses `w[0]` only; IPv6 uses four big-endian 32-bit words. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly w: readonly [number, number, number, number];
}

/** A network from `ip4:`/`ip6:`: the masked address words and the mask words. */
export interface IpNetwork {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly w: readonly [number, number, number, number];
  readonly mask: readonly [number, number, number, number];
}

const NOT_IP = -1;

/**
 * Parses strict dotted-quad IPv4 text (no leading zeros, RFC 7208 §5.6 `qnum`) to an unsigned 32-bit
 * integer, without allocating. Returns -1 when `text[start, end)` is not an IPv4 address.
 */
export function parseIpv4Int(text: string, start = 0, end = text.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (leadingZero) return NOT_IP;
      if (digits === 0 && c === 48) leadingZero = true;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return NOT_IP;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return NOT_IP;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      leadingZero = false;
    } else {
      return NOT_IP;
    }
  }
  if (dots !== 3 || digits === 0) return NOT_IP;
  return value * 256 + octet;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: hex groups, one `::`, optional trailing dotted IPv4) into `out`
 * (four 32-bit words). Returns false, leaving `out` unspecified, when the text is not an IPv6 address.
 */
export function parseIpv6Into(text: string, out: number[] | Uint32Array): boolean {
  const end = text.length;
  if (end < 2 || end > 45) return false;
  const groups = SCRATCH_GROUPS;
  let count = 0;
  let gap = -1; // index in `groups` where `::` sits
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (i < end) {
    // One group, or a trailing IPv4.
    let value = 0;
    let digits = 0;
    const groupStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      const h = hexValue(c);
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
      i++;
    }
    if (i < end && text.charCodeAt(i) === 46) {
      // Embedded IPv4: must be last and leave room for two groups.
      const v4 = parseIpv4Int(text, groupStart, end);
      if (v4 === NOT_IP || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || count >= 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gap >= 0) {
    if (count > 7) return false;
    const fill = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + fill] = groups[k]!;
    for (let k = gap; k < gap + fill; k++) groups[k] = 0;
  } else if (count !== 8) {
    return false;
  }
  for (let k = 0; k < 4; k++) out[k] = (groups[2 * k]! * 65536 + groups[2 * k + 1]!) >>> 0;
  return true;
}

const SCRATCH_GROUPS: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** True when four IPv6 words are an IPv4-mapped address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2). */
export function isV4Mapped(w: ArrayLike<number>): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

/**
 * Parses a client IP address. IPv4-mapped IPv6 is returned as IPv4 (RFC 7208 §5). Surrounding brackets
 * and an `IPv6:` prefix are not accepted: the caller gives plain address text. Returns undefined when invalid.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIpv4Int(text);
  if (v4 !== NOT_IP) return { family: 4, w: [v4, 0, 0, 0] };
  const w = [0, 0, 0, 0];
  if (!parseIpv6Into(text, w)) return undefined;
  if (isV4Mapped(w)) return { family: 4, w: [w[3]!, 0, 0, 0] };
  return { family: 6, w: w as [number, number, number, number] };
}

/** The mask word for bits [32*k, 32*k+32) of a prefix. */
function maskWord(prefix: number, k: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * k));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Builds a network from an address and a prefix length (host bits cleared). */
export function makeNetwork(family: 4 | 6, w: ArrayLike<number>, prefix: number): IpNetwork {
  const mask: [number, number, number, number] = [0, 0, 0, 0];
  const words: [number, number, number, number] = [0, 0, 0, 0];
  const n = family === 4 ? 1 : 4;
  for (let k = 0; k < n; k++) {
    mask[k] = maskWord(prefix, k);
    words[k] = (w[k]! & mask[k]!) >>> 0;
  }
  return { family, prefix, w: words, mask };
}

/** True when `ip` lies in `net`. An IPv4 client never matches an IPv6 network (RFC 7208 §5.6). */
export function networkContains(net: IpNetwork, ip: IpAddress): boolean {
  if (net.family !== ip.family) return false;
  if (((ip.w[0] & net.mask[0]) >>> 0) !== net.w[0]) return false;
  if (net.family === 4) return true;
  return (
    ((ip.w[1] & net.mask[1]) >>> 0) === net.w[1] &&
    ((ip.w[2] & net.mask[2]) >>> 0) === net.w[2] &&
    ((ip.w[3] & net.mask[3]) >>> 0) === net.w[3]
  );
}

const SCRATCH_V6 = new Uint32Array(4);

/**
 * True when the address text of an A/AAAA answer lies within `prefix` bits of `ip`. Invalid text never
 * matches. Allocation-free: this runs once per address record of every `a`/`mx` evaluation.
 */
export function addressTextMatches(text: string, ip: IpAddress, prefix: number): boolean {
  if (ip.family === 4) {
    const v = parseIpv4Int(text);
    if (v === NOT_IP) return false;
    const m = maskWord(prefix, 0);
    return ((v & m) >>> 0) === ((ip.w[0] & m) >>> 0);
  }
  if (!parseIpv6Into(text, SCRATCH_V6)) return false;
  for (let k = 0; k < 4; k++) {
    const m = maskWord(prefix, k);
    if (m === 0) return true;
    if (((SCRATCH_V6[k]! & m) >>> 0) !== ((ip.w[k]! & m) >>> 0)) return false;
  }
  return true;
}

/** Dotted-quad text of an IPv4 word. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text (lower case, longest zero run compressed) of an address; IPv4 as dotted quad. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return formatIpv4(ip.w[0]);
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(ip.w[k]! >>> 16, ip.w[k]! & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** The 32 nibbles of an IPv6 address, most significant first, as upper-case hex digits. */
function nibbles(ip: IpAddress): string[] {
  const out: string[] = [];
  for (let k = 0; k < 4; k++) {
    for (let s = 28; s >= 0; s -= 4) out.push(((ip.w[k]! >>> s) & 15).toString(16).toUpperCase());
  }
  return out;
}

/**
 * The `%{i}` value (RFC 7208 §7.3): dotted quad for IPv4, dot-separated nibbles for IPv6
 * (upper-case hex, as in the §7.4 examples).
 */
export function macroIpText(ip: IpAddress): string {
  return ip.family === 4 ? formatIpv4(ip.w[0]) : nibbles(ip).join('.');
}

/** The reverse-lookup name: `d.c.b.a.in-addr.arpa` or the nibble form under `ip6.arpa` (RFC 7208 §5.5). */
export function reverseName(ip: IpAddress): string {
  if (ip.family === 4) {
    const v = ip.w[0];
    return `${v & 255}.${(v >>> 8) & 255}.${(v >>> 16) & 255}.${v >>> 24}.in-addr.arpa`;
  }
  return `${nibbles(ip).reverse().join('.').toLowerCase()}.ip6.arpa`;
}

/** True when two addresses are the same. */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.w[0] === b.w[0] && a.w[1] === b.w[1] && a.w[2] === b.w[2] && a.w[3] === b.w[3];
}
