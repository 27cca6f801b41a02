// SPF evaluation throughput: mailflow's checkSpf against mailauth 4.13's SPF over the same zone data, in
// the same run, plus mailflow cold-cache over the wire against TestDnsServer.
//
// The record set is shaped like a large sender's: example.com includes two ESP-style lists, the first
// nesting three deep, carrying tens of ip4/ip6 networks, then its own networks and mx (two MX hosts).
// Clients pass at each depth, through mx, or fail, over IPv4 and IPv6.

import { spf as mailauthSpf } from 'mailauth/lib/spf/index.js';
import { checkSpf } from '../src/auth/spf/index.js';
import { createResolver } from '../src/adapters/dns/index.js';
import { CachingResolver } from '../src/core/dns/cache.js';
import type { DnsResolver, RRType } from '../src/core/dns/types.js';
import { TestDnsServer } from '../src/testing/dns-server.js';
import { Zone, type ZoneData } from '../src/testing/zone.js';
import { ZoneResolver, resolveInZone } from '../src/testing/zone-resolver.js';
import { timeConcurrent, timeLoop, type TimingOptions, type TimingResult } from './timing.js';

/** The target the SPF module was built to: warm-cache evaluations at least this many times mailauth's. */
export const TARGET_RATIO = 5;

/** Warm measurements are split into this many interleaved rounds per row. */
const WARM_ROUNDS = 4;

const SENDER = 'bounces@example.com';
const HELO = 'mail.sender.example';

function nets4(prefix: string, from: number, count: number, step = 16, cidr = 28): string[] {
  return [...Array(count)].map((_, i) => `ip4:${prefix}.${from + i * step}/${cidr}`);
}

function nets6(groups: number[]): string[] {
  return groups.map((g) => `ip6:2001:db8:${g.toString(16)}::/48`);
}

/** example.com → _spf1 → _spf1a → _spf1b (three deep) and → _spf2 → _spf2a; own networks; mx. */
export const BENCH_ZONE: ZoneData = {
  'example.com': [
    { TXT: 'v=spf1 include:_spf1.example.com include:_spf2.example.com ip4:192.0.2.0/28 ip4:192.0.2.16/28 ip6:2001:db8:100::/48 mx -all' },
    { MX: [10, 'mx1.example.com'] },
    { MX: [20, 'mx2.example.com'] },
  ],
  '_spf1.example.com': [
    { TXT: ['v=spf1 ', [...nets4('192.0.2', 32, 6), ...nets6([1, 2, 3, 4]), 'include:_spf1a.example.com', '~all'].join(' ')] },
  ],
  '_spf1a.example.com': [{ TXT: ['v=spf1 ', [...nets4('198.51.100', 0, 8), ...nets6([0x10, 0x11, 0x12]), 'include:_spf1b.example.com', '~all'].join(' ')] }],
  '_spf1b.example.com': [{ TXT: ['v=spf1 ', [...nets4('198.51.100', 128, 8), ...nets6([0x20, 0x21, 0x22, 0x23]), '~all'].join(' ')] }],
  '_spf2.example.com': [{ TXT: ['v=spf1 ', [...nets4('203.0.113', 0, 8), 'include:_spf2a.example.com', '?all'].join(' ')] }],
  '_spf2a.example.com': [{ TXT: ['v=spf1 ', [...nets4('203.0.113', 128, 5), ...nets6([0x30, 0x31]), '-all'].join(' ')] }],
  'mx1.example.com': [{ A: '203.0.113.250' }, { AAAA: '2001:db8:ffff::25' }],
  'mx2.example.com': [{ A: '203.0.113.251' }],
};

/** Client addresses and what they exercise. */
export const BENCH_CLIENTS: readonly { ip: string; where: string }[] = [
  { ip: '192.0.2.40', where: 'pass at depth 1 (_spf1)' },
  { ip: '198.51.100.20', where: 'pass at depth 2 (_spf1a)' },
  { ip: '198.51.100.200', where: 'pass at depth 3 (_spf1b)' },
  { ip: '203.0.113.50', where: 'pass at depth 1 (_spf2)' },
  { ip: '203.0.113.150', where: 'pass at depth 2 (_spf2a)' },
  { ip: '192.0.2.5', where: 'pass at depth 0 (own ip4, after both includes)' },
  { ip: '203.0.113.250', where: 'pass via mx' },
  { ip: '2001:db8:3::1', where: 'pass at depth 1 (ip6)' },
  { ip: '2001:db8:22::abcd', where: 'pass at depth 3 (ip6)' },
  { ip: '2001:db8:ffff::25', where: 'pass via mx (AAAA)' },
  { ip: '192.0.2.200', where: 'fail (whole tree + mx)' },
  { ip: '2001:db8:dead::1', where: 'fail (ip6, whole tree + mx)' },
];

type MailauthAnswer = string[] | string[][] | { exchange: string; priority: number }[];

/**
 * A mailauth resolver hook over the zone, in node:dns.promises style: TXT as string[][], MX as
 * {exchange, priority}[], errors with ENOTFOUND/ENODATA/ETIMEOUT codes. Answers are computed once
 * and memoized: mailauth has no cache of its own, and this makes its side a warm cache too.
 */
