// The gateway load bench: 20 concurrent clients on loopback send 10 KB messages; each server runs as its own
// process and is measured with the same load: accepted messages/s, p50/p99 from end of DATA to the 250, and
// the server's peak RSS (VmHWM). Servers: mailflow gateway (durable SQLite queue, delivery paused), a bare
// smtp-server that writes and fsyncs each message as its own file, and Haraka queueing to its own disk
// queue (outbound, delivery disabled). Targets: ≥ the fsync sink's rate, ≥ 4x Haraka.

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateDkimKey, signDkim } from '../src/auth/dkim/index.js';
import { TestDnsServer } from '../src/testing/dns-server.js';
import { loadMessage, percentile, runLoad } from './smtp-load.js';

export const GATEWAY_BENCH_CONNECTIONS = 20;
export const GATEWAY_BENCH_MESSAGE_BYTES = 10_240;
export const GATEWAY_TARGETS = { vsFsyncSink: 1, vsHaraka: 4 };

const ROOT = new URL('../', import.meta.url).pathname;

export interface GatewayBenchRow {
  name: string;
  available: boolean;
  /** Why a row could not run. */
  note?: string;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  accepted: number;
  failed: number;
}

interface Server {
  child: ChildProcess;
  port: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits for a line on the child's stdout matching `pattern`; resolves with the match. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** Waits until the port greets with 220. */
async function waitForGreeting(port: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('220'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMTP greeting on port ${port}`);
}

/** Peak RSS (VmHWM) of a process plus its children (Haraka runs a cluster worker under its master). */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter((c) => c !== '').map(Number));
    return kb / 1024 + children.reduce((sum, child) => sum + peakRssMb(child), 0);
  } catch {
    return 0;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startMailflow(dir: string, extraConfig = ''): Promise<Server> {
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, `hostname: mx.bench.test
listeners: [{ role: inbound, host: 127.0.0.1, port: 0, tls: none }]
acceptedDomains: [{ domain: bench.test }]
accounts: []
limits: { maxConnectionsPerIp: 100, maxMessagesPerSession: 1000000 }
delivery: { paused: true }
log: { format: json, level: info }
${extraConfig}`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'gateway', '--data-dir', join(dir, 'data'), '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const match = await waitForLine(child, /"event":"listening".*"port":(\d+)/);
  return { child, port: Number(match[1]) };
}

async function startFsyncSink(dir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/fsync-sink.ts'), join(dir, 'spool')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const match = await waitForLine(child, /^ready (\d+)$/);
  return { child, port: Number(match[1]) };
}

async function startHaraka(dir: string): Promise<Server> {
  const port = await freePort();
  const config = join(dir, 'config');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'smtp.ini'), `[main]\nlisten=127.0.0.1:${port}\n`);
  writeFileSync(join(config, 'me'), 'haraka.bench.test\n');
  // relay (ACL 127.0.0.1) makes every loopback client a relay client, so messages go to outbound: Haraka's
  // disk queue (one fsync'd file per message); outbound delivery is disabled so the bench measures acceptance.
  writeFileSync(join(config, 'plugins'), 'relay\n');
  writeFileSync(join(config, 'relay.ini'), '[relay]\nacl=true\n');
  writeFileSync(join(config, 'relay_acl_allow'), '127.0.0.1/32\n');
  writeFileSync(join(config, 'outbound.ini'), 'disabled=true\n');
  writeFileSync(join(config, 'log.ini'), '[main]\nlevel=notice\n');
  // Haraka reads no defaults for a file its config directory lacks: start from the shipped connection.ini.
  copyFileSync(join(ROOT, 'node_modules/Haraka/config/connection.ini'), join(config, 'connection.ini'));
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/Haraka/bin/haraka'), '-c', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForGreeting(port);
  return { child, port };
}

/** Sender domain of the load, with SPF, DKIM and DMARC records for the inbound-auth row. */
const LOAD_DOMAIN = 'client.test';
/** Distinct pre-signed messages the inbound-auth row cycles through (signing is not the server's work). */
const SIGNED_POOL = 256;

/**
 * The inbound-auth row's world: a DNS server in this process publishing the load domain's SPF (loopback
 * allowed), an Ed25519 DKIM key and DMARC p=reject, and a pool of messages signed with that key, so that the
 * gateway verifies SPF pass, DKIM pass and DMARC pass for every message, as an MX does for real mail.
 */
async function inboundAuthWorld(): Promise<{ dns: TestDnsServer; message: (seq: number) => Buffer }> {
  const key = generateDkimKey({ type: 'ed25519', domain: LOAD_DOMAIN, selector: 'bench' });
  const dns = await TestDnsServer.start({
    [LOAD_DOMAIN]: [{ TXT: 'v=spf1 ip4:127.0.0.0/8 -all' }],
    [`_dmarc.${LOAD_DOMAIN}`]: [{ TXT: 'v=DMARC1; p=reject' }],
    [key.dnsName]: [{ TXT: key.txtStrings }],
  });
  const pool: Buffer[] = [];
  for (let seq = 0; seq < SIGNED_POOL; seq++) {
    const unsigned = loadMessage(seq, GATEWAY_BENCH_MESSAGE_BYTES, `load@${LOAD_DOMAIN}`, 'user@bench.test');
    pool.push((await signDkim(unsigned, [{ domain: LOAD_DOMAIN, selector: 'bench', privateKey: key.privateKeyPem }])).message);
  }
  return { dns, message: (seq) => pool[seq % SIGNED_POOL] as Buffer };
}

async function measure(
  name: string,
  start: (dir: string) => Promise<Server>,
  options: { durationMs: number; warmupMs: number },
  message: (seq: number) => Buffer = (seq) => loadMessage(seq, GATEWAY_BENCH_MESSAGE_BYTES, `load@${LOAD_DOMAIN}`, 'user@bench.test'),
): Promise<GatewayBenchRow> {
  const dir = mkdtempSync(join(tmpdir(), `mailflow-bench-${name.split(' ')[0]}-`));
  let server: Server | undefined;
  try {
    server = await start(dir);
    if (process.env.BENCH_DEBUG) console.error(`${name}: started on ${server.port}`);
    const load = (durationMs: number) => runLoad({
      host: '127.0.0.1', port: (server as Server).port, connections: GATEWAY_BENCH_CONNECTIONS, durationMs,
      from: `load@${LOAD_DOMAIN}`, to: 'user@bench.test', message,
    });
    const warm = await load(options.warmupMs);
    if (process.env.BENCH_DEBUG) console.error(`${name}: warm-up ${warm.accepted} accepted, ${warm.refused} refused, ${warm.errors} errors`);
    const result = await load(options.durationMs);
    if (process.env.BENCH_DEBUG) console.error(`${name}: measured ${result.accepted} accepted, ${result.errors} errors`);
    return {
      name, available: true,
      messagesPerSecond: result.accepted / (result.elapsedMs / 1000),
      p50Ms: percentile(result.latencies, 50), p99Ms: percentile(result.latencies, 99),
      peakRssMb: peakRssMb(server.child.pid), accepted: result.accepted, failed: result.refused + result.errors,
    };
  } catch (error) {
    return { name, available: false, note: (error as Error).message, messagesPerSecond: 0, p50Ms: 0, p99Ms: 0, peakRssMb: 0, accepted: 0, failed: 0 };
  } finally {
    if (server) await stopChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface GatewayBenchReport {
  rows: GatewayBenchRow[];
  vsFsyncSink: number;
  vsHaraka: number;
}

/** Runs the three servers one after another (each alone on the machine) under the same load. */
export async function runGatewayBench(options: { durationMs: number; warmupMs: number }): Promise<GatewayBenchReport> {
  const timing = { durationMs: Math.max(options.durationMs, 3_000), warmupMs: Math.max(options.warmupMs, 1_000) };
  const rows = [
    await measure('mailflow gateway (SQLite queue)', (dir) => startMailflow(dir), timing),
    await measure('smtp-server + fsync per file', startFsyncSink, timing),
    await measure('Haraka 3 (outbound disk queue)', startHaraka, timing),
  ];
  // The same gateway doing an MX's checks on every message (not part of the ratios: the peers check nothing).
  const world = await inboundAuthWorld();
  try {
    const extra = `inboundAuth: { enabled: true }\ndns: { servers: ['${world.dns.address}'] }\n`;
    rows.push(await measure('mailflow + inbound SPF/DKIM/DMARC', (dir) => startMailflow(dir, extra), timing, world.message));
  } finally {
    await world.dns.stop();
  }
  const [mailflow, sink, haraka] = rows as [GatewayBenchRow, GatewayBenchRow, GatewayBenchRow];
  const ratio = (other: GatewayBenchRow) => (other.available && other.messagesPerSecond > 0 ? mailflow.messagesPerSecond / other.messagesPerSecond : Number.NaN);
  return { rows, vsFsyncSink: ratio(sink), vsHaraka: ratio(haraka) };
}
