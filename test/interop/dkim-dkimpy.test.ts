// DKIM interop with dkimpy (Debian python3-dkim), both directions, over the generated corpus:
//   mailflow signs → dkimpy verifies (keys from a JSON key map through dkimpy's dnsfunc hook);
//   dkimpy signs   → mailflow verifies (keys from TestDnsServer through the wire client).
// Each plan (message × RSA-2048/Ed25519 × four canonicalization pairs, with h=/i=/l= variants) is one case;
// every sixth is also checked with its From changed after signing, where both must say fail. A difference
// fails unless dkim-expectations.json lists it with the RFC section proving dkimpy wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResolver } from '../../src/adapters/dns/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { CORPUS_KINDS, DKIM_CORPUS_SEED, generateDkimCorpus } from './dkim-corpus.js';
import { signPlans, tamperFrom, type SignPlan } from './dkim-interop-plan.js';
import { describePlan, mailflowVerdict, mapPool, signWithMailflow } from './dkim-interop-mailflow.js';
import { compareVerdicts, loadExpectations, summaryLine, type InteropCase, type Verdict } from './dkim-interop-report.js';
import { dkimpyMissing, INTEROP_DOMAIN, keysZone, makeInteropKeys, runDkimpy, type DkimpyOp, type DkimpyResult } from './dkim-peers.js';

const MIN_CORPUS = 200;

function dkimpyVerdict(r: DkimpyResult | undefined): Verdict {
  if (r === undefined) return { result: 'missing', detail: 'the driver returned no result for this operation' };
  const log = (r.log ?? []).slice(-4).join(' | ');
  if (r.result === 'crash') return { result: 'crash', detail: `${r.error ?? ''}${log ? ` (log: ${log})` : ''}` };
  return { result: r.result ?? 'missing', detail: log || 'no log' };
}

