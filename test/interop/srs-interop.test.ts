// SRS interop: ~100 senders rewritten by mailflow and by two independent implementations, PostSRSd (the
// Debian daemon over its TCP lookup protocol on 127.0.0.1) and Perl's Mail::SRS::Guarded, with the same
// secret and the real clock. Each side must reverse the other's addresses; with base64 hashes the rewritten
// addresses must be identical byte for byte. A missing peer fails the test: CI installs both
// (scripts/install-test-peers.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { createSrs, type SrsRewriter } from '../../src/auth/srs/index.js';
import { mailSrsMissing, postsrsdMissing, postsrsdVersion, PostsrsdPeer, runMailSrs, type PeerReply } from './srs-peers.js';
import { expectedReverse, srsInteropAddresses } from './srs-addresses.js';

const DOMAIN = 'srs.example.com';
const SECRETS = ['interop-secret-2', 'interop-secret-1'];
const DAY_MS = 86_400_000;

let dir: string;
let peer: PostsrsdPeer | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailflow-srs-interop-'));
  writeFileSync(join(dir, 'secrets'), SECRETS.join('\n') + '\n', { mode: 0o600 });
});
after(async () => {
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function rewriter(hashEncoding: 'base64' | 'base64url', clock: Clock = systemClock): SrsRewriter {
  return createSrs({ secrets: SECRETS, domain: DOMAIN, hashEncoding, clock });
}

/** Addresses are compared as the peers write them; `ok` replies only. */
function show(r: PeerReply | { ok: false; reason: string }): string {
  return r.ok ? r.address : 'message' in r ? `error: ${r.message}` : `error: ${r.reason}`;
}

void test('SRS interop with PostSRSd (tcp lookup daemon)', async (t) => {
  const missing = postsrsdMissing();
  // Not a skip: CI installs postsrsd, so a missing peer is a broken environment that must be seen.
  assert.equal(missing, null, `PostSRSd interop cannot run: ${missing}`);
  peer = await PostsrsdPeer.start(join(dir, 'secrets'), DOMAIN);
  const version = postsrsdVersion();

  const addresses = srsInteropAddresses(DOMAIN);
  const mine = rewriter('base64');
  const mineUrl = rewriter('base64url');
  const problems: string[] = [];
  let identical = 0;
  let theyReverseOurs = 0;
  let weReverseTheirs = 0;
  let urlRejectedByPeer = 0;
  let urlAcceptedByPeer = 0;

  for (const a of addresses) {
    const theirs = await peer.forward(a.address);
    const ours = mine.forward(a.address);
    if (a.kind === 'local') {
      // PostSRSd 1.x answers a local sender with itself; mailflow says rewritten: false.
      if (!(theirs.ok && theirs.address === a.address && ours.ok && !ours.rewritten)) problems.push(`local ${a.address}: ${show(theirs)} / ${JSON.stringify(ours)}`);
      continue;
    }
    if (!theirs.ok || !ours.ok) {
      problems.push(`forward ${a.address}: postsrsd ${show(theirs)}, mailflow ${JSON.stringify(ours)}`);
      continue;
    }
    if (theirs.address === ours.address) identical++;
    else problems.push(`forward ${a.address}: postsrsd ${theirs.address} ≠ mailflow ${ours.address}`);

    const want = expectedReverse(a);
    const back = mine.reverse(theirs.address);
    if (back.ok && back.address === want) weReverseTheirs++;
    else problems.push(`mailflow reverse of postsrsd's ${theirs.address}: ${show(back)}, want ${want}`);
    const theirBack = await peer.reverse(ours.address);
    if (theirBack.ok && theirBack.address === want) theyReverseOurs++;
    else problems.push(`postsrsd reverse of mailflow's ${ours.address}: ${show(theirBack)}, want ${want}`);

    // mailflow's default (base64url, as PostSRSd 2.x) against PostSRSd 1.x, which compares base64 only.
    const url = mineUrl.forward(a.address);
    if (url.ok && url.rewritten) {
      const r = await peer.reverse(url.address);
      const hash = url.address.slice(5, 9);
      if (r.ok && r.address === want) urlAcceptedByPeer++;
      else if (/[-_]/.test(hash)) urlRejectedByPeer++;
      else problems.push(`postsrsd reverse of mailflow's base64url ${url.address}: ${show(r)}`);
    }
  }

  // Failures must agree: tampered hashes and stale stamps are rejected by both.
  const month = { now: () => Date.now() - 30 * DAY_MS };
  let bothReject = 0;
  for (const a of addresses.filter((x) => x.kind === 'plain').slice(0, 10)) {
    const good = mine.forward(a.address);
    const old = rewriter('base64', month).forward(a.address);
    if (!good.ok || !old.ok) continue;
    const tampered = good.address.replace(/^(SRS0=)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
    for (const bad of [tampered, old.address]) {
      const theirs = await peer.reverse(bad);
      const ours = mine.reverse(bad);
      if (!theirs.ok && !ours.ok) bothReject++;
      else problems.push(`reject ${bad}: postsrsd ${show(theirs)}, mailflow ${show(ours)}`);
    }
  }

  const rewritten = addresses.filter((a) => a.kind !== 'local').length;
  const line =
    `srs interop postsrsd ${version}: ${addresses.length} addresses, ${identical}/${rewritten} identical forwards, ` +
    `mailflow reversed ${weReverseTheirs}/${rewritten} of theirs, postsrsd reversed ${theyReverseOurs}/${rewritten} of ours, ` +
    `${bothReject} tampered/expired rejected by both; base64url: ${urlAcceptedByPeer} accepted, ${urlRejectedByPeer} rejected by postsrsd 1.x (hash has - or _)`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(addresses.length >= 100);
  assert.deepEqual(problems, [], problems.join('\n'));
  assert.equal(identical, rewritten);
});

void test('SRS interop with Mail::SRS::Guarded (Perl)', (t) => {
  const missing = mailSrsMissing();
  assert.equal(missing, null, `Mail::SRS interop cannot run: ${missing}`);
  const addresses = srsInteropAddresses(DOMAIN).filter((a) => a.kind !== 'local');
  const mine = rewriter('base64');
  const forwards = runMailSrs(SECRETS, DOMAIN, addresses.map((a) => ({ op: 'forward', address: a.address })));
  const ours = addresses.map((a) => mine.forward(a.address));
  const reversals = runMailSrs(SECRETS, DOMAIN, ours.map((r) => ({ op: 'reverse', address: r.ok ? r.address : '' })));
  const problems: string[] = [];
  let identical = 0;
  let weReverse = 0;
  let theyReverse = 0;
  addresses.forEach((a, i) => {
    const theirs = forwards[i] as PeerReply;
    const mineF = ours[i];
    const want = expectedReverse(a);
    if (theirs.ok && mineF?.ok && theirs.address === mineF.address) identical++;
    else problems.push(`forward ${a.address}: Mail::SRS ${show(theirs)}, mailflow ${JSON.stringify(mineF)}`);
    if (theirs.ok) {
      const back = mine.reverse(theirs.address);
      if (back.ok && back.address === want) weReverse++;
      else problems.push(`mailflow reverse of ${theirs.address}: ${show(back)}, want ${want}`);
    }
    const theirBack = reversals[i] as PeerReply;
    if (theirBack.ok && theirBack.address === want) theyReverse++;
    else problems.push(`Mail::SRS reverse of mailflow's ${mineF?.ok ? mineF.address : '?'}: ${show(theirBack)}, want ${want}`);
  });
  const line = `srs interop Mail::SRS: ${addresses.length} addresses, ${identical} identical forwards, mailflow reversed ${weReverse}, Mail::SRS reversed ${theyReverse}`;
  t.diagnostic(line);
  console.log(line);
  assert.deepEqual(problems, [], problems.join('\n'));
});