export function mailauthResolver(zone: Zone): (name: string, type: string) => Promise<MailauthAnswer> {
  const memo = new Map<string, MailauthAnswer | Error>();
  const compute = (name: string, type: RRType): MailauthAnswer | Error => {
    const answer = resolveInZone(zone, name, type);
    switch (answer.kind) {
      case 'records':
        if (type === 'TXT') return answer.records.map((r) => r.data as string[]);
        if (type === 'MX') return answer.records.map((r) => { const mx = r.data as { exchange: string; preference: number }; return { exchange: mx.exchange, priority: mx.preference }; });
        return answer.records.map((r) => r.data as string);
      case 'nxdomain':
        return Object.assign(new Error(`queryDns ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      case 'nodata':
        return Object.assign(new Error(`queryDns ENODATA ${name}`), { code: 'ENODATA' });
      case 'error':
        return Object.assign(new Error(`queryDns ${answer.error} ${name}`), { code: answer.error === 'timeout' ? 'ETIMEOUT' : 'ESERVFAIL' });
    }
  };
  return (name, type) => {
    const key = `${name.toLowerCase()}|${type}`;
    let value = memo.get(key);
    if (value === undefined) memo.set(key, (value = compute(name, type as RRType)));
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value.slice() as MailauthAnswer);
  };
}

async function mailflowVerdict(resolver: DnsResolver, ip: string): Promise<string> {
  return (await checkSpf({ ip, sender: SENDER, helo: HELO }, { resolver })).result;
}

async function mailauthVerdict(resolver: ReturnType<typeof mailauthResolver>, ip: string): Promise<string> {
  const result = await mailauthSpf({ ip, sender: SENDER, helo: HELO, mta: 'mx.receiver.example', resolver: resolver as never });
  return result.status.result;
}

export interface BenchRow {
  name: string;
  resolver: string;
  timing: TimingResult;
}

export interface SpfBenchReport {
  verdicts: { ip: string; where: string; mailflow: string; mailauth: string }[];
  rows: BenchRow[];
  ratio: number;
  mailauthVersion: string;
}

/** Runs the SPF benchmark; `options` sets warm-up and duration per measurement. */
export async function runSpfBench(options: TimingOptions, mailauthVersion: string): Promise<SpfBenchReport> {
  const zone = new Zone(BENCH_ZONE);
  const cached = new CachingResolver(new ZoneResolver(zone));
  const direct = new ZoneResolver(zone);
  const hook = mailauthResolver(zone);
  const ips = BENCH_CLIENTS.map((c) => c.ip);
  const pick = (i: number) => ips[i % ips.length] as string;

  const verdicts = [];
  for (const client of BENCH_CLIENTS) {
    verdicts.push({ ...client, mailflow: await mailflowVerdict(cached, client.ip), mailauth: await mailauthVerdict(hook, client.ip) });
  }

  // The warm rows are measured in interleaved rounds, so load from elsewhere on the machine falls on
  // all of them alike instead of skewing the ratio.
  const warm: { name: string; resolver: string; op: (i: number) => Promise<unknown> }[] = [
    { name: 'mailflow checkSpf, warm', resolver: 'CachingResolver(ZoneResolver)', op: (i) => mailflowVerdict(cached, pick(i)) },
    {
      name: 'mailflow checkSpf, warm',
      resolver: 'ZoneResolver (no cache layer)',
      op: (i) => {
        if (i % 1024 === 0) direct.reset(); // the call log would otherwise grow for the whole run
        return mailflowVerdict(direct, pick(i));
      },
    },
    { name: `mailauth ${mailauthVersion} spf, warm`, resolver: 'memoized zone hook', op: (i) => mailauthVerdict(hook, pick(i)) },
  ];
  const totals = warm.map(() => ({ ops: 0, elapsedMs: 0 }));
  const roundOptions = { warmupMs: options.warmupMs / WARM_ROUNDS, durationMs: options.durationMs / WARM_ROUNDS };
  for (let round = 0; round < WARM_ROUNDS; round++) {
    for (const [k, row] of warm.entries()) {
      const t = await timeLoop(row.op, roundOptions);
      const total = totals[k] as { ops: number; elapsedMs: number };
      total.ops += t.ops;
      total.elapsedMs += t.elapsedMs;
    }
  }
  const rows: BenchRow[] = warm.map((row, k) => {
    const { ops, elapsedMs } = totals[k] as { ops: number; elapsedMs: number };
    return { name: row.name, resolver: row.resolver, timing: { ops, elapsedMs, opsPerSecond: (ops / elapsedMs) * 1000, meanUs: (elapsedMs * 1000) / ops } };
  });

  const server = await TestDnsServer.start(BENCH_ZONE);
  try {
    const cold = (i: number) => mailflowVerdict(createResolver({ servers: [server.address] }), pick(i));
    const coldOptions = { warmupMs: Math.min(options.warmupMs, 300), durationMs: options.durationMs };
    rows.push({ name: 'mailflow checkSpf, cold', resolver: 'wire → TestDnsServer, fresh cache per eval', timing: await timeLoop(cold, coldOptions, 1) });
    rows.push({ name: 'mailflow checkSpf, cold ×16', resolver: 'same, 16 evaluations in flight', timing: await timeConcurrent(cold, coldOptions, 16) });
  } finally {
    await server.stop();
  }

  const ratio = (rows[0] as BenchRow).timing.opsPerSecond / (rows[2] as BenchRow).timing.opsPerSecond;
  return { verdicts, rows, ratio, mailauthVersion };
}
