// The MessageSink the SMTP listener talks to: hands each accepted message to the QueueStore, whose enqueue
// resolves only after the group commit holding it is on disk, so the listener's 250 is never early.

import type { IncomingMessage, MessageSink } from '../message-sink.js';
import type { TraceEventInput } from '../trace/types.js';
import type { QueueStore } from './types.js';

/**
 * An IncomingMessage with the listener's policy decisions attached, committed with the message. A plain
 * IncomingMessage is accepted too: the field is optional.
 */
export interface TracedIncomingMessage extends IncomingMessage {
  traceEvents?: TraceEventInput[];
  /** Policy quarantine: commit the message directly in `hold` with this reason (`quarantine: …`). */
  hold?: string;
}

export class QueueSink implements MessageSink {
  /**
   * `onQueued` is told each committed id (the delivery engine's wake-up); it must not throw, and what it
   * does cannot delay the acknowledgement.
   */
  constructor(
    private readonly store: QueueStore,
    private readonly onQueued?: (id: string) => void,
  ) {}

  /** Commits the message as `incoming` (or `hold`, see TracedIncomingMessage.hold); resolves with its queue id once durable, rejects if the commit failed. */
  async enqueue(message: TracedIncomingMessage): Promise<{ id: string }> {
    const { id } = await this.store.enqueue({
      envelope: message.envelope,
      client: message.client,
      receivedAt: message.receivedAt,
      data: message.data,
      direction: message.direction,
      kind: 'mail',
      ...(message.queueId === undefined ? {} : { id: message.queueId }),
      ...(message.traceEvents === undefined ? {} : { traceEvents: message.traceEvents }),
      ...(message.hold === undefined ? {} : { hold: message.hold }),
    });
    this.onQueued?.(id);
    return { id };
  }
}
