// Turns the global options (--dns, --zone, --now, --timeout) into the ports the library needs.
// This is the one place where the CLI wires real adapters to the pure cores.

import { readFileSync } from 'node:fs';
import type { DnsResolver } from '../core/dns/types.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { createResolver, resolveServerList } from '../adapters/dns/index.js';
import { ZoneResolver } from '../testing/zone-resolver.js';
import type { ZoneData } from '../testing/zone.js';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  dns: string[];
  json: boolean;
  now?: string;
  zone?: string;
  timeout?: string;
}

export interface CliContext {
  resolver: DnsResolver;
  clock: Clock;
  json: boolean;
  /** Human description of where DNS answers come from, for verbose output. */
  dnsSource: string;
}

/** Builds the resolver and clock from global options; throws UsageError on bad values. */
export function buildContext(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  const clock = parseNow(globals.now);
  if (globals.zone !== undefined) {
    return { resolver: new ZoneResolver(readZoneFile(globals.zone)), clock, json: globals.json, dnsSource: `zone file ${globals.zone}` };
  }
  const timeoutMs = parseTimeout(globals.timeout);
  let servers: string[];
  try {
    servers = resolveServerList({ flags: globals.dns, env: env.MAILFLOW_DNS });
  } catch (error) {
    throw new UsageError('bad-dns-server', (error as Error).message);
  }
  const resolver = createResolver({ servers, clock, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return { resolver, clock, json: globals.json, dnsSource: `DNS ${servers.join(', ')}` };
}

function parseNow(value: string | undefined): Clock {
  if (value === undefined) return systemClock;
  if (!/^\d{1,12}$/.test(value)) throw new UsageError('bad-now', `--now takes Unix seconds, got '${value}'`);
  const ms = Number(value) * 1000;
  return { now: () => ms };
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1 || ms > 60_000) {
    throw new UsageError('bad-timeout', `--timeout takes milliseconds between 1 and 60000, got '${value}'`);
  }
  return ms;
}

/** Reads a zone file (JSON in the ZoneData format of src/testing/zone.ts). */
export function readZoneFile(path: string): ZoneData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('zone-unreadable', `cannot read zone file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError('zone-invalid', `zone file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError('zone-invalid', `zone file ${path} must hold an object of owner names to record lists`);
  }
  for (const [name, entries] of Object.entries(data)) {
    if (!Array.isArray(entries)) throw new UsageError('zone-invalid', `zone file ${path}: '${name}' must map to a list of records`);
  }
  return data as ZoneData;
}
