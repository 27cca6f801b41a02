// Policy stages return decisions; decisions become SMTP replies in exactly one place (decisionToReply).
// A stage that throws or takes longer than its time limit yields a 4xx (tempfail), never "continue": a security
// gateway fails safe (the Haraka lesson). Each decision carries a stable reason code for the trace.

import { reply, type SmtpReply } from '../smtp/reply.js';

export type Decision =
  /** No opinion: the next stage decides. */
  | { kind: 'continue' }
  /** Accept at this point (later points still run their own stages). */
  | { kind: 'accept'; reason: string }
  | { kind: 'reject' | 'tempfail'; code: number; enhanced: string; text: string; reason: string };

/** A decision with the stage that made it (for the trace). */
export interface StageOutcome {
  decision: Decision;
  stage: string;
}

export interface PolicyStage<I> {
  /** Stable name, recorded with the decision. */
  name: string;
  run(input: I): Decision | Promise<Decision>;
}

export const CONTINUE: Decision = Object.freeze({ kind: 'continue' });

/** An accept decision. */
export function accept(reason: string): Decision {
  return { kind: 'accept', reason };
}

/** A permanent refusal (5xx). */
export function reject(code: number, enhanced: string, text: string, reason: string): Decision {
  return { kind: 'reject', code, enhanced, text, reason };
}

/** A temporary refusal (4xx): the client should try again later. */
export function tempfail(code: number, enhanced: string, text: string, reason: string): Decision {
  return { kind: 'tempfail', code, enhanced, text, reason };
}

/**
 * Runs stages in order until one returns something other than `continue`; when all continue, the result is
 * `fallback` (relaying: a rejection; elsewhere: accept). A stage that throws gives 451 4.3.0 and one that
 * exceeds `timeoutMs` gives 451 4.4.3; neither lets the message through.
 */
export async function runStages<I>(stages: readonly PolicyStage<I>[], input: I, fallback: Decision, timeoutMs: number): Promise<StageOutcome> {
  for (const stage of stages) {
    const decision = await runOne(stage, input, timeoutMs);
    if (decision.kind !== 'continue') return { decision, stage: stage.name };
  }
  return { decision: fallback, stage: 'default' };
}

/**
 * One stage's decision: a stage that throws, times out or answers something that is not a decision yields a
 * 4xx, never "continue". A synchronous answer is taken as it is; only a promise is raced against the
 * timeout (most stages answer at once: a timer per stage per command cost ~10 µs of the event loop per
 * message in the gateway bench, and cannot interrupt synchronous code anyway).
 */
async function runOne<I>(stage: PolicyStage<I>, input: I, timeoutMs: number): Promise<Decision> {
  let answer: Decision | Promise<Decision>;
  try {
    answer = stage.run(input);
    if (!isThenable(answer)) return checked(answer);
  } catch {
    return stageError();
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<Decision>((resolve) => {
      timer = setTimeout(() => resolve(tempfail(451, '4.4.3', 'Policy check timed out, try again later', 'stage-timeout')), timeoutMs);
    });
    return checked(await Promise.race([answer, timeout]));
  } catch {
    return stageError();
  } finally {
    clearTimeout(timer);
  }
}

function stageError(): Decision {
  return tempfail(451, '4.3.0', 'Temporary local problem, try again later', 'stage-error');
}

function checked(value: unknown): Decision {
  return isDecision(value) ? value : tempfail(451, '4.3.0', 'Temporary local problem, try again later', 'stage-bad-decision');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'continue' || kind === 'accept') return true;
  if (kind !== 'reject' && kind !== 'tempfail') return false;
  const d = value as { code?: unknown; enhanced?: unknown };
  const code = d.code;
  if (typeof code !== 'number' || typeof d.enhanced !== 'string') return false;
  // A reject must be 5xx and a tempfail 4xx, with a matching enhanced class: a stage cannot say "250".
  return kind === 'reject' ? code >= 500 && code <= 559 && d.enhanced.startsWith('5.') : code >= 400 && code <= 459 && d.enhanced.startsWith('4.');
}

/** The one place a decision becomes a reply. `onAccept` gives the success reply of the command. */
export function decisionToReply(decision: Decision, onAccept: () => SmtpReply): SmtpReply {
  switch (decision.kind) {
    case 'continue':
    case 'accept':
      return onAccept();
    case 'reject':
    case 'tempfail':
      return reply(decision.code, decision.enhanced, decision.text);
  }
}
