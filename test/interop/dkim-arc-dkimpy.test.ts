// ARC interop with dkimpy (Debian python3-dkim + python3-authres), over the DKIM corpus, through the same
// driver (dkim-dkimpy-driver.py) and the same expectations file as the DKIM interop:
//   mailflow seals        → dkimpy's arc_verify (and mailflow's verifyArc) must say pass;
//   dkimpy's arc_sign     → mailflow's verifyArc (keys from TestDnsServer over the wire) must say pass;
//   mixed chains of two hops, mailflow then dkimpy and dkimpy then mailflow: both must say pass;
//   a share of each with From changed after sealing: both must say fail (the newest AMS breaks).
// Each hop first adds its own Authentication-Results (with arc=none|pass), which both sealers copy into the
// AAR and read cv= from.
//
// RSA-2048 only: dkimpy 1.1.4's ARC handles rsa-sha256 alone (ARC.sign parses the key as PEM RSA; its
// verifier answers 'unknown signature algorithm' for ed25519-sha256, a permanent failure RFC 6376 §6.1.1
// allows for an algorithm a verifier does not implement). mailflow's Ed25519 ARC is covered by the ValiMail
// suite and its own tests, not here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResolver } from '../../src/adapters/dns/index.js';
import { sealArc, verifyArc } from '../../src/auth/arc/index.js';
import type { DnsResolver } from '../../src/core/dns/types.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { generateDkimCorpus, type CorpusMessage } from './dkim-corpus.js';
import { tamperFrom } from './dkim-interop-plan.js';
import { mapPool } from './dkim-interop-mailflow.js';
import { compareVerdicts, loadExpectations, summaryLine, type InteropCase, type Verdict } from './dkim-interop-report.js';
import {
  dkimpyArcMissing,
  dkimpyMissing,
  INTEROP_DOMAIN,
  keysZone,
  makeInteropKeys,
  runDkimpy,
  type DkimpyOp,
  type DkimpyResult,
  type InteropKey,
} from './dkim-peers.js';

/** One chain in this many is also checked tampered. */
const TAMPER_EVERY = 4;
const HOPS = ['hop1.example.org', 'hop2.example.org'] as const;


/** The message with this hop's Authentication-Results on top, as a receiving ADMD would add it. */
function withAuthResults(message: Buffer, authservId: string, arc: 'none' | 'pass'): Buffer {
  return Buffer.concat([Buffer.from(`Authentication-Results: ${authservId}; arc=${arc};\r\n spf=pass smtp.mailfrom=${INTEROP_DOMAIN}\r\n`), message]);
}

async function sealWithMailflow(message: Buffer, key: InteropKey, hop: 0 | 1): Promise<Buffer | Error> {
  try {
    const result = await sealArc(withAuthResults(message, HOPS[hop], hop === 0 ? 'none' : 'pass'), {
      domain: INTEROP_DOMAIN,
      selector: key.selector,
      privateKey: key.privateKey,
      authservId: HOPS[hop],
    });
    return result.sealed ? result.message : new Error(`mailflow: not sealed: ${result.reason}: ${result.detail}`);
  } catch (error) {
    return new Error(`mailflow: sealArc threw ${(error as Error).message}`);
  }
}

function dkimpySealOp(id: string, message: Buffer, key: InteropKey, hop: 0 | 1): DkimpyOp {
  return {
    id,
    op: 'arc-sign',
    message: withAuthResults(message, HOPS[hop], hop === 0 ? 'none' : 'pass'),
    key: key.name,
    domain: INTEROP_DOMAIN,
    selector: key.selector,
    algorithm: key.algorithm,
    srvId: HOPS[hop],
  };
}

/** dkimpy's sealed message: its new ARC fields on top of what it was given; or the error. */
function dkimpySealed(op: DkimpyOp, r: DkimpyResult | undefined): Buffer | Error {
  if (r?.headers === undefined || r.headers.length === 0) {
    return new Error(`dkimpy: ${r?.error ?? ''} arc_sign returned no fields${r?.log?.length ? ` (log: ${r.log.slice(-3).join(' | ')})` : ''}`);
  }
  return Buffer.concat([Buffer.from(r.headers.map((h) => `${h}\r\n`).join(''), 'latin1'), op.message]);
}

async function mailflowArcVerdict(message: Buffer, resolver: DnsResolver): Promise<Verdict> {
  try {
    const r = await verifyArc(message, { resolver });
    return { result: r.cv, detail: `${r.reason}: ${r.detail}` };
  } catch (error) {
    return { result: 'crash', detail: `verifyArc threw ${(error as Error).message}` };
  }
}

function dkimpyArcVerdict(r: DkimpyResult | undefined): Verdict {
  if (r === undefined) return { result: 'missing', detail: 'the driver returned no result for this operation' };
  if (r.result === 'crash') return { result: 'crash', detail: r.error ?? '' };
  return { result: r.result ?? 'missing', detail: `${r.reason ?? ''}${r.log?.length ? ` (log: ${r.log.slice(-3).join(' | ')})` : ''}` };
}

