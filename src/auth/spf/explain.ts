// The explanation of a fail (RFC 7208 §6.2): the exp= of the deciding record, or the default.

import type { DnsResolver } from '../../core/dns/types.js';
import { expandDomainSpec, expandMacroString, isQueryableName, parseMacroString } from './macro.js';
import { joinTxt, validatedName, type Ctx, type Outcome } from './mechanisms.js';
import type { MacroString } from './types.js';

/**
 * The explanation for a fail `outcome`: the expanded exp= text, or — on any problem — the expanded
 * `fallback` (the default explanation; used literally when it is not a valid macro-string). Never throws.
 */
export async function explainFail(ctx: Ctx, outcome: Outcome, resolver: DnsResolver, fallback: string): Promise<string> {
  try {
    const text = await explain(ctx, outcome, resolver);
    if (text !== undefined) return text;
  } catch {
    // §6.2: any problem with the explanation means the default one.
  }
  const parsed = parsedDefault(fallback);
  if (parsed === undefined) return fallback;
  return expandMacroString(parsed, outcome.domain, ctx) ?? fallback;
}

/** Default explanations are few and reused: parse each once (bounded, like the record cache). */
const defaultExplanations = new Map<string, MacroString | undefined>();

function parsedDefault(text: string): MacroString | undefined {
  if (defaultExplanations.has(text)) return defaultExplanations.get(text);
  const parsed = parseMacroString(text, { explanation: true });
  const value = parsed.ok ? parsed.value : undefined;
  if (defaultExplanations.size >= 100) defaultExplanations.clear();
  defaultExplanations.set(text, value);
  return value;
}

/**
 * §6.2: the exp= of the record that decided, fetched only now (after the result, outside the limits),
 * one TXT record, valid ASCII macro text; anything else gives undefined (use the default).
 */
async function explain(ctx: Ctx, outcome: Outcome, resolver: DnsResolver): Promise<string | undefined> {
  const exp = outcome.record?.exp;
  if (exp === undefined) return undefined;
  if (exp.value.needsPtr) ctx.ptrName = await validatedName(ctx, outcome.domain);
  const target = expandDomainSpec(exp.value, outcome.domain, ctx);
  if (target === undefined || !isQueryableName(target)) return undefined;
  const answer = await resolver.resolve(target, 'TXT');
  if (answer.kind !== 'records' || answer.records.length !== 1) return undefined;
  const parsed = parseMacroString(joinTxt(answer.records[0]!.data), { explanation: true });
  if (!parsed.ok) return undefined;
  if (parsed.value.needsPtr) ctx.ptrName = await validatedName(ctx, outcome.domain);
  return expandMacroString(parsed.value, outcome.domain, ctx);
}

