// What policy stages see: a read-only view of the session at each decision point (MAIL, RCPT, end of data).

import type { ListenerRole } from '../config-types.js';
import type { Envelope } from '../message-sink.js';
import type { HeaderField } from '../../core/message/headers.js';
import type { Mailbox } from '../smtp/address.js';
import type { MailParams } from '../smtp/params.js';
import type { Account } from './accounts.js';
import type { Connector } from './connectors.js';
import type { PolicyStage } from './decision.js';

export interface SessionFacts {
  listener: { name: string; role: ListenerRole; requireAuth: boolean; requireTls: boolean };
  client: { ip: string; port: number };
  helo: string;
  tls: boolean;
  /** The submission account that authenticated, if any. */
  account?: Account;
  /** The relay connector the client matched, if any. */
  connector?: Connector;
}

export interface MailInput {
  session: SessionFacts;
  /** undefined for the null sender `<>`. */
  sender: Mailbox | undefined;
  params: MailParams;
}

export interface RcptInput {
  session: SessionFacts;
  sender: Mailbox | undefined;
  recipient: Mailbox;
}

export interface DataInput {
  session: SessionFacts;
  envelope: Envelope;
  /** The header fields of the message, parsed once. */
  headers: HeaderField[];
  data: Buffer;
}

/** The stages at each decision point. Part 2 (protection policies) adds stages to these lists. */
export interface GatewayPolicy {
  mail: PolicyStage<MailInput>[];
  rcpt: PolicyStage<RcptInput>[];
  data: PolicyStage<DataInput>[];
}
