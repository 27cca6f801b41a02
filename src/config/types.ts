// The validated config as code sees it: the shape the schema table (schema.ts) produces once defaults are
// applied. Names, defaults and meanings live in the table; this only gives them TypeScript types, and
// src/config/config.test.ts checks that the table's defaults produce exactly this shape.

import type { ListenerRole, SmtpLimits } from '../gateway/config-types.js';

export interface ListenerSettings {
  name?: string;
  role: ListenerRole;
  host: string;
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
  auth?: boolean;
  requireAuth?: boolean;
  requireTls: boolean;
  hostname?: string;
  proxyProtocol?: { trustedProxies: string[] };
}

export interface AccountSettings {
  username: string;
  passwordHash?: string;
  generatedPassword: boolean;
  fromAddresses: string[];
  messagesPerHour?: number;
  disabled: boolean;
}

export interface ConnectorSettings {
  name: string;
  ips: string[];
  tlsClientCertName?: string;
  fromAddresses?: string[];
  messagesPerHour?: number;
  sendingDomains: string[];
}

/** `outboundTls`: the TLS policy engine's config (TlsPolicyConfig) plus where its inputs live. */
export interface OutboundTlsSettings {
  defaultTls: 'opportunistic' | 'forced';
  minTlsVersion: 'TLSv1.2' | 'TLSv1.3';
  mandatory: { domain: string; minTlsVersion?: 'TLSv1.2' | 'TLSv1.3'; names?: string[]; fingerprints?: string[]; caFile?: string }[];
  extraCaFile?: string;
  mtaStsCacheFile?: string;
}

/** `inboundAuth`: the inbound authentication stage (src/gateway/auth). */
export interface InboundAuthConfigSettings {
  enabled: boolean;
  authservId?: string;
  enforceDmarc: 'reject-and-quarantine' | 'quarantine-only' | 'report-only';
  onTempError: 'accept' | 'defer';
  trustedArcSealers: string[];
  trustedHops: string[];
  dmarcMode: 'rfc9989' | 'rfc7489';
  /** DMARC aggregate reports (RFC 9990) about verified inbound mail. */
  reports: { enabled: boolean; orgName?: string; email?: string; keepDays: number };
}

export interface MailflowConfig {
  hostname: string;
  dataDir: string;
  listeners: ListenerSettings[];
  acceptedDomains: { domain: string; mailboxes?: string[] }[];
  accounts: AccountSettings[];
  connectors: ConnectorSettings[];
  directSend: { enabled: boolean; rejectOwnDomainFrom: boolean };
  inboundAuth: InboundAuthConfigSettings;
  trace: { retentionDays: number };
  mtaStsHosting: { enabled: boolean; host: string; port: number; mode: 'testing' | 'enforce' | 'none'; mx?: string[]; maxAgeSeconds: number };
  dkimSigning: { keys: { domain: string; selector: string; keyFile: string }[] };
  limits: SmtpLimits;
  tls: { certFile?: string; keyFile?: string; clientCaFile?: string; sniCertificates: { certFile: string; keyFile: string }[] };
  outboundTls: OutboundTlsSettings;
  tlsRpt: { enabled: boolean; organizationName?: string; contactInfo?: string; submitter?: string; send: boolean; keepDays: number; from?: string };
  bareLineEndings: 'reject' | 'normalize';
  dns: { servers: string[]; timeoutMs?: number; errorCacheSeconds: number };
  delivery: {
    paused: boolean;
    outboundPort: number;
    smartHost?: string;
    smartHostTls: 'opportunistic' | 'mandatory';
    smartHostCaFile?: string;
    mailboxServer: { protocol: 'maildir' | 'smtp' | 'lmtp'; host?: string; port?: number };
    /** Milliseconds. */
    maxQueueAge: number;
    maxInFlight: number;
  };
  log: { format: 'auto' | 'json' | 'pretty'; level: 'debug' | 'info' | 'warn' | 'error' };
}
