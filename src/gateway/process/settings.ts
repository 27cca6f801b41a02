// Turns the validated config file (MailflowConfig) into what the parts take: GatewayConfig for the SMTP
// listeners (with certificate PEMs read and passwords hashed), and the delivery engine's targets. The I/O
// here (reading PEM files, the data directory's generated secrets) happens once, at start.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../policy/accounts.js';
import type { AccountConfig, GatewayConfig, ListenerConfig } from '../config-types.js';
import type { InboundTarget } from '../delivery/engine.js';
import type { SmartHost } from '../delivery/routes.js';
import type { MailflowConfig } from '../../config/types.js';
import { parseHostPort } from '../../config/schema.js';
import { parseTlsPolicyConfig } from '../../transport/tls-policy/config.js';
import type { TlsPolicyConfig } from '../../transport/tls-policy/types.js';
import type { TlsRptReportSettings } from '../delivery/tlsrpt-job.js';
import { generatedCertificate, generatedPassword } from './data-dir.js';
import { compileTrustedNetworks } from '../../auth/pipeline/index.js';
import type { InboundAuthSettings } from '../auth/types.js';

/** A setting names a file that cannot be read. Code 'gateway-config-file-unreadable'. */
export class GatewayFileError extends Error {
  readonly code = 'gateway-config-file-unreadable';
  constructor(setting: string, file: string, cause: unknown) {
    super(`${setting}: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
    this.name = 'GatewayFileError';
  }
}

function readSettingFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new GatewayFileError(setting, file, error);
  }
}

export interface GeneratedSecret {
  username: string;
  password: string;
  /** Where it is kept (mode 0600). */
  file: string;
  created: boolean;
}

export interface ResolvedSettings {
  gateway: GatewayConfig;
  generatedPasswords: GeneratedSecret[];
  /** The generated certificate's file, when one is used. */
  generatedCertificate?: { file: string; created: boolean };
  inbound: InboundTarget;
  smartHost?: SmartHost;
  /** The outbound TLS policy engine's config and inputs. */
  outboundTls: { policy: TlsPolicyConfig; extraCa: string[]; mtaStsCacheFile: string };
  /** TLS-RPT report settings; absent when tlsRpt.enabled is false. */
  tlsRpt?: TlsRptReportSettings & { dir: string };
  /** Inbound authentication; absent when inboundAuth.enabled is false. */
  inboundAuth?: InboundAuthSettings;
}

/** Reads certificates, hashes or generates passwords and builds the listeners' config. */
export async function resolveSettings(config: MailflowConfig, dataDir: string): Promise<ResolvedSettings> {
  let tls: GatewayConfig['tls'];
  let generated: ResolvedSettings['generatedCertificate'];
  if (config.tls.certFile !== undefined && config.tls.keyFile !== undefined) {
    tls = { cert: readSettingFile('tls.certFile', config.tls.certFile), key: readSettingFile('tls.keyFile', config.tls.keyFile) };
  } else {
    const pair = generatedCertificate(dataDir, config.hostname);
    tls = { cert: pair.certPem, key: pair.keyPem };
    generated = { file: pair.certFile, created: pair.created };
  }
  if (config.tls.clientCaFile !== undefined) tls.clientCa = readSettingFile('tls.clientCaFile', config.tls.clientCaFile);
  if (config.tls.sniCertificates.length > 0) {
    tls.sni = config.tls.sniCertificates.map((c, k) => ({
      cert: readSettingFile(`tls.sniCertificates[${k}].certFile`, c.certFile),
      key: readSettingFile(`tls.sniCertificates[${k}].keyFile`, c.keyFile),
    }));
  }

  const generatedPasswords: GeneratedSecret[] = [];
  const accounts: AccountConfig[] = [];
  for (const account of config.accounts) {
    let passwordHash = account.passwordHash;
    if (account.generatedPassword) {
      const secret = generatedPassword(dataDir, account.username);
      generatedPasswords.push({ username: account.username, ...secret });
      passwordHash = await hashPassword(secret.password);
    }
    accounts.push({
      username: account.username,
      passwordHash: passwordHash as string,
      fromAddresses: account.fromAddresses,
      disabled: account.disabled,
      ...(account.messagesPerHour === undefined ? {} : { messagesPerHour: account.messagesPerHour }),
    });
  }

  const listeners: ListenerConfig[] = config.listeners.map((l) => {
    const out: ListenerConfig = { role: l.role, host: l.host, port: l.port, tls: l.tls, requireTls: l.requireTls };
    if (l.name !== undefined) out.name = l.name;
    if (l.auth !== undefined) out.auth = l.auth;
    if (l.requireAuth !== undefined) out.requireAuth = l.requireAuth;
    if (l.hostname !== undefined) out.hostname = l.hostname;
    if (l.proxyProtocol !== undefined) out.proxyProtocol = { trustedProxies: l.proxyProtocol.trustedProxies };
    return out;
  });

  const gateway: GatewayConfig = {
    hostname: config.hostname,
    listeners,
    acceptedDomains: config.acceptedDomains.map((d) => ({ domain: d.domain.toLowerCase(), ...(d.mailboxes ? { mailboxes: d.mailboxes } : {}) })),
    accounts,
    connectors: config.connectors.map((c) => ({ ...c })),
    directSend: { ...config.directSend },
    limits: { ...config.limits },
    tls,
    bareLineEndings: config.bareLineEndings,
  };

  const box = config.delivery.mailboxServer;
  const inbound: InboundTarget = box.protocol === 'maildir'
    ? { kind: 'maildir', dataDir }
    : { kind: box.protocol, host: box.host as string, port: box.port as number };
  const result: ResolvedSettings = { gateway, generatedPasswords, inbound, outboundTls: { policy: { defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [] }, extraCa: [], mtaStsCacheFile: '' } };
  if (generated !== undefined) result.generatedCertificate = generated;
  if (config.delivery.smartHost !== undefined) {
    result.smartHost = { ...(parseHostPort(config.delivery.smartHost, 25) as SmartHost), tls: config.delivery.smartHostTls };
    if (config.delivery.smartHostCaFile !== undefined) {
      readSettingFile('delivery.smartHostCaFile', config.delivery.smartHostCaFile);
      result.smartHost.caFile = config.delivery.smartHostCaFile;
    }
  }
  result.outboundTls = resolveOutboundTls(config, dataDir);
  const inboundAuth = resolveInboundAuth(config);
  if (inboundAuth !== undefined) result.inboundAuth = inboundAuth;
  if (config.tlsRpt.enabled) {
    result.tlsRpt = {
      organizationName: config.tlsRpt.organizationName ?? config.hostname,
      contactInfo: config.tlsRpt.contactInfo ?? `postmaster@${config.hostname}`,
      submitter: config.tlsRpt.submitter ?? config.hostname,
      dir: join(dataDir, 'tlsrpt'),
    };
  }
  return result;
}

/**
 * `outboundTls` as the policy engine takes it (validated again by its own parseTlsPolicyConfig), the extra
 * CAs read, and the MTA-STS cache file under the data directory unless set. Rule CA files are read now so a
 * missing one stops the start instead of deferring every message to that partner.
 */
export function resolveOutboundTls(config: MailflowConfig, dataDir: string): ResolvedSettings['outboundTls'] {
  const o = config.outboundTls;
  const parsed = parseTlsPolicyConfig({ defaultTls: o.defaultTls, minTlsVersion: o.minTlsVersion, mandatory: o.mandatory });
  // The schema ran the same check; a failure here is a bug in the mapping, not a user error.
  if (!parsed.ok) throw new Error(`outboundTls.${parsed.error.path}: ${parsed.error.message}`);
  parsed.value.mandatory.forEach((rule, i) => {
    if (rule.caFile !== undefined) readSettingFile(`outboundTls.mandatory[${i}].caFile`, rule.caFile);
  });
  return {
    policy: parsed.value,
    extraCa: o.extraCaFile === undefined ? [] : [readSettingFile('outboundTls.extraCaFile', o.extraCaFile)],
    mtaStsCacheFile: o.mtaStsCacheFile ?? join(dataDir, 'mta-sts-cache.json'),
  };
}

/**
 * `inboundAuth` with its defaults (the authserv-id is the hostname unless set), or undefined when disabled.
 * The trusted hops are compiled once here so that one the pipeline cannot use stops the start
 * (VerifyOptionsError) instead of failing every message.
 */
export function resolveInboundAuth(config: MailflowConfig): InboundAuthSettings | undefined {
  const a = config.inboundAuth;
  if (!a.enabled) return undefined;
  if (a.trustedHops.length > 0) compileTrustedNetworks(a.trustedHops);
  return {
    authservId: (a.authservId ?? config.hostname).toLowerCase(),
    enforceDmarc: a.enforceDmarc,
    onTempError: a.onTempError,
    trustedArcSealers: [...a.trustedArcSealers],
    trustedHops: [...a.trustedHops],
    dmarcMode: a.dmarcMode,
  };
}