void test('ARC interop with dkimpy', async (t) => {
  for (const missing of [dkimpyMissing(), dkimpyArcMissing()]) {
    // Not a skip: CI installs python3-dkim and python3-authres; a missing one is a broken environment.
    assert.equal(missing, null, `ARC dkimpy interop cannot run: ${missing}`);
  }
  const corpus = generateDkimCorpus();
  const keys = makeInteropKeys();
  const server = await TestDnsServer.start(keysZone(keys));
  t.after(() => server.stop());
  const resolver = createResolver({ servers: [server.address] });
  const keyOf = (_m: CorpusMessage, _hop: number): InteropKey => keys.rsa;

  // Hop 1 by mailflow; dkimpy then seals hop 1 of its own chains and hop 2 over mailflow's.
  const mine1 = await mapPool(corpus, (m) => sealWithMailflow(m.raw, keyOf(m, 0), 0));
  const ops1: DkimpyOp[] = [];
  for (const [i, m] of corpus.entries()) {
    ops1.push(dkimpySealOp(`py1:${m.id}`, m.raw, keyOf(m, 0), 0));
    const sealed = mine1[i] as Buffer | Error;
    if (!(sealed instanceof Error)) ops1.push(dkimpySealOp(`mf1+py2:${m.id}`, sealed, keyOf(m, 1), 1));
  }
  const batch1 = await runDkimpy(keys, ops1);
  const r1 = new Map(batch1.results.map((r) => [r.id, r]));
  const opById = new Map(ops1.map((op) => [op.id, op]));
  const sealedBy = (id: string): Buffer | Error => dkimpySealed(opById.get(id) as DkimpyOp, r1.get(id));

  // The four chains per message; mailflow adds hop 2 over dkimpy's hop 1.
  interface Chain {
    id: string;
    message: CorpusMessage;
    sealed: Buffer | Error;
    tampered: Buffer | null;
  }
  const chains: Chain[] = [];
  for (const [i, m] of corpus.entries()) {
    const py1 = sealedBy(`py1:${m.id}`);
    const mf1 = mine1[i] as Buffer | Error;
    const forms: [string, Buffer | Error][] = [
      [`mailflow→dkimpy:${m.id}`, mf1],
      [`dkimpy→mailflow:${m.id}`, py1],
      [`mailflow+dkimpy→both:${m.id}`, mf1 instanceof Error ? mf1 : sealedBy(`mf1+py2:${m.id}`)],
      [`dkimpy+mailflow→both:${m.id}`, py1 instanceof Error ? py1 : await sealWithMailflow(py1, keyOf(m, 1), 1)],
    ];
    for (const [id, sealed] of forms) {
      chains.push({ id, message: m, sealed, tampered: !(sealed instanceof Error) && chains.length % TAMPER_EVERY === 0 ? tamperFrom(sealed) : null });
    }
  }

  const verifyOps: DkimpyOp[] = chains.flatMap((c) => [
    ...(c.sealed instanceof Error ? [] : [{ id: c.id, op: 'arc-verify' as const, message: c.sealed }]),
    ...(c.tampered ? [{ id: `${c.id}:tampered`, op: 'arc-verify' as const, message: c.tampered }] : []),
  ]);
  const [batch2, mineVerdicts] = await Promise.all([
    runDkimpy(keys, verifyOps),
    mapPool(chains, async (c) => ({
      sealed: c.sealed instanceof Error ? null : await mailflowArcVerdict(c.sealed, resolver),
      tampered: c.tampered ? await mailflowArcVerdict(c.tampered, resolver) : null,
    })),
  ]);
  const r2 = new Map(batch2.results.map((r) => [r.id, r]));

  const cases: InteropCase[] = [];
  for (const [k, c] of chains.entries()) {
    const mine = mineVerdicts[k] as { sealed: Verdict | null; tampered: Verdict | null };
    const describe = () => `message ${c.message.id} (${c.message.kind}: ${c.message.note})`;
    const base = { messageId: c.message.id, protocol: 'arc', peer: 'dkimpy', describe };
    if (c.sealed instanceof Error) {
      // Whoever failed to seal gets the crash; the other had nothing to verify.
      const mailflowFailed = c.sealed.message.startsWith('mailflow:');
      const failure = { result: 'crash', detail: c.sealed.message };
      const nothing = { result: 'missing', detail: 'nothing to verify' };
      cases.push({ ...base, id: c.id, expected: 'pass', mailflow: mailflowFailed ? failure : nothing, peerVerdict: mailflowFailed ? nothing : failure });
      continue;
    }
    cases.push({ ...base, id: c.id, expected: 'pass', mailflow: mine.sealed as Verdict, peerVerdict: dkimpyArcVerdict(r2.get(c.id)) });
    if (c.tampered) cases.push({ ...base, id: `${c.id}:tampered`, expected: 'fail', mailflow: mine.tampered as Verdict, peerVerdict: dkimpyArcVerdict(r2.get(`${c.id}:tampered`)) });
  }

  const report = compareVerdicts(cases, loadExpectations('arc', 'dkimpy'));
  const tampered = cases.filter((c) => c.id.endsWith(':tampered')).length;
  console.log(`dkimpy ${batch1.dkimpy}; ${corpus.length} messages × 4 chains (mailflow, dkimpy, mailflow+dkimpy, dkimpy+mailflow)`);
  console.log(summaryLine('arc', 'dkimpy', report, `${cases.length - tampered} chains + ${tampered} tampered; RSA-2048, relaxed/relaxed`));

  for (const { id, text } of report.disagreed) {
    await t.test(`disagreement ${id}`, () => assert.fail(text));
  }
  for (const { id, text } of report.stale) {
    await t.test(`stale expectation ${id}`, () => assert.fail(`${id}: ${text}; update dkim-expectations.json`));
  }
});
