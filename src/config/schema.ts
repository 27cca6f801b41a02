// The one schema table of mailflow's config file: every setting's name, type, default and meaning. The
// validator applies it (validate.ts), `mailflow config schema` and docs/config.md print it (describe.ts), and
// src/gateway/main.ts maps the validated value onto GatewayConfig and the delivery engine. An empty file (or
// no file) means every default: the embedded single-machine setup of the README's first command.

import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { parseServer } from '../adapters/dns/server-list.js';
import { parsePasswordHash } from '../gateway/policy/accounts.js';
import { parseNetwork } from '../gateway/policy/connectors.js';
import { parseDomain } from '../gateway/smtp/address.js';
import { DEFAULT_LIMITS } from '../gateway/smtp/limits.js';
import { normalizeFingerprint, parseTlsPolicyConfig } from '../transport/tls-policy/config.js';
import type { SmtpLimits } from '../gateway/config-types.js';
import type { Setting, SettingType } from './table.js';

/** The accepted domain, mailbox and account of the embedded defaults (what a newcomer's first message uses). */
export const DEFAULT_DOMAIN = 'mailflow.test';
export const DEFAULT_MAILBOX = `postmaster@${DEFAULT_DOMAIN}`;
export const DEFAULT_ACCOUNT = `demo@${DEFAULT_DOMAIN}`;
/** Ports of the embedded defaults: unprivileged, so `npm start` needs no root. */
export const DEFAULT_INBOUND_PORT = 2525;
export const DEFAULT_SUBMISSION_PORT = 2587;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name (RFC 1123 §2.1; single labels allowed: a lab machine's name is one). */
export function isHostName(text: string): boolean {
  return HOST_NAME.test(text);
}

/** The OS host name when it is a usable one, else `localhost`. */
function machineHostName(): string {
  const name = osHostname();
  return isHostName(name) ? name : 'localhost';
}

const hostName: SettingType = {
  kind: 'string',
  what: 'a host name',
  check: (v) => (isHostName(v) ? undefined : 'expected a host name like mx.example.com'),
};
const domain: SettingType = {
  kind: 'string',
  what: 'a domain name',
  check: (v) => (parseDomain(v.toLowerCase())?.literal === false ? undefined : 'expected a domain name like example.com (no trailing dot, no address literal)'),
};
const ipAddress: SettingType = { kind: 'string', what: 'an IP address', check: (v) => (isIP(v) !== 0 ? undefined : 'expected an IPv4 or IPv6 address') };
const network: SettingType = { kind: 'string', what: 'an IP address or CIDR network', check: (v) => (parseNetwork(v) ? undefined : 'expected an IP address or a CIDR network like 192.0.2.0/24') };
const addressPattern: SettingType = {
  kind: 'string',
  what: 'an address or *@domain',
  check: (v) => (/^[^@\s]+@[^@\s]+$/.test(v) ? undefined : 'expected an address like app@example.com or a pattern like *@example.com'),
};
/** A plain address (no display name): what a report mail's From holds. */
const reportAddress: SettingType = {
  kind: 'string',
  what: 'an address',
  check: (v) => (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+@[^@\s]+$/.test(v) && parseDomain(v.slice(v.lastIndexOf('@') + 1).toLowerCase())?.literal === false ? undefined : 'expected an address like tlsrpt-noreply@example.com'),
};
const port: SettingType = { kind: 'integer', min: 0, max: 65535 };
const path: SettingType = { kind: 'string', what: 'a file path' };
const dnsServer: SettingType = {
  kind: 'string',
  what: 'ip[:port]',
  check: (v) => (parseServer(v).ok ? undefined : 'expected an IP address with an optional port, e.g. 192.0.2.53 or [2001:db8::53]:5353'),
};

/** Splits `host[:port]` / `[v6]:port` (host a name or an IP); undefined when malformed. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (match === null) return undefined;
  const host = match[1] ?? (match[2] as string);
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined ? isIP(host) !== 6 : isIP(host) === 0 && !isHostName(host)) return undefined;
  return { host, port };
}

const hostPort: SettingType = {
  kind: 'string',
  what: 'host[:port]',
  check: (v) => (parseHostPort(v, 25) ? undefined : 'expected host[:port], e.g. relay.example.net:587 or [2001:db8::1]:25'),
};

const listener: SettingType = {
  kind: 'object',
  fields: [
    { key: 'name', type: { kind: 'string' }, defaultDoc: 'the role', doc: 'Name in logs and the trace.' },
    { key: 'role', type: { kind: 'enum', values: ['inbound', 'submission'] }, required: true, doc: 'inbound: the MX role (direct send to our domains); submission: applications log in (AUTH after STARTTLS).' },
    { key: 'host', type: ipAddress, default: '127.0.0.1', doc: 'Address to listen on (0.0.0.0 or :: for all).' },
    { key: 'port', type: port, required: true, doc: 'TCP port; 0 picks a free one (printed at start).' },
    { key: 'tls', type: { kind: 'enum', values: ['starttls', 'implicit', 'none'] }, default: 'starttls', doc: 'starttls offers STARTTLS; implicit speaks TLS from the first byte (port 465 style); none offers no TLS.' },
    { key: 'auth', type: { kind: 'boolean' }, defaultDoc: 'true on submission, false on inbound', doc: 'Offer AUTH (only ever after TLS).' },
    { key: 'requireAuth', type: { kind: 'boolean' }, defaultDoc: 'true on submission, false on inbound', doc: 'Refuse MAIL from clients that neither logged in nor matched a connector (530 5.7.0).' },
    { key: 'requireTls', type: { kind: 'boolean' }, default: false, doc: 'Refuse MAIL before STARTTLS (530 5.7.0).' },
    { key: 'hostname', type: hostName, defaultDoc: 'the top-level hostname', doc: 'Name in this listener\'s greeting and EHLO reply.' },
    {
      key: 'proxyProtocol',
      type: { kind: 'object', fields: [
        { key: 'trustedProxies', type: { kind: 'list', of: network, minItems: 1 }, required: true, doc: 'The load balancers or filters (addresses or CIDR networks) allowed to connect; each connection must start with their PROXY header.' },
      ] },
      defaultDoc: 'off: clients connect directly',
      doc: 'Behind a load balancer: read the PROXY protocol header (v1 or v2) and take the client it names (docs/gateway-smtp.md).',
    },
  ],
};

const account: SettingType = {
  kind: 'object',
  fields: [
    { key: 'username', type: { kind: 'string' }, required: true, doc: 'Login name for AUTH PLAIN/LOGIN (usually the account\'s address).' },
    {
      key: 'passwordHash',
      type: { kind: 'string', what: 'an scrypt hash', check: (v) => (parsePasswordHash(v) ? undefined : 'expected scrypt$N$r$p$salt$hash as made by `mailflow config hash-password`') },
      doc: 'The password as an scrypt hash (give this or generatedPassword).',
    },
    { key: 'generatedPassword', type: { kind: 'boolean' }, default: false, doc: 'Generate a password at first start, keep it in DATA_DIR/accounts/USERNAME.password (mode 0600) and print it at every start.' },
    { key: 'fromAddresses', type: { kind: 'list', of: addressPattern, minItems: 1 }, required: true, doc: 'Addresses the account may send as (MAIL FROM and header From); *@domain allows every local part.' },
    { key: 'messagesPerHour', type: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER }, defaultDoc: 'limits.accountMessagesPerHour', doc: 'Messages per rolling hour.' },
    { key: 'disabled', type: { kind: 'boolean' }, default: false, doc: 'A disabled account fails AUTH like a wrong password.' },
  ],
  check: (v) => {
    const hasHash = v.passwordHash !== undefined;
    if (hasHash === (v.generatedPassword === true)) return [['passwordHash', 'give exactly one of passwordHash and generatedPassword: true']];
    return [];
  },
};

const connector: SettingType = {
  kind: 'object',
  fields: [
    { key: 'name', type: { kind: 'string' }, required: true, doc: 'Name in logs and the trace.' },
    { key: 'ips', type: { kind: 'list', of: network, minItems: 1 }, required: true, doc: 'Client addresses or CIDR networks this connector matches.' },
    { key: 'tlsClientCertName', type: hostName, doc: 'Also require a TLS client certificate with this name, verified against tls.clientCaFile.' },
    { key: 'fromAddresses', type: { kind: 'list', of: addressPattern }, defaultDoc: 'any address', doc: 'Addresses the connector may send as.' },
    { key: 'messagesPerHour', type: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER }, defaultDoc: 'no limit', doc: 'Messages per rolling hour through this connector, all its clients together (450 4.7.1 at MAIL beyond it).' },
    { key: 'sendingDomains', type: { kind: 'list', of: domain }, default: [], doc: 'Domains it sends for: the gateway warns at start when the connector\'s IPs are not in their SPF.' },
  ],
};

/** The meaning of each SMTP limit (defaults from src/gateway/smtp/limits.ts, where each has its reason). */
const LIMIT_DOCS: Record<keyof SmtpLimits, string> = {
  maxLineBytes: 'Longest command line in octets (500 5.5.2).',
  maxHeaderBytes: 'Largest header block in octets (552 5.3.4).',
  maxMessageBytes: 'Largest message in octets, advertised as SIZE (552 5.3.4).',
  maxRecipients: 'Recipients per message; more get 452 4.5.3.',
  recipientOvershoot: 'RCPTs beyond maxRecipients before 421 and close.',
  maxCommandsWithoutMail: 'NOOP/RSET/VRFY/HELP/HELO/EHLO before a MAIL; then 421.',
  maxBadCommands: 'Unknown or malformed commands per session; then 421.',
  maxErrors: '4xx/5xx replies per session; then 421.',
  maxAuthFailures: 'Failed AUTH attempts per session; then 421.',
  maxMessagesPerSession: 'Messages per session; then 421.',
  idleTimeoutMs: 'Client silence (ms) before 421 4.4.2.',
  sessionTimeoutMs: 'Whole session (ms) before 421 4.4.2.',
  policyTimeoutMs: 'Time (ms) a policy stage may take before 451 4.4.3.',
  maxConnectionsPerIp: 'Concurrent sessions from one IP; more get 421 4.7.0.',
  maxConnections: 'Concurrent sessions per listener; more get 421 4.3.2.',
  maxReceivedHeaders: 'Received fields before 554 5.4.6 (mail loop).',
  accountMessagesPerHour: 'Per-account messages per rolling hour when the account sets none.',
};

const limits: SettingType = {
  kind: 'object',
  fields: (Object.keys(LIMIT_DOCS) as (keyof SmtpLimits)[]).map((key): Setting => ({
    key,
    type: key.endsWith('Ms') ? { kind: 'duration', minMs: 1 } : { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
    default: DEFAULT_LIMITS[key],
    doc: LIMIT_DOCS[key],
  })),
};

const mailboxServer: SettingType = {
  kind: 'object',
  fields: [
    { key: 'protocol', type: { kind: 'enum', values: ['maildir', 'smtp', 'lmtp'] }, default: 'maildir', doc: 'maildir: files under DATA_DIR/mailboxes/ADDRESS/; smtp or lmtp: relay to the mailbox server.' },
    { key: 'host', type: hostName, doc: 'Mailbox server host (smtp and lmtp).' },
    { key: 'port', type: port, doc: 'Mailbox server port (smtp and lmtp).' },
  ],
  check: (v) => (v.protocol !== 'maildir' && (v.host === undefined || v.port === undefined) ? [['', `protocol '${String(v.protocol)}' needs host and port`]] : []),
};

const tlsVersion: SettingType = { kind: 'enum', values: ['TLSv1.2', 'TLSv1.3'] };
const ruleDomain: SettingType = {
  kind: 'string',
  what: 'a domain or .domain',
  check: (v) => (parseTlsPolicyConfig({ mandatory: [{ domain: v }] }).ok ? undefined : 'expected a domain like partner.example, or .partner.example for its subdomains'),
};
const certName: SettingType = {
  kind: 'string',
  what: 'a host name or *.domain',
  check: (v) => (isHostName(v.replace(/^\*\./, '')) ? undefined : 'expected a host name like mx.partner.example or *.partner.example'),
};
const fingerprint: SettingType = {
  kind: 'string',
  what: 'a SHA-256 fingerprint',
  check: (v) => (normalizeFingerprint(v) ? undefined : 'expected 64 hex digits (colons and a sha256: prefix allowed)'),
};

const mandatoryRule: SettingType = {
  kind: 'object',
  fields: [
    { key: 'domain', type: ruleDomain, required: true, doc: 'Recipient domain the rule covers (.domain: its subdomains, not itself).' },
    { key: 'minTlsVersion', type: tlsVersion, defaultDoc: 'outboundTls.minTlsVersion', doc: 'Lowest TLS version for this domain.' },
    { key: 'names', type: { kind: 'list', of: certName, minItems: 1 }, defaultDoc: 'the MX host name (with caFile)', doc: 'Names the certificate must carry (any one): WebPKI authentication.' },
    { key: 'fingerprints', type: { kind: 'list', of: fingerprint, minItems: 1 }, doc: 'SHA-256 of the certificate or of its public key (SPKI): authentication by pinning.' },
    { key: 'caFile', type: path, doc: 'CAs (PEM) trusted instead of the system roots: WebPKI authentication.' },
  ],
};

/**
 * The outbound TLS policy (docs/tls-policy.md). Named `outboundTls` because `tls` is the listeners' certificate.
 * The mapping onto TlsPolicyConfig is checked once more by parseTlsPolicyConfig, the engine's own validator.
 */
const outboundTls: SettingType = {
  kind: 'object',
  fields: [
    { key: 'defaultTls', type: { kind: 'enum', values: ['opportunistic', 'forced'] }, default: 'opportunistic', doc: 'When no mandatory rule, DANE or MTA-STS applies: opportunistic (STARTTLS when offered, else plaintext) or forced (TLS required, unauthenticated).' },
    { key: 'minTlsVersion', type: tlsVersion, default: 'TLSv1.2', doc: 'Lowest TLS version for every mechanism (RFC 8996: nothing below 1.2).' },
    { key: 'mandatory', type: { kind: 'list', of: mandatoryRule }, default: [], doc: 'Per-domain (partner) TLS rules; they win over DANE and MTA-STS. A rule without names, fingerprints or caFile requires TLS without authentication.' },
    { key: 'extraCaFile', type: path, doc: 'Extra CAs (PEM) trusted beside the system roots for MTA-STS policy fetches and WebPKI checks of MX certificates (private PKI, tests).' },
    { key: 'mtaStsCacheFile', type: path, defaultDoc: 'DATA_DIR/mta-sts-cache.json', doc: 'Where fetched MTA-STS policies are kept across restarts (RFC 8461 §5).' },
  ],
  check: (v) => {
    const parsed = parseTlsPolicyConfig({ defaultTls: v.defaultTls, minTlsVersion: v.minTlsVersion, mandatory: v.mandatory });
    return parsed.ok ? [] : [[parsed.error.path, parsed.error.message]];
  },
};

const tlsRpt: SettingType = {
  kind: 'object',
  fields: [
    { key: 'enabled', type: { kind: 'boolean' }, default: true, doc: 'Record each outbound session\'s TLS outcome (in the queue database) and build the daily RFC 8460 reports under DATA_DIR/tlsrpt/.' },
    { key: 'organizationName', type: { kind: 'string' }, defaultDoc: 'the hostname', doc: 'organization-name in our reports.' },
    { key: 'contactInfo', type: { kind: 'string' }, defaultDoc: 'postmaster@HOSTNAME', doc: 'contact-info in our reports (an address or URL).' },
    { key: 'submitter', type: hostName, defaultDoc: 'the hostname', doc: 'Our domain in report file names and TLS-Report-Submitter (RFC 8460 §5.3).' },
    { key: 'send', type: { kind: 'boolean' }, default: true, doc: 'Send each report to the policy domain\'s rua URIs (_smtp._tls): https by POST, mailto as a report mail through our queue; false: only keep the files.' },
    { key: 'keepDays', type: { kind: 'integer', min: 1, max: 3650 }, default: 90, doc: 'Days finished report files are kept in DATA_DIR/tlsrpt/sent and unsent (pruned after each day\'s reports).' },
    { key: 'from', type: reportAddress, defaultDoc: 'tlsrpt-noreply@SUBMITTER', doc: 'From of report mail. RFC 8460 §5.3 wants it DKIM-signed by the reporting domain: give dkimSigning keys for its domain (or a parent), else it goes unsigned and receivers may ignore it.' },
  ],
};

/** `inboundAuth.reports`: DMARC aggregate reports about verified inbound mail (src/gateway/reports). */
const dmarcReports: SettingType = {
  kind: 'object',
  fields: [
    { key: 'enabled', type: { kind: 'boolean' }, default: true, doc: 'With inboundAuth.enabled: record each verified message (in the queue database), and after each UTC day write RFC 9990 reports under DATA_DIR/dmarc-reports/ and mail them to the rua addresses of the domains\' DMARC records.' },
    { key: 'orgName', type: { kind: 'string' }, defaultDoc: 'the hostname', doc: 'org_name in our reports.' },
    { key: 'email', type: reportAddress, defaultDoc: 'dmarc-noreply@HOSTNAME', doc: 'email in our reports, and the From of report mail (DKIM-signed with the dkimSigning keys of its domain).' },
    { key: 'keepDays', type: { kind: 'integer', min: 1, max: 3650 }, default: 90, doc: 'Days finished report files are kept in DATA_DIR/dmarc-reports/sent and unsent.' },
  ],
};

/** `inboundAuth`: what the inbound DATA stage checks and enforces (src/gateway/auth, docs/gateway.md). */
const inboundAuth: SettingType = {
  kind: 'object',
  fields: [
    { key: 'enabled', type: { kind: 'boolean' }, default: false, doc: 'Verify SPF, DKIM, ARC and DMARC on inbound mail, add Authentication-Results and enforce DMARC. Off by default: turn it on for an MX whose DNS resolver works (a few cached lookups per message); false: none of it (no field added, none removed).' },
    { key: 'authservId', type: hostName, defaultDoc: 'the hostname', doc: 'Our authserv-id (RFC 8601): the name in the Authentication-Results field we add; incoming fields claiming it are removed.' },
    {
      key: 'enforceDmarc',
      type: { kind: 'enum', values: ['reject-and-quarantine', 'quarantine-only', 'report-only'] },
      default: 'reject-and-quarantine',
      doc: 'reject-and-quarantine: a failure under p=reject gets 550 5.7.1 and one under p=quarantine is accepted into the queue\'s hold; quarantine-only: both are held; report-only: neither (Authentication-Results only).',
    },
    { key: 'onTempError', type: { kind: 'enum', values: ['accept', 'defer'] }, default: 'accept', doc: 'DMARC temperror (DNS failure): accept the message (dmarc=temperror in its Authentication-Results) or defer it with 451 4.4.3.' },
    { key: 'trustedArcSealers', type: { kind: 'list', of: domain }, default: [], doc: 'ARC sealers (ARC-Seal d=) whose results we believe: a DMARC failure of mail they forwarded and sealed is not enforced when their seal shows a pass (RFC 8617 §7.2).' },
    { key: 'trustedHops', type: { kind: 'list', of: network }, default: [], doc: 'Filters in front of us (IP addresses or CIDR networks): SPF is checked against the first hop outside them, read from their Received fields.' },
    { key: 'dmarcMode', type: { kind: 'enum', values: ['rfc9989', 'rfc7489'] }, default: 'rfc9989', doc: 'DMARC policy discovery: the RFC 9989 DNS tree walk, or RFC 7489 with the shipped Public Suffix List.' },
    { key: 'reports', type: dmarcReports, default: {}, doc: 'DMARC aggregate reports (RFC 9990) about the inbound mail we verify (docs/gateway.md).' },
  ],
};

/** `dkimSigning`: keys for outbound DKIM signing (src/gateway/signing, docs/gateway.md). */
const dkimSigning: SettingType = {
  kind: 'object',
  fields: [
    {
      key: 'keys',
      type: {
        kind: 'list',
        of: {
          kind: 'object',
          fields: [
            { key: 'domain', type: domain, required: true, doc: 'The d= domain: signs mail whose header From is this domain or a subdomain without keys of its own.' },
            { key: 'selector', type: { kind: 'string' }, required: true, doc: 'The s= selector; the public key is published at SELECTOR._domainkey.DOMAIN.' },
            { key: 'keyFile', type: path, required: true, doc: 'Private key (PEM, RSA >= 1024 bits or Ed25519), as `mailflow dkim keygen` writes it; keep it mode 0600.' },
          ],
        },
      },
      default: [],
      doc: 'Signing keys. Several keys of one domain (RSA and Ed25519) give one signature each.',
    },
  ],
};

/** The whole file. */
export const CONFIG_SCHEMA: Extract<SettingType, { kind: 'object' }> = {
  kind: 'object',
  fields: [
    { key: 'hostname', type: hostName, default: machineHostName, defaultDoc: 'the machine\'s host name', doc: 'Our host name: greeting, EHLO, Received fields, DSNs, the generated certificate.' },
    { key: 'dataDir', type: path, default: './data', doc: 'Queue database, Maildir folders, generated certificate and passwords (relative to the working directory; --data-dir wins).' },
    {
      key: 'listeners',
      type: { kind: 'list', of: listener, minItems: 1 },
      default: [
        { role: 'inbound', host: '127.0.0.1', port: DEFAULT_INBOUND_PORT },
        { role: 'submission', host: '127.0.0.1', port: DEFAULT_SUBMISSION_PORT },
      ],
      defaultDoc: `inbound on 127.0.0.1:${DEFAULT_INBOUND_PORT}, submission on 127.0.0.1:${DEFAULT_SUBMISSION_PORT} (STARTTLS + AUTH)`,
      doc: 'SMTP listeners.',
    },
    {
      key: 'acceptedDomains',
      type: {
        kind: 'list',
        of: { kind: 'object', fields: [
          { key: 'domain', type: domain, required: true, doc: 'A domain we receive mail for.' },
          { key: 'mailboxes', type: { kind: 'list', of: { kind: 'string', what: 'a local part' } }, defaultDoc: 'any local part', doc: 'When given, only these local parts exist (550 5.1.1 for others).' },
        ] },
      },
      default: [{ domain: DEFAULT_DOMAIN, mailboxes: ['postmaster'] }],
      defaultDoc: `${DEFAULT_DOMAIN} with the mailbox postmaster`,
      doc: 'Domains we receive mail for (inbound delivery).',
    },
    {
      key: 'accounts',
      type: { kind: 'list', of: account },
      default: [{ username: DEFAULT_ACCOUNT, generatedPassword: true, fromAddresses: [DEFAULT_ACCOUNT] }],
      defaultDoc: `${DEFAULT_ACCOUNT} with a generated password`,
      doc: 'Submission accounts (client submission).',
    },
    { key: 'connectors', type: { kind: 'list', of: connector }, default: [], doc: 'SMTP relay connectors: client IPs (and certificates) that may send to external recipients.' },
    {
      key: 'directSend',
      type: { kind: 'object', fields: [
        { key: 'enabled', type: { kind: 'boolean' }, default: true, doc: 'Unauthenticated clients may send to our accepted domains (the MX role).' },
        { key: 'rejectOwnDomainFrom', type: { kind: 'boolean' }, default: true, doc: 'Refuse unauthenticated mail whose header From is one of our domains (550 5.7.1).' },
      ] },
      default: {},
      doc: 'Direct send: unauthenticated mail to our own domains.',
    },
    { key: 'inboundAuth', type: inboundAuth, default: {}, doc: 'Inbound authentication (SPF, DKIM, ARC, DMARC) and DMARC enforcement for mail on inbound listeners from clients that neither logged in nor matched a connector (docs/gateway.md).' },
    {
      key: 'trace',
      type: { kind: 'object', fields: [
        { key: 'retentionDays', type: { kind: 'integer', min: 1, max: 3650 }, default: 30, doc: 'Days a finished message\'s trail is kept (queued messages keep theirs); pruned every 6 hours.' },
      ] },
      default: {},
      doc: 'The message trace (mailflow trace).',
    },
    {
      key: 'mtaStsHosting',
      type: { kind: 'object', fields: [
        { key: 'enabled', type: { kind: 'boolean' }, default: false, doc: 'Serve our MTA-STS policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt for every accepted domain (needs a certificate covering mta-sts.DOMAIN, see tls.sniCertificates).' },
        { key: 'host', type: ipAddress, default: '127.0.0.1', doc: 'Address of the HTTPS listener (0.0.0.0 or :: for all).' },
        { key: 'port', type: port, default: 443, doc: 'Its port (0 picks one, for tests).' },
        { key: 'mode', type: { kind: 'enum', values: ['testing', 'enforce', 'none'] }, default: 'testing', doc: 'Policy mode: start with testing (with TLS-RPT) and move to enforce; none withdraws the policy.' },
        { key: 'mx', type: { kind: 'list', of: { kind: 'string' } }, defaultDoc: 'the hostname', doc: 'MX host names or *.domain patterns senders may deliver to.' },
        { key: 'maxAgeSeconds', type: { kind: 'integer', min: 0, max: 31557600 }, default: 604800, doc: 'max_age of the policy (a week by default).' },
      ] },
      default: {},
      doc: 'Hosting our own MTA-STS policy (RFC 8461); the gateway logs the _mta-sts TXT record to publish.',
    },
    { key: 'dkimSigning', type: dkimSigning, default: {}, doc: 'DKIM-sign mail from accounts and relay connectors with the header From domain\'s keys before it is queued (docs/gateway.md).' },
    { key: 'limits', type: limits, default: {}, doc: 'SMTP limits; each has a definite reply (docs/gateway-smtp.md).' },
    {
      key: 'tls',
      type: { kind: 'object', fields: [
        { key: 'certFile', type: path, doc: 'Server certificate chain (PEM).' },
        { key: 'keyFile', type: path, doc: 'Server private key (PEM).' },
        { key: 'clientCaFile', type: path, doc: 'CAs (PEM) that connector client certificates must chain to.' },
        {
          key: 'sniCertificates',
          type: { kind: 'list', of: { kind: 'object', fields: [
            { key: 'certFile', type: path, required: true, doc: 'Certificate chain (PEM); its DNS names (subjectAltName, or CN) say which client requests it gets.' },
            { key: 'keyFile', type: path, required: true, doc: 'Its private key (PEM).' },
          ] } },
          default: [],
          doc: 'More certificates, chosen by the host name a client asks for in the TLS handshake (SNI); certFile/keyFile (or the generated one) is the default.',
        },
      ], check: (v) => ((v.certFile === undefined) !== (v.keyFile === undefined) ? [['', 'give both certFile and keyFile, or neither (a self-signed certificate is then generated)']] : []) },
      default: {},
      defaultDoc: 'a self-signed certificate generated in DATA_DIR/tls/',
      doc: 'Server TLS for STARTTLS and implicit TLS.',
    },
    { key: 'outboundTls', type: outboundTls, default: {}, doc: 'Outbound TLS policy: mandatory rules > DANE > MTA-STS > defaultTls (docs/tls-policy.md).' },
    { key: 'tlsRpt', type: tlsRpt, default: {}, doc: 'TLS reporting (RFC 8460) about our outbound sessions.' },
    { key: 'bareLineEndings', type: { kind: 'enum', values: ['reject', 'normalize'] }, default: 'reject', doc: 'A bare CR or LF in message data (SMTP smuggling): reject the message (554 5.6.0) or normalize to CRLF.' },
    {
      key: 'dns',
      type: { kind: 'object', fields: [
        { key: 'servers', type: { kind: 'list', of: dnsServer }, default: [], defaultDoc: '$MAILFLOW_DNS, then /etc/resolv.conf', doc: 'DNS servers (host[:port]) for MX, SPF and the rest.' },
        { key: 'timeoutMs', type: { kind: 'duration', minMs: 1 }, defaultDoc: 'the resolver\'s default', doc: 'Per-query timeout.' },
        { key: 'errorCacheSeconds', type: { kind: 'integer', min: 0, max: 300 }, default: 5, doc: 'Seconds a DNS failure (timeout, SERVFAIL) is remembered, so a resolver that is down costs one timeout per name, not one per message (RFC 2308 §7); 0 turns it off.' },
      ] },
      default: {},
      doc: 'DNS resolution.',
    },
    {
      key: 'delivery',
      type: { kind: 'object', fields: [
        { key: 'paused', type: { kind: 'boolean' }, default: false, doc: 'Accept and queue but deliver nothing (maintenance, benchmarks); the queue is kept.' },
        { key: 'outboundPort', type: port, default: 25, doc: 'Port of remote MX hosts (tests use another).' },
        { key: 'smartHost', type: hostPort, doc: 'Send all outbound mail through this host[:port] instead of MX lookups.' },
        { key: 'smartHostTls', type: { kind: 'enum', values: ['opportunistic', 'mandatory'] }, default: 'opportunistic', doc: 'TLS to the smart host: opportunistic (STARTTLS when offered) or mandatory (TLS with a certificate valid for its name; defer otherwise). Recipient domains\' policies do not apply to it.' },
        { key: 'smartHostCaFile', type: path, defaultDoc: 'the system roots and outboundTls.extraCaFile', doc: 'CAs (PEM) trusted for the smart host\'s certificate (mandatory).' },
        { key: 'mailboxServer', type: mailboxServer, default: {}, doc: 'Where mail for our accepted domains goes.' },
        { key: 'maxQueueAge', type: { kind: 'duration', minMs: 60_000 }, default: '5d', doc: 'Give up on a recipient (5.4.7, bounce) after this long in the queue.' },
        { key: 'maxInFlight', type: { kind: 'integer', min: 1, max: 10_000 }, default: 50, doc: 'Messages delivered at the same time.' },
      ] },
      default: {},
      doc: 'Queue delivery.',
    },
    {
      key: 'log',
      type: { kind: 'object', fields: [
        { key: 'format', type: { kind: 'enum', values: ['auto', 'json', 'pretty'] }, default: 'auto', doc: 'json: one JSON object per line on stdout; pretty: for people; auto: pretty on a terminal, else json.' },
        { key: 'level', type: { kind: 'enum', values: ['debug', 'info', 'warn', 'error'] }, default: 'info', doc: 'Least severe level written (debug adds every SMTP connection).' },
      ] },
      default: {},
      doc: 'Logging.',
    },
  ],
};
