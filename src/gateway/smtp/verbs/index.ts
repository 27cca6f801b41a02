// The verb table: one handler file per SMTP verb, and the phases each verb is allowed in (RFC 5321 §4.1.4,
// RFC 3030 §3 for BDAT). A verb outside its phases gets 503 5.5.1 without reaching its handler. The table is
// explicit: no dispatch by building method names from strings.

import type { VerbHandler } from '../verb.js';
import { ehlo, helo } from './ehlo.js';
import { mail } from './mail.js';
import { rcpt } from './rcpt.js';
import { data } from './data.js';
import { bdat } from './bdat.js';
import { rset } from './rset.js';
import { help, noop } from './noop.js';
import { quit } from './quit.js';
import { expn, vrfy } from './vrfy.js';
import { starttls } from './starttls.js';
import { auth } from './auth.js';

/**
 * - `connected`: greeting sent, no HELO/EHLO yet (or TLS just started);
 * - `ready`: HELO/EHLO done, no transaction;
 * - `mail`: MAIL accepted, no recipient yet;
 * - `rcpt`: at least one recipient accepted;
 * - `bdat`: BDAT chunks received, the LAST one not yet.
 */
export type Phase = 'connected' | 'ready' | 'mail' | 'rcpt' | 'bdat';

export interface VerbEntry {
  handler: VerbHandler;
  phases: readonly Phase[];
  /** Counts toward maxCommandsWithoutMail (Postfix's junk commands). */
  junk?: boolean;
  /** The 503 text when the verb comes in the wrong phase. */
  sequenceError?: string;
}

const ALL: readonly Phase[] = ['connected', 'ready', 'mail', 'rcpt', 'bdat'];
const NOT_IN_BDAT: readonly Phase[] = ['connected', 'ready', 'mail', 'rcpt'];

export const VERBS: ReadonlyMap<string, VerbEntry> = new Map<string, VerbEntry>([
  ['EHLO', { handler: ehlo, phases: NOT_IN_BDAT, junk: true, sequenceError: 'EHLO not allowed during BDAT' }],
  ['HELO', { handler: helo, phases: NOT_IN_BDAT, junk: true, sequenceError: 'HELO not allowed during BDAT' }],
  ['MAIL', { handler: mail, phases: ['ready'], sequenceError: 'Send EHLO first, or finish the current transaction' }],
  ['RCPT', { handler: rcpt, phases: ['mail', 'rcpt'], sequenceError: 'Need MAIL before RCPT' }],
  ['DATA', { handler: data, phases: ['mail', 'rcpt'], sequenceError: 'Need MAIL and RCPT before DATA (and no DATA after BDAT)' }],
  // BDAT is dispatched in every phase: its octets must be read even when the command is out of place.
  ['BDAT', { handler: bdat, phases: ALL }],
  ['RSET', { handler: rset, phases: ALL, junk: true }],
  ['NOOP', { handler: noop, phases: ALL, junk: true }],
  ['HELP', { handler: help, phases: ALL, junk: true }],
  ['QUIT', { handler: quit, phases: ALL }],
  ['VRFY', { handler: vrfy, phases: ALL, junk: true }],
  ['EXPN', { handler: expn, phases: ALL, junk: true }],
  ['STARTTLS', { handler: starttls, phases: ['connected', 'ready'], sequenceError: 'STARTTLS not allowed during a mail transaction' }],
  ['AUTH', { handler: auth, phases: ['ready'], sequenceError: 'Send EHLO first; AUTH is not allowed during a mail transaction' }],
]);
