// Local delivery to Maildir folders (the embedded default): DIR/mailboxes/<address>/{tmp,new,cur}. The
// message is written to tmp/, fsync'd, renamed into new/, and new/ is fsync'd, so a delivery reported as
// done survives a crash (the Maildir protocol: a reader never sees a partial file).
//
// The file name is derived from the queue id and the recipient's index, not from the clock: if the gateway
// dies after the rename but before the recipient's "delivered" is committed, the retry finds the file in new/
// (or cur/, where a reader moved it, flags appended) and reports it delivered instead of writing it twice.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
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

/**
 * The Maildir file name for one recipient of one queued message: `<queued-at seconds>.Q<id>R<index>.<host>`
 * (the time.unique.host form; the queue id is unique, so one delivery has exactly one name).
 */
export function maildirFileName(message: QueuedMessage, recipient: QueuedRecipient, host = hostname()): string {
  return `${Math.floor(message.queuedAt / 1000)}.Q${message.id.replace(/[^A-Za-z0-9_-]/g, '_')}R${recipient.index}.${host.replace(/[/:]/g, '_')}`;
}

/** Was this name already delivered: in new/, or in cur/ under `name:2,FLAGS` (a reader has seen it)? */
function alreadyDelivered(base: string, name: string, queuedAt: number): boolean {
  if (existsSync(join(base, 'new', name))) return true;
  // A reader moves mail from new/ to cur/ as `name:2,FLAGS` (or `name;2,FLAGS`). Listing cur/ costs as much
  // as the mailbox is big, so only when cur/ changed after the message was queued: otherwise it cannot be there.
  const cur = join(base, 'cur');
  if (statSync(cur).mtimeMs < queuedAt - 1_000) return false;
  return readdirSync(cur).some((entry) => entry === name || entry.startsWith(`${name}:`) || entry.startsWith(`${name};`));
}

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
      const unique = maildirFileName(message, recipient);
      if (alreadyDelivered(base, unique, message.queuedAt)) {
        return { index: recipient.index, status: 'delivered', reply: reply(250, '2.0.0', `already delivered to maildir as ${unique}`) };
      }
      const tmpPath = join(base, 'tmp', unique);
      const header = Buffer.from(`Return-Path: <${message.envelope.mailFrom}>\r\nDelivered-To: ${recipient.address}\r\n`);
      // 'w', not 'wx': a crash may have left this very name half-written in tmp/; it is ours to overwrite.
      const fd = openSync(tmpPath, 'w');
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
