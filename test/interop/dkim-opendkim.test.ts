// DKIM interop with OpenDKIM (Debian opendkim): mailflow signs the corpus (every plan: RSA-2048 and
// Ed25519, four canonicalization pairs, h=/i=/l= variants, a share tampered) and OpenDKIM verifies, offline
// in test mode (`opendkim -x CONF -t FILES` with TestPublicKeys: no DNS). OpenDKIM's test mode only
// verifies, so this direction is the one it can check. A difference fails unless dkim-expectations.json
// lists it with the RFC section proving OpenDKIM wrong.
//
// For a message whose body does not end in CRLF, each signed copy is also checked with a CRLF appended
// (`:final-crlf`): the canonical body is the same octets (RFC 6376 §3.4.3, §3.4.4), so the same signature
// must pass. That makes the listed test-mode defect with such bodies a checked claim, not an excuse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { generateDkimCorpus } from './dkim-corpus.js';
import { signPlans, tamperFrom, type SignPlan } from './dkim-interop-plan.js';
import { describePlan, mailflowVerdict, mapPool, signWithMailflow } from './dkim-interop-mailflow.js';
import { compareVerdicts, loadExpectations, summaryLine, type InteropCase, type Verdict } from './dkim-interop-report.js';
import { keysZone, makeInteropKeys, opendkimMissing, runOpendkim } from './dkim-peers.js';

/** A non-empty body after the header block that does not end in CRLF. */
function bodyLacksFinalCrlf(raw: Buffer): boolean {
  const separator = raw.indexOf('\r\n\r\n');
  return separator >= 0 && raw.length > separator + 4 && !raw.subarray(-2).equals(Buffer.from('\r\n'));
}

/** Case ids double as file names for `opendkim -t`, which takes a comma-separated list. */
const fileId = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, '_');

void test('DKIM interop with OpenDKIM (test mode, offline)', async (t) => {
  const missing = opendkimMissing();
  // Not a skip: CI installs opendkim, so a missing OpenDKIM is a broken environment that must be seen.
  assert.equal(missing, null, `OpenDKIM interop cannot run: ${missing}`);

  const corpus = generateDkimCorpus();
  const plans = signPlans(corpus);
  const keys = makeInteropKeys();
  // mailflow's own check uses the in-memory zone: the wire path is exercised by the dkimpy interop.
  const resolver = new ZoneResolver(keysZone(keys));

  interface Signed {
    id: string;
    plan: SignPlan;
    expected: string;
    message: Buffer | null;
    mailflow: Verdict;
  }
  const signed: Signed[] = (
    await mapPool(plans, async (plan): Promise<Signed[]> => {
      const id = `mailflow→opendkim:${plan.id}`;
      const message = await signWithMailflow(plan, keys);
      if (message instanceof Error) return [{ id, plan, expected: 'pass', message: null, mailflow: { result: 'crash', detail: `signDkim threw ${message.message}` } }];
      const out: Signed[] = [{ id, plan, expected: 'pass', message, mailflow: await mailflowVerdict(message, resolver) }];
      if (bodyLacksFinalCrlf(plan.message.raw)) {
        const appended = Buffer.concat([message, Buffer.from('\r\n')]);
        out.push({ id: `${id}:final-crlf`, plan, expected: 'pass', message: appended, mailflow: await mailflowVerdict(appended, resolver) });
      }
      if (plan.tamper) {
        const tampered = tamperFrom(message);
        out.push({ id: `${id}:tampered`, plan, expected: 'fail', message: tampered, mailflow: await mailflowVerdict(tampered, resolver) });
      }
      return out;
    })
  ).flat();

  const files = new Map(signed.filter((s) => s.message !== null).map((s) => [fileId(s.id), s.message as Buffer]));
  const batch = await runOpendkim(keys, files);

  const cases: InteropCase[] = signed.map((s) => ({
    id: s.id,
    messageId: s.plan.message.id,
    protocol: 'dkim',
    peer: 'opendkim',
    expected: s.expected,
    mailflow: s.mailflow,
    peerVerdict: s.message === null ? { result: 'missing', detail: 'nothing to verify' } : (batch.results.get(fileId(s.id)) ?? { result: 'missing', detail: 'no result' }),
    describe: () => describePlan(s.plan, s.message),
  }));
  const report = compareVerdicts(cases, loadExpectations('dkim', 'opendkim'));
  const tampered = cases.filter((c) => c.id.endsWith(':tampered')).length;
  const appended = cases.filter((c) => c.id.endsWith(':final-crlf')).length;
  console.log(`${batch.version}; ${corpus.length} messages, ${plans.length} signing plans`);
  console.log(summaryLine('dkim', 'opendkim', report, `mailflow→opendkim ${cases.length - tampered - appended} signatures + ${tampered} tampered + ${appended} with a final CRLF appended; RSA-2048 and Ed25519, four canonicalization pairs`));

  for (const { id, text } of report.disagreed) {
    await t.test(`disagreement ${id}`, () => assert.fail(text));
  }
  for (const { id, text } of report.stale) {
    await t.test(`stale expectation ${id}`, () => assert.fail(`${id}: ${text}; update dkim-expectations.json`));
  }
  await t.test('OpenDKIM gave a verdict for every message', () => {
    assert.deepEqual(cases.filter((c) => c.peerVerdict.result === 'missing').map((c) => c.id), []);
  });
});
