// Which address and port are this gateway's own listeners, for the MX loop check (RFC 5321 §5.1). A listener
// on a specific address is that address; one on 0.0.0.0 takes every local IPv4 address (all of 127.0.0.0/8
// included: Linux delivers the whole loopback network locally), and one on :: every local address of both
// families (dual stack). Local addresses come from the network interfaces, read when the check is built.

import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface BoundAddress {
  host: string;
  port: number;
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; IPv6 in lower case. */
function normalize(address: string): string {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? (mapped[1] as string) : lower;
}

/** The addresses of this machine's interfaces (IPv6 zone ids dropped). */
export function localInterfaceAddresses(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  return Object.values(interfaces).flatMap((list) => (list ?? []).map((i) => normalize(i.address.replace(/%.*$/, ''))));
}

/** A predicate telling whether (address, port) reaches one of `listeners`. */
export function selfAddressCheck(listeners: readonly BoundAddress[], local: readonly string[] = localInterfaceAddresses()): (address: string, port: number) => boolean {
  const exact = new Set<string>();
  const wildcard4 = new Set<number>();
  const wildcard6 = new Set<number>();
  for (const { host, port } of listeners) {
    const h = normalize(host);
    if (h === '0.0.0.0') wildcard4.add(port);
    else if (h === '::') wildcard6.add(port);
    else exact.add(`${h}|${port}`);
  }
  const localSet = new Set(local.map(normalize));
  return (address, port) => {
    const a = normalize(address);
    if (exact.has(`${a}|${port}`)) return true;
    const isLocal = localSet.has(a) || a === '::1' || (isIPv4(a) && a.startsWith('127.'));
    if (!isLocal) return false;
    if (isIPv4(a)) return wildcard4.has(port) || wildcard6.has(port);
    return isIPv6(a) && wildcard6.has(port);
  };
}
