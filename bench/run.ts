// `npm run bench`: runs the benchmarks and prints their tables. Options:
//   --duration=MS   measuring time per row (default 2000)   --warmup=MS   warm-up per row (default 500)
// Exits 1 when mailflow and mailauth disagree on a bench verdict (the timings would then compare
// different work); a ratio under the target is reported, not failed.

import { createRequire } from 'node:module';
import { runSpfBench, TARGET_RATIO, BENCH_ZONE, BENCH_CLIENTS } from './spf.bench.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: --${name} must be a positive number of ms`);
  return value;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const options = { durationMs: option('duration', 2000), warmupMs: option('warmup', 500) };
const mailauthVersion = (createRequire(import.meta.url)('mailauth/package.json') as { version: string }).version;

const networks = Object.values(BENCH_ZONE)
  .flat()
  .filter((e): e is { TXT: string | string[] } => typeof e === 'object' && 'TXT' in e)
  .map((e) => [e.TXT].flat().join(''))
  .join(' ')
  .split(' ')
  .filter((t) => t.startsWith('ip4:') || t.startsWith('ip6:')).length;

console.log(`SPF benchmark — node ${process.version}, ${options.warmupMs} ms warm-up + ${options.durationMs} ms per row (warm rows in 4 interleaved rounds)`);
console.log(`record set: example.com, includes nested 3 deep, ${networks} ip4/ip6 networks, mx with 2 hosts; ${BENCH_CLIENTS.length} client IPs, round-robin\n`);

const report = await runSpfBench(options, mailauthVersion);

console.log('Verdicts (checked before timing):');
console.log(table(['client', 'exercises', 'mailflow', 'mailauth'], report.verdicts.map((v) => [v.ip, v.where, v.mailflow, v.mailauth])));
const mismatches = report.verdicts.filter((v) => v.mailflow !== v.mailauth);
console.log(mismatches.length === 0 ? 'verdicts: all agree\n' : `verdicts: ${mismatches.length} DISAGREE — timings below compare different work\n`);

console.log(
  table(
    ['implementation', 'resolver', 'evals/s', 'µs/eval', 'evals'],
    report.rows.map((r) => [r.name, r.resolver, fmt(r.timing.opsPerSecond), fmt(r.timing.meanUs, 1), fmt(r.timing.ops)]),
  ),
);
const verdict = report.ratio >= TARGET_RATIO ? 'meets' : 'BELOW';
console.log(`\nratio mailflow/mailauth (warm, CachingResolver row vs mailauth row): ${report.ratio.toFixed(2)}x — ${verdict} the target of ≥${TARGET_RATIO}x`);

process.exitCode = mismatches.length === 0 ? 0 : 1;
