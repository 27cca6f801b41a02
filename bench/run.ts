// `npm run bench`: runs the benchmarks and prints their tables. Options:
//   --duration=MS   measuring time per row (default 2000)   --warmup=MS   warm-up per row (default 500)
//   --only=spf|dkim|pipeline|gateway run one benchmark (default all)
// Exits 1 when mailflow and mailauth disagree on a bench verdict (the timings would then compare
// different work); a ratio under the target is reported, not failed.

import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { runSpfBench, TARGET_RATIO, BENCH_ZONE, BENCH_CLIENTS } from './spf.bench.js';
import { runDkimBench, DKIM_TARGETS } from './dkim.bench.js';
import { runPipelineBench, PIPELINE_TARGET_RATIO } from './pipeline.bench.js';
import { runGatewayBench, GATEWAY_BENCH_CONNECTIONS, GATEWAY_BENCH_MESSAGE_BYTES, GATEWAY_TARGETS } from './gateway.bench.js';

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
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && only !== 'spf' && only !== 'dkim' && only !== 'pipeline' && only !== 'gateway') throw new Error('bench: --only must be spf, dkim, pipeline or gateway');
const mailauthVersion = (createRequire(import.meta.url)('mailauth/package.json') as { version: string }).version;

let failed = false;

if (only === undefined || only === 'spf') {
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
  failed ||= mismatches.length > 0;
}

if (only === undefined || only === 'dkim') {
  const loadBefore = loadavg()[0] ?? 0;
  const dkim = await runDkimBench(options, mailauthVersion);
  console.log(`\nDKIM benchmark — ${fmt(dkim.messageBytes)}-byte message, relaxed/relaxed, RSA-2048 and Ed25519; warm key lookups on both sides; rows interleaved in 4 rounds`);
  console.log(`Ed25519 verification in mailflow: ${dkim.ed25519Backend}${dkim.ed25519Backend === 'libsodium' ? ' (sodium-native); verify vs ceiling compares with the libsodium ceiling' : ''}`);
  console.log("Verdicts (checked before timing; each verifier on each signer's output):");
  console.log(table(['key', 'signed by', 'mailflow', 'mailauth'], dkim.verdicts.map((v) => [v.algorithm, v.signer, v.mailflow, v.mailauth])));
  const bad = dkim.verdicts.filter((v) => v.mailflow !== 'pass' || v.mailauth !== 'pass');
  console.log(bad.length === 0 ? 'verdicts: all pass\n' : `verdicts: ${bad.length} NOT pass — timings below compare different work\n`);
  failed ||= bad.length > 0;
  console.log(
    table(
      ['key', 'operation', 'implementation', 'ops/s', 'µs/op', 'ops'],
      dkim.rows.map((r) => [r.algorithm, r.operation, r.name, fmt(r.timing.opsPerSecond), fmt(r.timing.meanUs, 1), fmt(r.timing.ops)]),
    ),
  );
  const mark = (value: number, target: number) => `${value >= target ? 'meets' : 'BELOW'} ≥${target}`;
  console.log('');
  console.log(
    table(
      ['key', 'verify vs mailauth', 'verify vs ceiling', 'sign vs mailauth', 'sign vs ceiling'],
      dkim.ratios.map((r) => [
        r.algorithm,
        `${r.verifyVsMailauth.toFixed(2)}x (${mark(r.verifyVsMailauth, DKIM_TARGETS.verifyVsMailauth)}x)`,
        `${(r.verifyVsCeiling * 100).toFixed(0)}% (${mark(r.verifyVsCeiling * 100, DKIM_TARGETS.verifyVsCeiling * 100)}%)`,
        `${r.signVsMailauth.toFixed(2)}x (${mark(r.signVsMailauth, DKIM_TARGETS.signVsMailauth)}x)`,
        `${(r.signVsCeiling * 100).toFixed(0)}%`,
      ]),
    ),
  );
  console.log(`\nWorker threads (mailflow verifyDkim, each thread verifying in a loop; ${dkim.cores} cores available):`);
  const byAlgorithm = [...new Set(dkim.threads.map((t) => t.algorithm))];
  console.log(
    table(
      ['key', '1 thread verify/s', '2 threads verify/s', 'speedup'],
      byAlgorithm.map((a) => {
        const one = dkim.threads.find((t) => t.algorithm === a && t.threads === 1)?.opsPerSecond ?? 0;
        const two = dkim.threads.find((t) => t.algorithm === a && t.threads === 2)?.opsPerSecond ?? 0;
        return [a, fmt(one), fmt(two), `${(two / one).toFixed(2)}x`];
      }),
    ),
  );
  // Other processes on the machine take cores from the threads and skew every row: say how busy it was.
  console.log(`load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)} on ${dkim.cores} cores`);
}

if (only === undefined || only === 'pipeline') {
  const pipeline = await runPipelineBench(options);
  console.log(`\nPipeline benchmark — SPF + DKIM RSA-2048 + ARC (none) + DMARC on a ${fmt(pipeline.messageBytes)}-byte message, warm cache, mailauth ${mailauthVersion} authenticate() without BIMI; rows interleaved in 4 rounds`);
  console.log(table(['check', 'mailflow', 'mailauth'], pipeline.verdicts.map((v) => [v.check, v.mailflow, v.mailauth])));
  const differ = pipeline.verdicts.filter((v) => v.mailflow !== v.mailauth);
  console.log(differ.length === 0 ? 'verdicts: all agree\n' : `verdicts: ${differ.length} DISAGREE — timings below compare different work\n`);
  console.log(table(['implementation', 'verifications/s', 'µs/message', 'messages'], pipeline.rows.map((r) => [r.name, fmt(r.timing.opsPerSecond), fmt(r.timing.meanUs, 1), fmt(r.timing.ops)])));
  console.log(`\nratio mailflow/mailauth (full pipeline, warm): ${pipeline.ratio.toFixed(2)}x — ${pipeline.ratio >= PIPELINE_TARGET_RATIO ? 'meets' : 'BELOW'} the target of ≥${PIPELINE_TARGET_RATIO}x`);
  failed ||= differ.length > 0;
}

if (only === undefined || only === 'gateway') {
  const loadBefore = loadavg()[0] ?? 0;
  const gateway = await runGatewayBench(options);
  console.log(`\nGateway load benchmark — ${GATEWAY_BENCH_CONNECTIONS} concurrent clients on loopback, ${fmt(GATEWAY_BENCH_MESSAGE_BYTES)}-byte messages, MAIL/RCPT/DATA pipelined; each server a process of its own, durable before 250`);
  console.log(
    table(
      ['server', 'notes', 'accepted msg/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'accepted', 'failed'],
      gateway.rows.map((r) => r.available
        ? [r.name, '', fmt(r.messagesPerSecond), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), fmt(r.peakRssMb), fmt(r.accepted), fmt(r.failed)]
        : [r.name, `unavailable: ${r.note ?? ''}`, '-', '-', '-', '-', '-', '-']),
    ),
  );
  const mark = (value: number, target: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}x — ${value >= target ? 'meets' : 'BELOW'} the target of ≥${target}x`);
  console.log(`\nratio mailflow / fsync sink: ${mark(gateway.vsFsyncSink, GATEWAY_TARGETS.vsFsyncSink)}`);
  console.log(`ratio mailflow / Haraka: ${mark(gateway.vsHaraka, GATEWAY_TARGETS.vsHaraka)}`);
  console.log(`load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)}`);
}

process.exitCode = failed ? 1 : 0;
