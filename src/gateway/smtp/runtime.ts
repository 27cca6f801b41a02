// The gateway config compiled once for the listeners: limits resolved, domains, accounts and connectors
// compiled, policy stages built, the TLS context made. Bad settings throw a TypeError naming the setting here,
// at start, not in the first session.

import { createSecureContext, type SecureContext } from 'node:tls';
import type { GatewayConfig, ListenerConfig, ListenerRole, SmtpLimits } from '../config-types.js';
import type { MessageSink } from '../message-sink.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { resolveLimits } from './limits.js';
import { sniContexts } from './sni.js';
import { AccountDirectory } from '../policy/accounts.js';
import { compileConnectors, parseNetwork, type Connector } from '../policy/connectors.js';
import type { IpNetwork } from '../../auth/spf/ip.js';
import { AcceptedDomains } from '../policy/domains.js';
import { AccountRateLimiter } from '../policy/rate-limit.js';
import { buildPolicy } from '../policy/index.js';
import type { GatewayPolicy } from '../policy/types.js';

export interface GatewayDeps {
  /** Where accepted messages go; 250 is sent only after `enqueue` resolves. */
  sink: MessageSink;
  clock?: Clock;
  /** Adds or replaces stages (part 2's protection policies); receives the default policy. */
  extendPolicy?: (policy: GatewayPolicy) => GatewayPolicy;
}

export interface ResolvedListener {
  name: string;
  role: ListenerRole;
  host: string;
  port: number;
  tls: 'none' | 'starttls' | 'implicit';
  auth: boolean;
  requireAuth: boolean;
  requireTls: boolean;
  hostname: string;
  /** PROXY protocol (v1/v2) expected before SMTP, from these proxies only; absent: none. */
  proxyProtocol?: { trusted: IpNetwork[]; timeoutMs: number };
}

export interface GatewayRuntime {
  config: GatewayConfig;
  hostname: string;
  limits: SmtpLimits;
  domains: AcceptedDomains;
  accounts: AccountDirectory;
  connectors: Connector[];
  policy: GatewayPolicy;
  rateLimiter: AccountRateLimiter;
  sink: MessageSink;
  clock: Clock;
  normalizeBareLineEndings: boolean;
  /** TLS server context, when TLS is configured. */
  tls?: { context: SecureContext; requestCert: boolean; contextFor?: (servername: string) => SecureContext };
}

/** Compiles a config. Throws a TypeError naming the setting when the config is unusable. */
export function createGatewayRuntime(config: GatewayConfig, deps: GatewayDeps): GatewayRuntime {
  const limits = resolveLimits(config.limits);
  const clock = deps.clock ?? systemClock;
  const domains = new AcceptedDomains(config.acceptedDomains);
  const rateLimiter = new AccountRateLimiter(clock);
  const connectors = compileConnectors(config.connectors);
  const needCert = connectors.some((c) => c.certName !== undefined);
  if (needCert && !config.tls?.clientCa) throw new TypeError('tls.clientCa: needed by a connector with tlsClientCertName');
  let policy = buildPolicy(config, { domains, rateLimiter, limits });
  if (deps.extendPolicy) policy = deps.extendPolicy(policy);
  if (config.bareLineEndings !== undefined && config.bareLineEndings !== 'reject' && config.bareLineEndings !== 'normalize') {
    throw new TypeError(`bareLineEndings: must be "reject" or "normalize", got ${String(config.bareLineEndings)}`);
  }
  return {
    config,
    hostname: config.hostname,
    limits,
    domains,
    accounts: new AccountDirectory(config.accounts),
    connectors,
    policy,
    rateLimiter,
    sink: deps.sink,
    clock,
    normalizeBareLineEndings: config.bareLineEndings === 'normalize',
    tls: config.tls ? serverTls(config.tls, needCert) : undefined,
  };
}

/** The default server context and, with extra certificates, the SNI chooser (also used by MTA-STS hosting). */
export function serverTls(tls: NonNullable<GatewayConfig['tls']>, requestCert: boolean): NonNullable<GatewayRuntime['tls']> {
  const context = createSecureContext({ key: tls.key, cert: tls.cert, ca: tls.clientCa, minVersion: 'TLSv1.2' });
  if (tls.sni === undefined || tls.sni.length === 0) return { context, requestCert };
  return { context, requestCert, contextFor: sniContexts(tls.sni, context, { ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }), minVersion: 'TLSv1.2' }) };
}

/** Fills a listener's defaults from its role and the gateway config. */
export function resolveListener(listener: ListenerConfig, runtime: GatewayRuntime): ResolvedListener {
  const submission = listener.role === 'submission';
  const tls = listener.tls ?? (runtime.tls ? 'starttls' : 'none');
  if (tls !== 'none' && !runtime.tls) throw new TypeError(`listeners.${listener.name ?? listener.role}.tls: ${tls} needs tls.key and tls.cert`);
  if (listener.role !== 'inbound' && listener.role !== 'submission') throw new TypeError(`listeners: role must be inbound or submission`);
  return {
    name: listener.name ?? listener.role,
    role: listener.role,
    host: listener.host,
    port: listener.port,
    tls,
    auth: listener.auth ?? submission,
    requireAuth: listener.requireAuth ?? submission,
    requireTls: listener.requireTls ?? false,
    hostname: listener.hostname ?? runtime.hostname,
    ...(listener.proxyProtocol === undefined ? {} : { proxyProtocol: compileProxyProtocol(listener, runtime.limits.idleTimeoutMs) }),
  };
}

/** The trusted proxies; a proxy has the idle timeout to send its PROXY header before the connection is dropped. */
function compileProxyProtocol(listener: ListenerConfig, timeoutMs: number): { trusted: IpNetwork[]; timeoutMs: number } {
  const name = listener.name ?? listener.role;
  const trusted = (listener.proxyProtocol?.trustedProxies ?? []).map((text) => {
    const net = parseNetwork(text.trim());
    if (!net) throw new TypeError(`listeners.${name}.proxyProtocol.trustedProxies: "${text}" is not an IP address or CIDR network`);
    return net;
  });
  if (trusted.length === 0) throw new TypeError(`listeners.${name}.proxyProtocol.trustedProxies: name at least one proxy (anyone could claim any address otherwise)`);
  return { trusted, timeoutMs };
}
