// mailflow's side of the DKIM interop cases: sign a plan, verify a message, run many at a time.

import { signDkim, verifyDkim } from '../../src/auth/dkim/index.js';
import type { DnsResolver } from '../../src/core/dns/types.js';
import type { InteropKey, KeyName } from './dkim-peers.js';
import { INTEROP_DOMAIN } from './dkim-peers.js';
import type { SignPlan } from './dkim-interop-plan.js';
import type { Verdict } from './dkim-interop-report.js';

/** How many mailflow operations run at once: enough to overlap the key lookup with hashing. */
const CONCURRENCY = 16;

/** The signed message, or the error signDkim threw (a crash for the report, not for the suite). */
export async function signWithMailflow(plan: SignPlan, keys: Record<KeyName, InteropKey>): Promise<Buffer | Error> {
  const key = keys[plan.key];
  try {
    const { message } = await signDkim(plan.message.raw, [
      {
        domain: INTEROP_DOMAIN,
        selector: key.selector,
        privateKey: key.privateKey,
        algorithm: key.algorithm,
        canonicalization: plan.canonicalization,
        ...(plan.headers ? { headers: plan.headers } : {}),
        ...(plan.identity ? { identity: plan.identity } : {}),
        ...(plan.bodyLength ? { bodyLength: true } : {}),
      },
    ]);
    return message;
  } catch (error) {
    return error as Error;
  }
}

/** mailflow's verdict on the top DKIM-Signature: `result` plus `reason: detail`. */
export async function mailflowVerdict(message: Buffer, resolver: DnsResolver): Promise<Verdict> {
  try {
    const result = await verifyDkim(message, { resolver });
    const top = result.signatures[0];
    if (top === undefined) return { result: 'none', detail: result.error ? `${result.error.reason}: ${result.error.detail}` : 'no DKIM-Signature found' };
    return { result: top.result, detail: `${top.reason}: ${top.detail}${top.warnings.length ? ` [${top.warnings.join(', ')}]` : ''}` };
  } catch (error) {
    return { result: 'crash', detail: `verifyDkim threw ${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Maps `items` through `fn` with at most CONCURRENCY calls in flight, keeping order. */
export async function mapPool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all([...Array(Math.min(CONCURRENCY, items.length))].map(worker));
  return out;
}

/** A short account of a case for failure reports. */
export function describePlan(plan: SignPlan, signed: Buffer | null): string {
  const variant = [plan.headers ? `h=${plan.headers.join(':')}` : '', plan.identity ? `i=${plan.identity}` : '', plan.bodyLength ? 'l=' : '']
    .filter(Boolean)
    .join(' ');
  const head = (signed ?? plan.message.raw).toString('latin1').split('\r\n\r\n')[0] ?? '';
  return [
    `message ${plan.message.id} (${plan.message.kind}: ${plan.message.note}), ${plan.message.raw.length} octets`,
    `signed with ${plan.key} ${plan.canonicalization}${variant ? ` ${variant}` : ''}`,
    `header block: ${JSON.stringify(head.length > 1500 ? `${head.slice(0, 1500)}…` : head)}`,
  ].join('\n');
}
