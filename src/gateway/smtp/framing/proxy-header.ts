// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load balancer or filter in front of the
// gateway sends before SMTP, naming the original client's address. Parsed from the first bytes of a
// connection; only used on listeners configured for it, from proxies we trust. Pure: bytes in, verdict out.
//
// v1: "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n", at most 107 bytes.
// v2: 12-byte signature, version/command, family/protocol, 16-bit length, then addresses and TLVs (ignored).
// LOCAL (v2) and UNKNOWN (v1) mean "no client address": the connection's own address stands (health checks).

import { isIPv4, isIPv6 } from 'node:net';

export type ProxyHeaderResult =
  /** More bytes are needed. */
  | { kind: 'incomplete' }
  /** `client` is the original client (undefined for LOCAL/UNKNOWN); `consumed` bytes belong to the header. */
  | { kind: 'ok'; consumed: number; client?: { ip: string; port: number }; version: 1 | 2 }
  | { kind: 'error'; reason: string };

/** Longest v1 header, CRLF included. */
export const PROXY_V1_MAX_BYTES = 107;
/** Longest v2 header we accept (addresses plus a few TLVs; the format allows 64 KB). */
export const PROXY_V2_MAX_BYTES = 16 + 1024;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');

/** Whether `data` could still become the start of a header (so far it matches one of the two prefixes). */
function couldStart(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

/** Parses the PROXY header at the start of `data`. */
export function parseProxyHeader(data: Buffer): ProxyHeaderResult {
  if (data.length === 0) return { kind: 'incomplete' };
  if (couldStart(data, V2_SIGNATURE)) return data.length < 16 ? { kind: 'incomplete' } : parseV2(data);
  if (couldStart(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? { kind: 'incomplete' } : parseV1(data);
  return { kind: 'error', reason: 'the connection did not start with a PROXY protocol header' };
}

function parseV1(data: Buffer): ProxyHeaderResult {
  const end = data.indexOf('\r\n');
  if (end === -1) return data.length >= PROXY_V1_MAX_BYTES ? { kind: 'error', reason: 'PROXY v1 line longer than 107 bytes' } : { kind: 'incomplete' };
  if (end + 2 > PROXY_V1_MAX_BYTES) return { kind: 'error', reason: 'PROXY v1 line longer than 107 bytes' };
  const fields = data.toString('latin1', 0, end).split(' ');
  const consumed = end + 2;
  if (fields[1] === 'UNKNOWN') return { kind: 'ok', consumed, version: 1 };
  if (fields.length !== 6 || (fields[1] !== 'TCP4' && fields[1] !== 'TCP6')) return { kind: 'error', reason: 'malformed PROXY v1 line' };
  const [, family, source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string, string];
  const valid = family === 'TCP4' ? isIPv4 : isIPv6;
  if (!valid(source) || !valid(destination)) return { kind: 'error', reason: `PROXY v1 addresses are not ${family} addresses` };
  const port = toPort(sourcePort);
  if (port === undefined || toPort(destinationPort) === undefined) return { kind: 'error', reason: 'PROXY v1 ports are not 0-65535' };
  return { kind: 'ok', consumed, client: { ip: source.toLowerCase(), port }, version: 1 };
}

function toPort(text: string): number | undefined {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseV2(data: Buffer): ProxyHeaderResult {
  if (!data.subarray(0, 12).equals(V2_SIGNATURE)) return { kind: 'error', reason: 'bad PROXY v2 signature' };
  const versionCommand = data[12] as number;
  if (versionCommand >> 4 !== 2) return { kind: 'error', reason: `PROXY v2 version ${versionCommand >> 4} is not 2` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'error', reason: `PROXY v2 command ${command} is unknown` };
  const length = data.readUInt16BE(14);
  if (16 + length > PROXY_V2_MAX_BYTES) return { kind: 'error', reason: `PROXY v2 header of ${16 + length} bytes is too long` };
  if (data.length < 16 + length) return { kind: 'incomplete' };
  const consumed = 16 + length;
  if (command === 0) return { kind: 'ok', consumed, version: 2 }; // LOCAL: the proxy's own connection
  const familyProtocol = data[13] as number;
  const body = data.subarray(16, consumed);
  if (familyProtocol === 0x11) {
    // TCP over IPv4: src(4) dst(4) sport(2) dport(2).
    if (body.length < 12) return { kind: 'error', reason: 'PROXY v2 IPv4 addresses are truncated' };
    return { kind: 'ok', consumed, client: { ip: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) }, version: 2 };
  }
  if (familyProtocol === 0x21) {
    if (body.length < 36) return { kind: 'error', reason: 'PROXY v2 IPv6 addresses are truncated' };
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
    return { kind: 'ok', consumed, client: { ip: compressIpv6(groups), port: body.readUInt16BE(32) }, version: 2 };
  }
  // UNSPEC or UDP/unix: no usable client address; the connection's own stands.
  return { kind: 'ok', consumed, version: 2 };
}

/** The canonical text form (RFC 5952) of eight hex groups; IPv4-mapped addresses as dotted quads. */
function compressIpv6(groups: string[]): string {
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const hi = parseInt(groups[6] as string, 16);
    const lo = parseInt(groups[7] as string, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
