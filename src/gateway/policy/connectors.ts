// Relay connectors: named rules that let clients from given IPs/CIDRs (optionally also holding a TLS client
// certificate with a given name) send to external recipients. `checkConnectorSpf` warns at start when the
// domains a connector sends for do not authorise its addresses in SPF (RFC 7208), since receivers would then
// see SPF fail for mail we relay.

import type { ConnectorConfig } from '../config-types.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { checkSpf } from '../../auth/spf/evaluate.js';
import type { SpfResultCode } from '../../auth/spf/types.js';
import { formatIp, makeNetwork, networkContains, parseIp, type IpAddress, type IpNetwork } from '../../auth/spf/ip.js';
import { compileAddressPatterns, type AddressMatcher } from './address-patterns.js';

export interface Connector {
  config: ConnectorConfig;
  name: string;
  networks: IpNetwork[];
  /** Lower-case certificate name required, if any. */
  certName?: string;
  /** Addresses the connector may send as; undefined: any. */
  mayUse?: AddressMatcher;
}

/** What the TLS layer learned about the client certificate. */
export interface ClientCertificate {
  /** The certificate verified against `tls.clientCa`. */
  authorized: boolean;
  /** Subject CN and DNS subjectAltNames, lower case. */
  names: string[];
}

/** Parses `192.0.2.0/24`, `2001:db8::/32` or a bare address; undefined when invalid. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return makeNetwork(ip.family, ip.w, prefix);
}

/** Compiles connector configs; throws a TypeError naming the bad setting (fail loud at start). */
export function compileConnectors(configs: readonly ConnectorConfig[]): Connector[] {
  const names = new Set<string>();
  return configs.map((config) => {
    if (!config.name || names.has(config.name)) throw new TypeError(`connectors: missing or duplicate name "${config.name}"`);
    names.add(config.name);
    if (!config.ips.length) throw new TypeError(`connectors.${config.name}.ips: at least one address or network is needed`);
    const networks = config.ips.map((text) => {
      const net = parseNetwork(text.trim());
      if (!net) throw new TypeError(`connectors.${config.name}.ips: "${text}" is not an IP address or CIDR network`);
      return net;
    });
    return {
      config,
      name: config.name,
      networks,
      certName: config.tlsClientCertName?.toLowerCase(),
      mayUse: config.fromAddresses ? compileAddressPatterns(config.fromAddresses, `connectors.${config.name}.fromAddresses`) : undefined,
    };
  });
}

/**
 * The first connector whose networks hold `ip` and whose certificate requirement (if any) the client meets;
 * undefined when none. A connector that needs a certificate never matches without a verified one.
 */
export function matchConnector(connectors: readonly Connector[], ip: string, cert: ClientCertificate | undefined): Connector | undefined {
  const address = parseIp(ip);
  if (!address) return undefined;
  for (const connector of connectors) {
    if (!connector.networks.some((net) => networkContains(net, address))) continue;
    if (connector.certName !== undefined && !(cert?.authorized && cert.names.includes(connector.certName))) continue;
    return connector;
  }
  return undefined;
}

export interface ConnectorSpfWarning {
  connector: string;
  domain: string;
  /** The network as configured. */
  network: string;
  /** The address checked (first and last of each network). */
  ip: string;
  result: SpfResultCode;
  /** `not-authorized` (SPF did not pass), `no-spf` (none), `spf-error` (temperror/permerror). */
  code: 'not-authorized' | 'no-spf' | 'spf-error';
  detail: string;
}

/** The first and the last address of a network: SPF that covers both likely covers the whole range. */
function representatives(net: IpNetwork): IpAddress[] {
  const first: IpAddress = { family: net.family, w: net.w };
  const words = net.family === 4 ? 1 : 4;
  const last = [0, 0, 0, 0] as [number, number, number, number];
  for (let k = 0; k < words; k++) last[k] = (net.w[k]! | (~net.mask[k]! >>> 0)) >>> 0;
  const lastIp: IpAddress = { family: net.family, w: last };
  return net.prefix === (net.family === 4 ? 32 : 128) ? [first] : [first, lastIp];
}

/**
 * Checks that each of the connector's networks is authorised by the SPF record of each sending domain
 * (`checkSpf` for the first and last address of every network, sender `postmaster@domain`). Returns one
 * warning per address that does not pass; an empty list when all pass. Uses only the given resolver.
 */
export async function checkConnectorSpf(
  connector: ConnectorConfig,
  sendingDomains: readonly string[],
  resolver: DnsResolver,
): Promise<ConnectorSpfWarning[]> {
  const warnings: ConnectorSpfWarning[] = [];
  for (const domain of sendingDomains) {
    for (const text of connector.ips) {
      const net = parseNetwork(text.trim());
      if (!net) continue; // compileConnectors reports bad networks
      for (const ip of representatives(net)) {
        const ipText = formatIp(ip);
        const spf = await checkSpf({ ip: ipText, sender: `postmaster@${domain}`, helo: domain }, { resolver });
        if (spf.result === 'pass') continue;
        const code = spf.result === 'none' ? 'no-spf' : spf.result === 'temperror' || spf.result === 'permerror' ? 'spf-error' : 'not-authorized';
        warnings.push({
          connector: connector.name,
          domain,
          network: text,
          ip: ipText,
          result: spf.result,
          code,
          detail: `connector ${connector.name}: ${ipText} (from ${text}) is not authorised by the SPF record of ${domain}: ${spf.result} (${spf.detail})`,
        });
      }
    }
  }
  return warnings;
}

/**
 * What `mailflow gateway` calls at start: `checkConnectorSpf` for every connector that lists
 * `sendingDomains`, in config order. Returns all warnings (empty when every connector is covered).
 */
export async function checkAllConnectorsSpf(connectors: readonly ConnectorConfig[], resolver: DnsResolver): Promise<ConnectorSpfWarning[]> {
  const warnings: ConnectorSpfWarning[] = [];
  for (const connector of connectors) {
    if (connector.sendingDomains?.length) warnings.push(...(await checkConnectorSpf(connector, connector.sendingDomains, resolver)));
  }
  return warnings;
}
