// What both transports share: one request/answer exchange with a server, and how it can end.

import type { ServerAddress } from './server-list.js';

export interface ExchangeRequest {
  server: ServerAddress;
  /** The encoded query message (without TCP length prefix). */
  query: Buffer;
  /** True when a message answers this query (ID and question checked by the caller); others are ignored. */
  accept(message: Buffer): boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type ExchangeResult =
  | { ok: true; message: Buffer }
  | { ok: false; reason: 'timeout' | 'network' | 'aborted'; detail: string };

/** Runs `start` with a timeout and an abort signal; `finish` settles once and runs `cleanup`. */
export function exchangeWithDeadline(
  request: ExchangeRequest,
  label: string,
  start: (finish: (result: ExchangeResult) => void) => () => void,
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: () => void = () => undefined;
    const finish = (result: ExchangeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      cleanup();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, reason: 'aborted', detail: 'aborted' });
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'timeout', detail: `${label}: no answer within ${request.timeoutMs} ms` }),
      request.timeoutMs,
    );
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start(finish);
    if (settled) cleanup();
  });
}
