// The SMTP session state machine (RFC 5321 §4.1.4, RFC 3030, RFC 3207, RFC 4954): which command is allowed in
// which phase, the per-session counters and limits, and the mail transaction. It knows nothing of sockets: the
// connection feeds it lines and message bytes and sends the replies it returns. Each verb lives in verbs/.

import type { EnvelopeRecipient } from '../message-sink.js';
import type { Account } from '../policy/accounts.js';
import type { ClientCertificate, Connector } from '../policy/connectors.js';
import { matchConnector } from '../policy/connectors.js';
import type { SessionFacts } from '../policy/types.js';
import type { Mailbox } from './address.js';
import { MessageCollector } from './framing/collector.js';
import { LineEndingGuard } from './framing/data-reader.js';
import type { MailParams } from './params.js';
import { closing, isError, Replies, type SmtpReply } from './reply.js';
import type { GatewayRuntime, ResolvedListener } from './runtime.js';
import type { VerbResult } from './verb.js';
import { VERBS, type Phase } from './verbs/index.js';
import { publish } from './events.js';

export type { Phase } from './verbs/index.js';

export interface Transaction {
  /** undefined for the null sender. */
  sender: Mailbox | undefined;
  /** The MAIL FROM address as it goes on the envelope ('' for `<>`). */
  mailFrom: string;
  params: MailParams;
  recipients: EnvelopeRecipient[];
  /** Lower-cased recipient addresses already accepted (a repeated RCPT is answered 250 and kept once). */
  seen: Set<string>;
  /** True once a recipient outside our accepted domains was accepted. */
  external: boolean;
  /** RCPTs refused for exceeding maxRecipients. */
  overshoot: number;
  /** BDAT in progress: the message collected so far. */
  bdat?: { collector: MessageCollector; guard: LineEndingGuard; last: boolean; refused?: SmtpReply };
}

/** What the session may ask of its connection. */
export interface ConnectionView {
  /** True when client bytes beyond the current command are already buffered (pipelining checks). */
  hasPipelinedInput(): boolean;
}