void test('DKIM interop with dkimpy', async (t) => {
  const missing = dkimpyMissing();
  // Not a skip: CI installs python3-dkim, so a missing dkimpy is a broken environment that must be seen.
  assert.equal(missing, null, `dkimpy interop cannot run: ${missing}`);

  const corpus = generateDkimCorpus();
  const plans = signPlans(corpus);
  const keys = makeInteropKeys();
  const server = await TestDnsServer.start(keysZone(keys));
  t.after(() => server.stop());
  const resolver = createResolver({ servers: [server.address] });

  // mailflow signs (and checks its own signature, so a case is only "agreed" when both verify).
  const mine = await mapPool(plans, async (plan) => {
    const signed = await signWithMailflow(plan, keys);
    if (signed instanceof Error) return { plan, signed, self: null, tampered: null, selfTampered: null };
    const tampered = plan.tamper ? tamperFrom(signed) : null;
    return {
      plan,
      signed,
      self: await mailflowVerdict(signed, resolver),
      tampered,
      selfTampered: tampered ? await mailflowVerdict(tampered, resolver) : null,
    };
  });

  // One dkimpy run verifies all of mailflow's signatures and signs every plan itself.
  const ops: DkimpyOp[] = [];
  for (const m of mine) {
    if (m.signed instanceof Error) continue;
    ops.push({ id: `v:${m.plan.id}`, op: 'dkim-verify', message: m.signed });
    if (m.tampered) ops.push({ id: `v:${m.plan.id}:tampered`, op: 'dkim-verify', message: m.tampered });
  }
  for (const plan of plans) {
    const key = keys[plan.key];
    ops.push({
      id: `s:${plan.id}`,
      op: 'dkim-sign',
      message: plan.message.raw,
      key: plan.key,
      domain: INTEROP_DOMAIN,
      selector: key.selector,
      algorithm: key.algorithm,
      canonicalization: plan.canonicalization,
      headers: plan.headers ?? null,
      identity: plan.identity ?? null,
      length: plan.bodyLength ?? false,
    });
  }
  const first = await runDkimpy(keys, ops);
  const byId = new Map(first.results.map((r) => [r.id, r]));

  // dkimpy's signatures: mailflow verifies through the wire; dkimpy verifies its own in a second run.
  const theirs = plans.map((plan) => {
    const r = byId.get(`s:${plan.id}`);
    const signed = r?.header === undefined ? null : Buffer.concat([Buffer.from(`${r.header}\r\n`, 'latin1'), plan.message.raw]);
    return { plan, r, signed, tampered: signed && plan.tamper ? tamperFrom(signed) : null };
  });
  const selfOps: DkimpyOp[] = theirs.flatMap((x) => [
    ...(x.signed ? [{ id: `v:${x.plan.id}`, op: 'dkim-verify' as const, message: x.signed }] : []),
    ...(x.tampered ? [{ id: `v:${x.plan.id}:tampered`, op: 'dkim-verify' as const, message: x.tampered }] : []),
  ]);
  const [second, theirsVerdicts] = await Promise.all([
    runDkimpy(keys, selfOps),
    mapPool(theirs, async (x) => ({
      signed: x.signed ? await mailflowVerdict(x.signed, resolver) : null,
      tampered: x.tampered ? await mailflowVerdict(x.tampered, resolver) : null,
    })),
  ]);
  const selfById = new Map(second.results.map((r) => [r.id, r]));

  const cases: InteropCase[] = [];
  const push = (id: string, expected: string, mailflow: Verdict, peer: Verdict, plan: SignPlan, signed: Buffer | null) =>
    cases.push({ id, messageId: plan.message.id, protocol: 'dkim', peer: 'dkimpy', expected, mailflow, peerVerdict: peer, describe: () => describePlan(plan, signed) });

  for (const m of mine) {
    const id = `mailflow→dkimpy:${m.plan.id}`;
    if (m.signed instanceof Error) {
      push(id, 'pass', { result: 'crash', detail: `signDkim threw ${m.signed.message}` }, { result: 'missing', detail: 'nothing to verify' }, m.plan, null);
      continue;
    }
    push(id, 'pass', m.self as Verdict, dkimpyVerdict(byId.get(`v:${m.plan.id}`)), m.plan, m.signed);
    if (m.tampered) push(`${id}:tampered`, 'fail', m.selfTampered as Verdict, dkimpyVerdict(byId.get(`v:${m.plan.id}:tampered`)), m.plan, m.tampered);
  }
  for (const [k, x] of theirs.entries()) {
    const id = `dkimpy→mailflow:${x.plan.id}`;
    const v = theirsVerdicts[k] as { signed: Verdict | null; tampered: Verdict | null };
    if (x.signed === null) {
      push(id, 'pass', { result: 'missing', detail: 'nothing to verify' }, { result: 'crash', detail: `dkim.sign failed: ${dkimpyVerdict(x.r).detail}` }, x.plan, null);
      continue;
    }
    push(id, 'pass', v.signed as Verdict, dkimpyVerdict(selfById.get(`v:${x.plan.id}`)), x.plan, x.signed);
    if (x.tampered) push(`${id}:tampered`, 'fail', v.tampered as Verdict, dkimpyVerdict(selfById.get(`v:${x.plan.id}:tampered`)), x.plan, x.tampered);
  }

  const report = compareVerdicts(cases, loadExpectations('dkim', 'dkimpy'));
  const count = (prefix: string, tampered: boolean) => cases.filter((c) => c.id.startsWith(prefix) && c.id.endsWith(':tampered') === tampered).length;
  console.log(`dkimpy ${first.dkimpy}; corpus seed 0x${DKIM_CORPUS_SEED.toString(16)}, ${corpus.length} messages, ${plans.length} signing plans`);
  console.log(
    summaryLine(
      'dkim',
      'dkimpy',
      report,
      `mailflow→dkimpy ${count('mailflow→', false)} signatures + ${count('mailflow→', true)} tampered, ` +
        `dkimpy→mailflow ${count('dkimpy→', false)} signatures + ${count('dkimpy→', true)} tampered; RSA-2048 and Ed25519, c= ${['relaxed/relaxed', 'simple/simple', 'relaxed/simple', 'simple/relaxed'].join(', ')}`,
    ),
  );

  await t.test(`corpus: at least ${MIN_CORPUS} messages, every kind present (${corpus.length})`, () => {
    assert.ok(corpus.length >= MIN_CORPUS);
    assert.deepEqual(CORPUS_KINDS.filter((k) => !corpus.some((m) => m.kind === k)), []);
  });
  for (const { id, text } of report.disagreed) {
    await t.test(`disagreement ${id}`, () => assert.fail(text));
  }
  for (const { id, text } of report.stale) {
    await t.test(`stale expectation ${id}`, () => assert.fail(`${id}: ${text}; update dkim-expectations.json`));
  }
});
