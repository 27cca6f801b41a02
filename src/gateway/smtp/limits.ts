// Every SMTP limit as a named constant with its reason. A config overrides any of them (GatewayConfig.limits);
// the reply each one gives when hit is listed in docs/gateway-smtp.md.

import type { SmtpLimits } from '../config-types.js';

/**
 * Command line: RFC 5321 §4.5.3.1.4 allows 512 octets plus what extensions add (SIZE, DSN's ENVID/ORCPT of up
 * to 100 xtext octets each, SMTPUTF8 addresses); RFC 4954 §4 raises it for AUTH to 12,288 for large SASL
 * responses. Our PLAIN/LOGIN credentials are short, so 4 KiB holds every real command with room to spare.
 */
export const DEFAULT_MAX_LINE_BYTES = 4096;
/** Header block: generous for long DKIM/ARC chains, small enough that one message cannot hog memory. */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;
/** Message size advertised by SIZE (RFC 1870); 25 MiB is what big providers accept. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients. */
export const DEFAULT_MAX_RECIPIENTS = 100;
/** Postfix smtpd_recipient_overshoot_limit: 452s tolerated before we call it a flood and hang up. */
export const DEFAULT_RECIPIENT_OVERSHOOT = 1000;
/** Postfix smtpd_junk_command_limit: a session that only NOOPs is holding a slot. */
export const DEFAULT_MAX_COMMANDS_WITHOUT_MAIL = 100;
/** A client that sent 10 unknown/malformed commands is not speaking SMTP (an HTTP client, a scanner). */
export const DEFAULT_MAX_BAD_COMMANDS = 10;
/** Postfix smtpd_hard_error_limit: address harvesters and relay probers collect many errors. */
export const DEFAULT_MAX_ERRORS = 20;
/** Password guessing: three failures per session, then the client must reconnect. */
export const DEFAULT_MAX_AUTH_FAILURES = 3;
/** Bounds one session's share of the queue. */
export const DEFAULT_MAX_MESSAGES_PER_SESSION = 1000;
/** RFC 5321 §4.5.3.2.7: the server timeout is at least 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60 * 1000;
/** A slow-drip client that never goes idle still ends. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60 * 1000;
/** A policy stage (DNS, a store) that takes longer has failed: 451, never "continue". */
export const DEFAULT_POLICY_TIMEOUT_MS = 30 * 1000;
/** One address should not take many slots (Postfix smtpd_client_connection_count_limit is 50). */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 20;
/** Per listener; beyond it new clients get 421 and retry later. */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/** Postfix hopcount_limit: more Received fields than this is a mail loop (RFC 5321 §6.3). */
export const DEFAULT_MAX_RECEIVED_HEADERS = 50;
/** Per account, rolling hour, when the account sets none. */
export const DEFAULT_ACCOUNT_MESSAGES_PER_HOUR = 1000;

export const DEFAULT_LIMITS: Readonly<SmtpLimits> = Object.freeze({
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxRecipients: DEFAULT_MAX_RECIPIENTS,
  recipientOvershoot: DEFAULT_RECIPIENT_OVERSHOOT,
  maxCommandsWithoutMail: DEFAULT_MAX_COMMANDS_WITHOUT_MAIL,
  maxBadCommands: DEFAULT_MAX_BAD_COMMANDS,
  maxErrors: DEFAULT_MAX_ERRORS,
  maxAuthFailures: DEFAULT_MAX_AUTH_FAILURES,
  maxMessagesPerSession: DEFAULT_MAX_MESSAGES_PER_SESSION,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
  policyTimeoutMs: DEFAULT_POLICY_TIMEOUT_MS,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxReceivedHeaders: DEFAULT_MAX_RECEIVED_HEADERS,
  accountMessagesPerHour: DEFAULT_ACCOUNT_MESSAGES_PER_HOUR,
});

/**
 * The effective limits: defaults overridden by the config's values. Throws a TypeError naming the setting
 * when an override is not a positive integer (fail loud at start, not at the first session).
 */
export function resolveLimits(overrides: Partial<SmtpLimits> | undefined): SmtpLimits {
  const limits: SmtpLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`limits.${key}: unknown limit`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new TypeError(`limits.${key}: must be a positive integer, got ${String(value)}`);
    }
    limits[key as keyof SmtpLimits] = value;
  }
  return limits;
}