// An HTTP request line or header on the SMTP port: a browser, a proxy probe or a cross-protocol attack.
const HTTP_REQUEST = /^(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE) \S+ HTTP\/\d/i;
const HEADER_LINE = /^[A-Za-z][A-Za-z0-9-]*: /;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class SmtpSession {
  phase: Phase = 'connected';
  helo = '';
  esmtp = false;
  tls: { version: string; cipher: string } | undefined;
  cert: ClientCertificate | undefined;
  account: Account | undefined;
  connector: Connector | undefined;
  tx: Transaction | undefined;
  /** Set when the session must end after the current reply. */
  closed = false;
  readonly startedAt: number;

  private badCommands = 0;
  private errors = 0;
  private junkCommands = 0;
  private authFailures = 0;
  messages = 0;

  constructor(
    readonly runtime: GatewayRuntime,
    readonly listener: ResolvedListener,
    readonly client: { ip: string; port: number },
    readonly connection: ConnectionView,
  ) {
    this.startedAt = runtime.clock.now();
    this.connector = matchConnector(runtime.connectors, client.ip, undefined);
  }

  get limits() {
    return this.runtime.limits;
  }

  /** The 220 greeting, sent as soon as the connection (or the implicit TLS handshake) is up. */
  greeting(): SmtpReply {
    return Replies.greeting(this.listener.hostname);
  }

  /**
   * Handles one command line. Decodes it (invalid UTF-8 is refused), finds the verb, checks the phase and
   * the per-session limits, and runs the verb's handler.
   */
  async command(line: Buffer): Promise<VerbResult> {
    let text: string;
    try {
      text = UTF8.decode(line);
    } catch {
      return { reply: this.badCommand(Replies.invalidUtf8()) };
    }
    if (/[\x00\r]/.test(text)) return { reply: this.badCommand(Replies.syntax('Invalid characters in command')) };
    if (HTTP_REQUEST.test(text) || (HEADER_LINE.test(text) && !VERBS.has(text.slice(0, text.indexOf(':')).toUpperCase()))) {
      this.note('not-smtp');
      return { reply: Replies.notSmtp() };
    }
    const space = text.indexOf(' ');
    const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
    const args = space < 0 ? '' : text.slice(space + 1);
    const entry = VERBS.get(verb);
    if (!entry) return { reply: this.badCommand(Replies.unknownCommand()) };
    if (entry.junk && ++this.junkCommands > this.limits.maxCommandsWithoutMail) {
      this.note('commands-without-mail');
      return { reply: Replies.tooManyCommands() };
    }
    if (!entry.phases.includes(this.phase)) return { reply: Replies.badSequence(entry.sequenceError ?? `Bad sequence of commands`) };
    return entry.handler(this, args);
  }

  /** The reply to an over-long command line (counts as a bad command). */
  lineTooLong(): SmtpReply {
    return this.badCommand(Replies.lineTooLong());
  }

  private badCommand(reply: SmtpReply): SmtpReply {
    if (++this.badCommands >= this.limits.maxBadCommands) {
      this.note('bad-commands');
      return Replies.tooManyBadCommands();
    }
    return reply;
  }

  /**
   * The one place replies are counted: returns what to send, adding a closing 421 when the session has
   * collected more than `maxErrors` error replies (Postfix smtpd_hard_error_limit).
   */
  settle(reply: SmtpReply): SmtpReply[] {
    if (reply.close) {
      this.closed = true;
      return [reply];
    }
    // 452 4.5.3 (too many recipients) is the normal way a big list is split over transactions; it has its
    // own flood limit (recipientOvershoot) and does not count as an error.
    const counted = isError(reply) && !(reply.code === 452 && reply.enhanced === '4.5.3');
    if (counted && ++this.errors >= this.limits.maxErrors) {
      this.closed = true;
      this.note('errors');
      return [reply, Replies.tooManyErrors()];
    }
    return [reply];
  }

  /** A counted authentication failure; the 421 when the session has had too many. */
  authFailed(): SmtpReply {
    if (++this.authFailures >= this.limits.maxAuthFailures) {
      this.note('auth-failures');
      return Replies.tooManyAuthFailures();
    }
    return Replies.authFailed();
  }

  /** Resets the transaction (RSET, EHLO, end of message). */
  resetTransaction(): void {
    this.tx = undefined;
    if (this.phase === 'mail' || this.phase === 'rcpt' || this.phase === 'bdat') this.phase = 'ready';
  }

  /** Starts a transaction after MAIL was accepted. */
  startTransaction(sender: Mailbox | undefined, mailFrom: string, params: MailParams): void {
    this.tx = { sender, mailFrom, params, recipients: [], seen: new Set(), external: false, overshoot: 0 };
    this.phase = 'mail';
  }

  /** Opens the BDAT collector of the current transaction, once. */
  bdatState(): NonNullable<Transaction['bdat']> {
    const tx = this.tx!;
    if (!tx.bdat) {
      const collector = new MessageCollector(this.limits);
      tx.bdat = { collector, guard: new LineEndingGuard(collector, this.runtime.normalizeBareLineEndings), last: false };
    }
    return tx.bdat;
  }

  /** A message accepted: count it, and forgive the junk commands before it. */
  messageAccepted(): void {
    this.messages++;
    this.junkCommands = 0;
  }

  /**
   * TLS is up (RFC 3207 §4.2): forget everything learned before it (HELO, AUTH, transaction) and match
   * connectors again, now with the client certificate.
   */
  tlsEstablished(info: { version: string; cipher: string }, cert: ClientCertificate | undefined): void {
    this.tls = info;
    this.cert = cert;
    this.phase = 'connected';
    this.helo = '';
    this.esmtp = false;
    this.account = undefined;
    this.tx = undefined;
    this.connector = matchConnector(this.runtime.connectors, this.client.ip, cert);
  }

  /** True when AUTH may be offered now (the listener allows it, and TLS is up). */
  authOffered(): boolean {
    return this.listener.auth && this.tls !== undefined && this.runtime.accounts.size > 0;
  }

  /** The view policy stages get. */
  facts(): SessionFacts {
    return {
      listener: { name: this.listener.name, role: this.listener.role, requireAuth: this.listener.requireAuth, requireTls: this.listener.requireTls },
      client: this.client,
      helo: this.helo,
      tls: this.tls !== undefined,
      account: this.account,
      connector: this.connector,
    };
  }

  /** Ends the session with a 421 (timeouts, shutdown). */
  abort(reply: SmtpReply): SmtpReply {
    this.closed = true;
    return closing(reply);
  }

  private note(limit: string): void {
    publish({ type: 'limit', listener: this.listener.name, ip: this.client.ip, limit });
  }
}
