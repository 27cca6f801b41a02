// Full-pipeline throughput: mailflow's verifyMessage against mailauth 4.13's authenticate() on the same
// 10 KB message signed with RSA-2048 (relaxed/relaxed), with SPF and DMARC records for the sender, in the
// same run. Both sides run SPF + DKIM + ARC (no ARC sets: cv=none) + DMARC; mailauth's BIMI is off (not
// part of the comparison). Warm cache on both sides: mailflow a long-lived CachingResolver over the zone (and
// its default DKIM key cache), mailauth a memoized resolver hook (it has no cache of its own).

import { authenticate } from 'mailauth';
import { signDkim } from '../src/auth/dkim/index.js';
import { verifyMessage } from '../src/auth/pipeline/index.js';
import { CachingResolver } from '../src/core/dns/cache.js';
import { Zone, type ZoneData } from '../src/testing/zone.js';
import { ZoneResolver } from '../src/testing/zone-resolver.js';
import { benchMessage, makeBenchKeys, BENCH_DOMAIN } from './dkim-message.js';
import { mailauthResolver } from './spf.bench.js';
import { timeLoop, type TimingOptions, type TimingResult } from './timing.js';

/** The target: warm full-pipeline verifications at least this many times mailauth's. */
export const PIPELINE_TARGET_RATIO = 3;
const ROUNDS = 4;

const CLIENT = { ip: '192.0.2.1', helo: 'mail.sender.example', sender: `bounces@${BENCH_DOMAIN}` };

export interface PipelineBenchReport {
  messageBytes: number;
  verdicts: { check: string; mailflow: string; mailauth: string }[];
  rows: { name: string; timing: TimingResult }[];
  ratio: number;
}

function zoneFor(keyRecord: { dnsName: string; txtStrings: string[] }): ZoneData {
  return {
    [BENCH_DOMAIN]: [{ TXT: 'v=spf1 ip4:192.0.2.0/28 ip4:198.51.100.0/24 include:_spf.example.com -all' }],
    [`_spf.${BENCH_DOMAIN}`]: [{ TXT: 'v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 ~all' }],
    [`_dmarc.${BENCH_DOMAIN}`]: [{ TXT: 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com' }],
    [keyRecord.dnsName]: [{ TXT: keyRecord.txtStrings }],
  };
}

/** Runs the pipeline benchmark; verdicts are compared first so the timings compare the same work. */
export async function runPipelineBench(options: TimingOptions): Promise<PipelineBenchReport> {
  const keys = makeBenchKeys();
  const zone = new Zone(zoneFor(keys.rsa.record));
  const signed = (await signDkim(benchMessage(), [{ domain: BENCH_DOMAIN, selector: keys.rsa.selector, privateKey: keys.rsa.privateKey, canonicalization: 'relaxed/relaxed' }])).message;
  const cached = new CachingResolver(new ZoneResolver(zone));
  const hook = mailauthResolver(zone);

  const mailflow = () =>
    verifyMessage(signed, { ip: CLIENT.ip, helo: CLIENT.helo, mailFrom: CLIENT.sender, resolver: cached, authservId: 'mx.example.org' });
  const mailauth = () =>
    authenticate(signed, { ip: CLIENT.ip, helo: CLIENT.helo, sender: CLIENT.sender, mta: 'mx.example.org', resolver: hook as never, disableBimi: true });

  const ours = await mailflow();
  const theirs = (await mailauth()) as unknown as {
    spf: { status: { result: string } };
    dkim: { results: { status: { result: string } }[] };
    dmarc: { status: { result: string } };
    arc: { status: { result: string } };
  };
  const verdicts = [
    { check: 'spf', mailflow: ours.spf.result, mailauth: theirs.spf.status.result },
    { check: 'dkim', mailflow: ours.dkim.signatures.map((s) => s.result).join(','), mailauth: theirs.dkim.results.map((r) => r.status.result).join(',') },
    { check: 'arc', mailflow: ours.arc.cv, mailauth: theirs.arc.status.result },
    { check: 'dmarc', mailflow: ours.dmarc.result, mailauth: theirs.dmarc.status.result },
  ];

  const ops = [mailflow, mailauth];
  const totals = ops.map(() => ({ ops: 0, elapsedMs: 0 }));
  const round = { warmupMs: options.warmupMs / ROUNDS, durationMs: options.durationMs / ROUNDS };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, op] of ops.entries()) {
      const t = await timeLoop(op, round, 4);
      totals[k]!.ops += t.ops;
      totals[k]!.elapsedMs += t.elapsedMs;
    }
  }
  const timings = totals.map(({ ops: n, elapsedMs }) => ({ ops: n, elapsedMs, opsPerSecond: (n / elapsedMs) * 1000, meanUs: (elapsedMs * 1000) / n }));
  const rows = [
    { name: 'mailflow verifyMessage (CachingResolver)', timing: timings[0]! },
    { name: 'mailauth authenticate (memoized hook)', timing: timings[1]! },
  ];
  return { messageBytes: signed.length, verdicts, rows, ratio: timings[0]!.opsPerSecond / timings[1]!.opsPerSecond };
}
