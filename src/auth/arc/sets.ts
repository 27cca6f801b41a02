// Collecting ARC sets from a message's header fields and checking the chain's structure (RFC 8617 §5.2
// steps 1-3): instances 1..N, exactly one AAR, AMS and AS per instance, at most 50 sets.

import type { HeaderField } from '../../core/message/headers.js';
import { aarInstanceTag } from './aar.js';
import { instanceTagOf, MAX_ARC_INSTANCE, parseInstance } from './signature.js';
import type { ArcReason } from './types.js';

/** A chain holds at most 50 sets of 3 fields; more ARC fields than this fail without being parsed. */
export const MAX_ARC_FIELDS = 3 * MAX_ARC_INSTANCE;

export type ArcFieldKind = 'aar' | 'ams' | 'as';

const KIND_BY_NAME: ReadonlyMap<string, ArcFieldKind> = new Map([
  ['arc-authentication-results', 'aar'],
  ['arc-message-signature', 'ams'],
  ['arc-seal', 'as'],
]);

const KIND_LABEL: Record<ArcFieldKind, string> = { aar: 'ARC-Authentication-Results', ams: 'ARC-Message-Signature', as: 'ARC-Seal' };

/** The positions (in message order, top first) of one instance's fields. */
export interface CollectedSet {
  instance: number;
  aar: number[];
  ams: number[];
  as: number[];
}

export interface ChainProblem {
  reason: ArcReason;
  detail: string;
  failedInstance?: number;
}

export interface CollectedChain {
  /** How many ARC header fields the message has. */
  fieldCount: number;
  /** Sets by instance number (only usable numbers). */
  sets: Map<number, CollectedSet>;
  /** The highest usable instance number, 0 when none. */
  newest: number;
  /** The first problem that makes the chain fail before any set is examined (too many fields, bad i=). */
  problem?: ChainProblem;
}

/** Groups the ARC fields of a message by instance. Never throws; a flood of fields is not parsed. */
export function collectArcSets(headers: readonly HeaderField[]): CollectedChain {
  const arc: { position: number; kind: ArcFieldKind }[] = [];
  headers.forEach((field, position) => {
    const kind = KIND_BY_NAME.get(field.lowerName);
    if (kind !== undefined) arc.push({ position, kind });
  });
  const sets = new Map<number, CollectedSet>();
  const chain: CollectedChain = { fieldCount: arc.length, sets, newest: 0 };
  if (arc.length > MAX_ARC_FIELDS) {
    chain.problem = {
      reason: 'too-many-sets',
      detail: `the message has ${arc.length} ARC header fields; ${MAX_ARC_INSTANCE} sets hold at most ${MAX_ARC_FIELDS} (RFC 8617 §5.2 step 1)`,
    };
    return chain;
  }
  for (const { position, kind } of arc) {
    const field = headers[position] as HeaderField;
    const text = kind === 'aar' ? aarInstanceTag(field) : instanceTagOf(field);
    const instance = parseInstance(text);
    if (!instance.ok) {
      chain.problem ??= {
        reason: instance.missing ? 'instance-missing' : 'instance-invalid',
        detail: kind === 'aar' && instance.missing
          ? `an ${KIND_LABEL[kind]} field does not open with i=N; (RFC 8617 §4.1.1)`
          : `an ${KIND_LABEL[kind]} field has ${instance.message}`,
      };
      continue;
    }
    let set = sets.get(instance.value);
    if (set === undefined) {
      set = { instance: instance.value, aar: [], ams: [], as: [] };
      sets.set(instance.value, set);
    }
    set[kind].push(position);
    if (instance.value > chain.newest) chain.newest = instance.value;
  }
  return chain;
}

/**
 * Checks that every instance 1..newest has exactly one AAR, AMS and AS (RFC 8617 §5.2 step 3.a, 3.b).
 * Returns the first problem, oldest instance first, or undefined.
 */
export function checkStructure(chain: CollectedChain): ChainProblem | undefined {
  for (let i = 1; i <= chain.newest; i++) {
    const set = chain.sets.get(i);
    if (set === undefined) {
      return { reason: 'instance-gap', detail: `there is no ARC set with i=${i} below i=${chain.newest} (RFC 8617 §5.2 step 3.b)`, failedInstance: i };
    }
    for (const kind of ['aar', 'ams', 'as'] as const) {
      if (set[kind].length > 1) {
        return { reason: 'duplicate-header', detail: `ARC set i=${i} has ${set[kind].length} ${KIND_LABEL[kind]} fields (RFC 8617 §5.2 step 3.a)`, failedInstance: i };
      }
    }
    for (const kind of ['aar', 'ams', 'as'] as const) {
      if (set[kind].length === 0) {
        return { reason: 'incomplete-set', detail: `ARC set i=${i} has no ${KIND_LABEL[kind]} field (RFC 8617 §5.2 step 3.a)`, failedInstance: i };
      }
    }
  }
  return undefined;
}
