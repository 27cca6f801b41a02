// Local delivery to Maildir folders (the embedded default): DIR/mailboxes/<address>/{tmp,new,cur}. The
// message is written to tmp/, fsync'd, renamed into new/, and new/ is fsync'd, so a delivery reported as
// done survives a crash (the Maildir protocol: a reader never sees a partial file).

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DeliveryReply, QueuedMessage, QueuedRecipient } from '../queue/types.js';
import type { RecipientResult } from './smtp-delivery.js';

/** Longest address used as a folder name (RFC 5321 §4.5.3.1: 64 local + 255 domain, practically 254). */
export const MAX_MAILBOX_NAME_LENGTH = 254;

/** Folder name for an address, or undefined when it cannot safely be one (path separators, dot names, NUL). */
export function mailboxFolderName(address: string): string | undefined {
  const name = address.toLowerCase();
  if (name.length === 0 || name.length > MAX_MAILBOX_NAME_LENGTH) return undefined;
  if (name.startsWith('.') || /[/\\\0\r\n]/.test(name) || !name.includes('@')) return undefined;
  return name;
}

let counter = 0;

/** writeSync may write less than asked: loop until all of `data` is written. */
function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Delivers `body` to the Maildir of each recipient under `mailboxesDir`, prefixed with Return-Path and
 * Delivered-To. Each recipient gets 250 when its file is durable in new/, 451 on an I/O error (retried),
 * 550 5.1.3 when the address cannot be a folder name.
 */
export function deliverMaildir(message: QueuedMessage, body: Buffer, recipients: QueuedRecipient[], mailboxesDir: string): RecipientResult[] {
  return recipients.map((recipient) => {
    const folder = mailboxFolderName(recipient.address);
    if (folder === undefined) {
      return { index: recipient.index, status: 'failed', reply: reply(550, '5.1.3', `${recipient.address} cannot be a mailbox name`) };
    }
    try {
      const base = join(mailboxesDir, folder);
      for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(base, sub), { recursive: true });
      const now = Date.now();
      const unique = `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++counter}.${hostname().replace(/[/:]/g, '_')}`;
      const tmpPath = join(base, 'tmp', unique);
      const header = Buffer.from(`Return-Path: <${message.envelope.mailFrom}>\r\nDelivered-To: ${recipient.address}\r\n`);
      const fd = openSync(tmpPath, 'wx');
      try {
        writeAll(fd, header);
        writeAll(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmpPath, join(base, 'new', unique));
      fsyncDir(join(base, 'new'));
      return { index: recipient.index, status: 'delivered', reply: reply(250, '2.0.0', `delivered to maildir as ${unique}`) };
    } catch (error) {
      return { index: recipient.index, status: 'pending', reply: reply(451, '4.3.0', `maildir write failed: ${(error as Error).message}`) };
    }
  });
}

function reply(code: number, enhanced: string, text: string): DeliveryReply {
  return { code, enhanced, text, remote: 'local' };
}
