// The gateway's SMTP service: listeners, session, framing. See docs/gateway-smtp.md.

export { startSmtpGateway, SmtpListener, DEFAULT_SHUTDOWN_GRACE_MS, type SmtpGateway } from './server.js';
export { createGatewayRuntime, resolveListener, type GatewayDeps, type GatewayRuntime, type ResolvedListener } from './runtime.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export * from './limits.js';
export { formatReply, Replies, reply, type SmtpReply } from './reply.js';
export { SMTP_CHANNEL_NAME, smtpChannel, type SmtpEvent } from './events.js';
export { parsePath, parseDomain, splitPathArgument, type Mailbox, type PathParse } from './address.js';
export type * from '../config-types.js';
export type { MessageSink, IncomingMessage, Envelope, EnvelopeRecipient, ClientInfo } from '../message-sink.js';
