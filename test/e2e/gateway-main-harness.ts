// Runs the real `mailflow gateway` process for the whole-gateway tests: spawns the CLI from source with a
// config whose listeners use port 0, reads its JSON-lines log to learn the bound ports and the generated
// password, and stops it with a signal. Everything binds 127.0.0.1; every process is killed in `after`.

import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts')];

export interface LogLine {
  event: string;
  level: string;
  [field: string]: unknown;
}

export class GatewayProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { event: 'non-json', level: 'info', text };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Spawns `mailflow gateway --data-dir DIR [--config FILE]` and waits for its `ready` line. */
  static async start(dataDir: string, configFile?: string, timeoutMs = 20_000): Promise<GatewayProcess> {
    const args = [...CLI, 'gateway', '--data-dir', dataDir, ...(configFile ? ['--config', configFile] : [])];
    const gw = new GatewayProcess(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAILFLOW_DNS: '127.0.0.1:9' } }));
    await gw.waitFor((l) => l.event === 'ready', timeoutMs);
    return gw;
  }

  /** Resolves with the first log line (already seen or to come) that matches; rejects on timeout or exit. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; stderr: ${this.stderr}; log: ${this.lines.map((l) => l.event).join(',')}`)), timeoutMs);
      void this.exited.then(({ code }) => reject(new Error(`gateway exited (${code}) before the log line; stderr: ${this.stderr}`)));
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** The bound port of the listener named `name` (its role by default). */
  port(name: string): number {
    const line = this.lines.find((l) => l.event === 'listening' && l.name === name);
    if (!line) throw new Error(`no listener ${name}`);
    return line.port as number;
  }

  get password(): string {
    return this.lines.find((l) => l.event === 'account-password')?.password as string;
  }

  get firstMessage(): string {
    return this.lines.find((l) => l.event === 'ready')?.firstMessage as string;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Writes a YAML config (port-0 listeners unless given) and returns its path. */
export function writeConfig(dir: string, yaml: string, name = 'gateway.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

export const LOOPBACK_LISTENERS = `listeners:
  - { role: inbound, host: 127.0.0.1, port: 0 }
  - { role: submission, host: 127.0.0.1, port: 0 }
`;

/** The messages in a Maildir's new/ and cur/, as text. */
export function maildirMessages(dataDir: string, address: string): string[] {
  const base = join(dataDir, 'mailboxes', address);
  // The delivery may be creating the Maildir right now (tmp/ first, then new/ and cur/): a missing folder is empty.
  return ['new', 'cur']
    .filter((sub) => existsSync(join(base, sub)))
    .flatMap((sub) => readdirSync(join(base, sub)).map((f) => readFileSync(join(base, sub, f), 'latin1')));
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A temporary work directory and a list for the gateway processes a test file starts: after the file's tests,
 * every process still running is killed and the directory removed.
 */
export function gatewayTestScope(prefix: string): { work: string; running: GatewayProcess[] } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const running: GatewayProcess[] = [];
  after(async () => {
    await Promise.all(running.map((g) => g.stop('SIGKILL')));
    rmSync(work, { recursive: true, force: true });
  });
  return { work, running };
}
