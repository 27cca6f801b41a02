// Observability through diagnostics_channel (no logger in library code): subscribe to
// `mailflow:gateway:smtp` to log or trace sessions. Publishing costs nothing without subscribers.

import { channel } from 'node:diagnostics_channel';

export const SMTP_CHANNEL_NAME = 'mailflow:gateway:smtp';
export const smtpChannel = channel(SMTP_CHANNEL_NAME);

export type SmtpEvent =
  | { type: 'connect'; listener: string; ip: string; port: number; via?: string }
  | { type: 'refused'; listener: string; ip: string; reason: 'per-ip' | 'total' | 'shutting-down' | 'proxy-untrusted' | 'proxy-header'; detail?: string }
  | { type: 'tls'; listener: string; ip: string; version: string; cipher: string }
  | { type: 'tls-error'; listener: string; ip: string; message: string }
  | { type: 'auth'; listener: string; ip: string; username: string; ok: boolean }
  | { type: 'decision'; listener: string; ip: string; point: 'mail' | 'rcpt' | 'data'; stage: string; kind: string; reason: string; address?: string }
  | { type: 'queued'; listener: string; ip: string; id: string; size: number; recipients: number; direction: 'inbound' | 'outbound' }
  | { type: 'message-refused'; listener: string; ip: string; reason: string; stage?: string; mailFrom?: string; recipients?: number; reply?: string }
  | { type: 'limit'; listener: string; ip: string; limit: string }
  | { type: 'close'; listener: string; ip: string; durationMs: number; messages: number };

/** Publishes an event when someone listens. */
export function publish(event: SmtpEvent): void {
  if (smtpChannel.hasSubscribers) smtpChannel.publish(event);
}
