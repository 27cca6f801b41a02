// Which DNS servers mailflow asks: parsing `HOST[:PORT]` / `[IPv6]:PORT` / bare IPv6 entries, reading
// /etc/resolv.conf `nameserver` lines, and the precedence --dns flags > MAILFLOW_DNS > resolv.conf > 127.0.0.1.
// Servers are IP literals only: naming the resolver by host name would need a resolver to find it.

import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6, SocketAddress } from 'node:net';

/** The standard DNS port (RFC 1035 §4.2). */
export const DNS_PORT = 53;

/** Used when nothing else names a server: a local resolver, as glibc does without a resolv.conf. */
export const DEFAULT_SERVER = '127.0.0.1';

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

export interface ServerAddress {
  /** IP literal; IPv6 without brackets. */
  host: string;
  port: number;
  family: 4 | 6;
}

export type ParseServerResult = { ok: true; value: ServerAddress } | { ok: false; error: string };

/** Thrown by resolveServerList for a server the user named that is not an IP address (optionally with port). */
export class DnsServerListError extends Error {
  readonly code = 'DNS_BAD_SERVER';
}

/**
 * Parses one server: `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353`, `[2001:db8::1]`.
 * Never throws; the error says what was wrong.
 */
export function parseServer(text: string): ParseServerResult {
  const entry = text.trim();
  if (entry === '') return { ok: false, error: 'empty DNS server entry' };
  let host = entry;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (!isIPv6(host)) return { ok: false, error: `'${entry}': ${host} is not an IPv6 address` };
  } else if (!isIPv6(entry)) {
    const colon = entry.lastIndexOf(':');
    if (colon >= 0) {
      host = entry.slice(0, colon);
      portText = entry.slice(colon + 1);
    }
    if (!isIPv4(host)) return { ok: false, error: `'${entry}' is not an IP address (write IPv6 with a port as [addr]:port)` };
  }
  let port = DNS_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { ok: false, error: `'${entry}': port must be 1-65535` };
    }
    port = Number(portText);
  }
  if (isIPv4(host)) return { ok: true, value: { host, port, family: 4 } };
  // Canonical form, so the source address of an answer compares equal to it.
  return { ok: true, value: { host: new SocketAddress({ address: host, family: 'ipv6' }).address, port, family: 6 } };
}

/** Formats a server as `host:port` or `[v6]:port`, the form parseServer reads back. */
export function formatServer(server: ServerAddress): string {
  return server.family === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/**
 * The `nameserver` addresses of a resolv.conf text, in order. Comments (`#`, `;`) are skipped, IPv6 zone ids
 * (`%eth0`) are dropped, lines that are not IP addresses are skipped as glibc does. Never throws.
 */
export function serversFromResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/[#;].*$/, '').trim();
    const match = /^nameserver\s+(\S+)/.exec(line);
    if (!match) continue;
    const address = (match[1] as string).replace(/%.*$/, '');
    if (isIPv4(address) || isIPv6(address)) servers.push(address);
  }
  return servers;
}

export interface ServerListSources {
  /** Values of --dns options; each may hold several servers separated by commas or spaces. */
  flags?: readonly string[];
  /** MAILFLOW_DNS, comma or space separated. */
  env?: string | undefined;
  /** Default /etc/resolv.conf; an unreadable file counts as one without servers. */
  resolvConfPath?: string;
}

/**
 * The servers to ask, as `host:port` strings, from the first source that names any: flags, then env, then
 * resolv.conf, then 127.0.0.1:53. Throws DnsServerListError for an invalid entry in flags or env (the
 * user typed it: fail loud), never for resolv.conf content.
 */
export function resolveServerList(sources: ServerListSources = {}): string[] {
  const fromFlags = splitEntries(sources.flags ?? []);
  if (fromFlags.length > 0) return fromFlags.map((entry) => checked(entry, '--dns'));
  const fromEnv = splitEntries(sources.env === undefined ? [] : [sources.env]);
  if (fromEnv.length > 0) return fromEnv.map((entry) => checked(entry, 'MAILFLOW_DNS'));
  let text = '';
  try {
    text = readFileSync(sources.resolvConfPath ?? DEFAULT_RESOLV_CONF, 'utf8');
  } catch {
    // No resolv.conf: fall through to the default, as the C library does.
  }
  const fromFile = serversFromResolvConf(text).flatMap((entry) => {
    const parsed = parseServer(entry);
    return parsed.ok ? [formatServer(parsed.value)] : [];
  });
  if (fromFile.length > 0) return fromFile;
  return [formatServer({ host: DEFAULT_SERVER, port: DNS_PORT, family: 4 })];
}

function splitEntries(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(/[\s,]+/)).filter((entry) => entry !== '');
}

function checked(entry: string, source: string): string {
  const parsed = parseServer(entry);
  if (!parsed.ok) throw new DnsServerListError(`${source}: ${parsed.error}`);
  return formatServer(parsed.value);
}
