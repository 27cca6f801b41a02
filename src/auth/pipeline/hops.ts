// Trusted upstream hops ("enhanced filtering"): when filters we run or pay for sit in front of us, the SMTP
// client is one of them and SPF against it means nothing. Walk the Received fields back to the first hop
// outside the trusted ranges and evaluate SPF against that hop's IP and HELO.
//
// Only fields written by trusted hosts are read: the topmost field was written by the trusted client that
// connected to us; each next field is read only while the previous one recorded a trusted address. The
// first untrusted hop ends the walk, so whatever that hop (or anyone before it) wrote is never believed.

import { makeNetwork, networkContains, parseIp, type IpNetwork } from '../spf/ip.js';
import { parseReceived } from './received.js';
import { VerifyOptionsError, type SpfHop } from './types.js';

/** Trusted hops walked at most: real filter chains are two or three deep; more is a loop or a forgery. */
export const MAX_TRUSTED_HOPS = 16;

/** Compiled trusted ranges. */
export interface TrustedNetworks {
  networks: readonly IpNetwork[];
  contains(ip: string): boolean;
}

/**
 * Compiles CIDRs (`192.0.2.0/24`, `2001:db8::/32`) and single addresses. Throws VerifyOptionsError
 * (`bad-trusted-hop`) for anything else: a configuration error, reported when the options are read.
 */
export function compileTrustedNetworks(cidrs: readonly string[]): TrustedNetworks {
  const networks = cidrs.map((text) => {
    const [address = '', prefixText, extra] = String(text).trim().split('/');
    const ip = parseIp(address);
    const max = ip?.family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (ip === undefined || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new VerifyOptionsError('bad-trusted-hop', `'${String(text)}' is not an IP address or CIDR network (e.g. 192.0.2.0/24, 2001:db8::/32)`);
    }
    return makeNetwork(ip.family, ip.w, prefix);
  });
  return {
    networks,
    contains(ipText: string): boolean {
      const ip = parseIp(ipText);
      return ip !== undefined && networks.some((net) => networkContains(net, ip));
    },
  };
}

/**
 * Chooses the hop SPF is evaluated against. `received` are the Received field values, topmost first.
 * With no trusted ranges, or a client outside them, it is the SMTP connection itself. Never throws.
 */
export function chooseSpfHop(connection: { ip: string; helo: string }, received: readonly string[], trusted: TrustedNetworks | undefined): SpfHop {
  if (trusted === undefined || trusted.networks.length === 0 || !trusted.contains(connection.ip)) {
    const why = trusted === undefined || trusted.networks.length === 0 ? 'no trusted hops are configured' : `${connection.ip} is not a trusted hop`;
    return { ip: connection.ip, helo: connection.helo, receivedIndex: null, reason: 'connection', detail: `the SMTP client: ${why}`, trustedPath: [] };
  }
  const path = [connection.ip];
  for (let index = 0; index < received.length; index++) {
    if (path.length > MAX_TRUSTED_HOPS) {
      return noHop('too-many-hops', index, path, `more than ${MAX_TRUSTED_HOPS} trusted hops in the Received chain`);
    }
    const parsed = parseReceived(received[index]!);
    // Trusted hosts also write fields for internal steps (local pickup, content filters on 127.0.0.1):
    // a field without a `from` clause adds no hop, so the walk goes on to the one below.
    if (!parsed.ok && parsed.reason === 'no-from-clause') continue;
    if (!parsed.ok) return noHop('unreadable', index, path, `Received[${index}], written by trusted ${path[path.length - 1]}, records no client IP: ${parsed.detail}`);
    const hop = parsed.value;
    if (!trusted.contains(hop.ip)) {
      const result: SpfHop = {
        ip: hop.ip,
        helo: hop.helo,
        receivedIndex: index,
        reason: 'first-untrusted',
        detail: `Received[${index}] (written by trusted ${path[path.length - 1]}) records ${hop.ip}${hop.helo ? ` helo=${hop.helo}` : ''}, the first hop outside the trusted ranges`,
        trustedPath: path,
      };
      if (hop.by !== undefined) result.by = hop.by;
      return result;
    }
    path.push(hop.ip);
  }
  return noHop('all-trusted', null, path, `every hop in the Received chain is trusted (${path.join(' ← ')}): the message started inside`);
}

function noHop(reason: 'unreadable' | 'all-trusted' | 'too-many-hops', index: number | null, path: string[], detail: string): SpfHop {
  return { ip: '', helo: '', receivedIndex: index, reason, detail, trustedPath: path };
}
