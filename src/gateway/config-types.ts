// The gateway's configuration as the SMTP listeners and their policy see it: a plain typed object. The YAML
// file and its schema table (src/config) map onto this type; nothing here reads files or the environment.
// Defaults for every limit live in src/gateway/smtp/limits.ts, each a named constant with its reason.

/** What a listener is for. It decides the defaults for AUTH, TLS and whether authentication is required. */
export type ListenerRole = 'inbound' | 'submission';

export interface ListenerConfig {
  /** A name for logs and `ClientInfo.listener`; default the role. */
  name?: string;
  role: ListenerRole;
  /** Address to bind; tests use 127.0.0.1. */
  host: string;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /**
   * TLS mode: `starttls` offers STARTTLS (needs `GatewayConfig.tls`), `implicit` speaks TLS from the first
   * byte (the 465 style, RFC 8314 §3.3), `none` offers no TLS. Default: `starttls` when `tls` is configured.
   */
  tls?: 'none' | 'starttls' | 'implicit';
  /** Offer AUTH. Default: true on submission, false on inbound. AUTH is only offered once TLS is up. */
  auth?: boolean;
  /**
   * Refuse MAIL from clients that neither authenticated nor matched a connector (530 5.7.0). Default: true on
   * submission, false on inbound (where unauthenticated clients may direct-send to our domains).
   */
  requireAuth?: boolean;
  /** Refuse MAIL before STARTTLS (530 5.7.0). Default false. */
  requireTls?: boolean;
  /**
   * A load balancer or filter in front sends the PROXY protocol header (v1 or v2) naming the original client;
   * only connections from `trustedProxies` (addresses or CIDR networks) are accepted on this listener.
   */
  proxyProtocol?: { trustedProxies: string[] };
  /** Host name in the greeting and EHLO reply; default `GatewayConfig.hostname`. */
  hostname?: string;
}

export interface AcceptedDomainConfig {
  /** A domain we receive mail for (lower case, no trailing dot; IDNs in A- or U-label form). */
  domain: string;
  /**
   * When given, only these local parts exist (case-insensitive); others get 550 5.1.1. When absent any local
   * part is accepted and the mailbox server decides.
   */
  mailboxes?: string[];
}

export interface AccountConfig {
  /** The login name for AUTH PLAIN/LOGIN. */
  username: string;
  /** `scrypt$N$r$p$saltB64$hashB64`, made by `hashPassword` (src/gateway/policy/accounts.ts). */
  passwordHash: string;
  /**
   * Addresses this account may send as, in the envelope (MAIL FROM) and the header From: its own and any it
   * is delegated. `*@dept.example.com` allows every local part at exactly that domain.
   */
  fromAddresses: string[];
  /** Messages per rolling hour; default `limits.accountMessagesPerHour`. */
  messagesPerHour?: number;
  /** Turned off accounts fail AUTH like a wrong password. */
  disabled?: boolean;
}

export interface ConnectorConfig {
  /** A name for logs and `ClientInfo.connector`. */
  name: string;
  /** Client addresses or CIDR networks (IPv4 and IPv6) this connector matches. */
  ips: string[];
  /**
   * When set, the client must also present a TLS client certificate that verifies against `tls.clientCa` and
   * whose subject CN or a DNS subjectAltName equals this name (case-insensitive).
   */
  tlsClientCertName?: string;
  /**
   * Header From / MAIL FROM addresses the connector may use (same patterns as accounts). Absent: any address.
   */
  fromAddresses?: string[];
  /** Messages per rolling hour through this connector (all its clients together); absent: no limit. */
  messagesPerHour?: number;
  /** Domains this connector sends for: `checkConnectorSpf` warns when its IPs are not in their SPF. */
  sendingDomains?: string[];
}

export interface DirectSendConfig {
  /** Unauthenticated clients may send to recipients in our accepted domains. Default true (the MX role). */
  enabled: boolean;
  /** Refuse unauthenticated mail whose header From is in one of our accepted domains (550 5.7.1). */
  rejectOwnDomainFrom: boolean;
}

/** Every limit has a default in src/gateway/smtp/limits.ts; a config may override any of them. */
export interface SmtpLimits {
  /** Longest command line in octets, CRLF excluded (500 5.5.2). */
  maxLineBytes: number;
  /** Largest header block in octets (552 5.3.4 at end of data). */
  maxHeaderBytes: number;
  /** Largest message in octets: advertised by SIZE, checked at MAIL and during DATA/BDAT (552 5.3.4). */
  maxMessageBytes: number;
  /** Recipients accepted per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.10). */
  maxRecipients: number;
  /** RCPTs beyond maxRecipients tolerated before 421 and close (Postfix smtpd_recipient_overshoot_limit). */
  recipientOvershoot: number;
  /** NOOP/RSET/VRFY/HELP/HELO/EHLO before a MAIL, per session; then 421 (Postfix smtpd_junk_command_limit). */
  maxCommandsWithoutMail: number;
  /** Unknown or malformed commands per session; then 421 (smtp-server's maxAllowedUnauthenticatedCommands). */
  maxBadCommands: number;
  /** 4xx/5xx replies per session; then 421 (Postfix smtpd_hard_error_limit). */
  maxErrors: number;
  /** Failed AUTH attempts per session; then 421. */
  maxAuthFailures: number;
  /** Messages per session; then 421. */
  maxMessagesPerSession: number;
  /** Silence from the client, in ms, before 421 4.4.2 (RFC 5321 §4.5.3.2.7: at least 5 minutes). */
  idleTimeoutMs: number;
  /** Whole session, in ms, before 421 4.4.2. */
  sessionTimeoutMs: number;
  /** Time a policy stage may take before it counts as a failure (451 4.4.3). */
  policyTimeoutMs: number;
  /** Concurrent sessions from one client IP; more get 421 4.7.0 at connect. */
  maxConnectionsPerIp: number;
  /** Concurrent sessions per listener; more get 421 4.3.2 at connect. */
  maxConnections: number;
  /** Received header fields allowed before 554 5.4.6 (loop detection, RFC 5321 §6.3). */
  maxReceivedHeaders: number;
  /** Default per-account rate for accounts that set none. */
  accountMessagesPerHour: number;
}

export interface TlsConfig {
  /** Server private key, PEM. */
  key: string;
  /** Server certificate chain, PEM. */
  cert: string;
  /** CA certificates (PEM) that client certificates for connectors must chain to. */
  clientCa?: string;
  /** More certificates, chosen by the name a client asks for (SNI); `key`/`cert` stay the default. */
  sni?: { key: string; cert: string }[];
}

export interface GatewayConfig {
  /** Our host name: greeting, EHLO reply. */
  hostname: string;
  listeners: ListenerConfig[];
  acceptedDomains: AcceptedDomainConfig[];
  accounts: AccountConfig[];
  connectors: ConnectorConfig[];
  directSend: DirectSendConfig;
  /** Any limit left out takes its default. */
  limits?: Partial<SmtpLimits>;
  tls?: TlsConfig;
  /**
   * What to do with a bare CR or bare LF in message data (the SMTP smuggling vector): `reject` the whole
   * message with 554 5.6.0, or `normalize` each to CRLF. Either way only CRLF.CRLF ends DATA. Default reject.
   */
  bareLineEndings?: 'reject' | 'normalize';
}
