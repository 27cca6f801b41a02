// `mailflow tls-policy DOMAIN`: what would happen when sending to DOMAIN, and why. Resolves MX, MTA-STS,
// TLSA and the local rules, prints per MX host the mechanism, what it requires and why the others did not
// apply; with --probe connects, does STARTTLS and checks the requirement (like posttls-finger).

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import pc from '../colors.js';
import { createHttpsFetcher } from '../../adapters/https/index.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { MemoryMtaStsCache } from '../../transport/mta-sts/cache.js';
import { normalizePolicyDomain } from '../../transport/mta-sts/resolve.js';
import { connectSmtpTls, type SmtpTlsOutcome } from '../../transport/tls-policy/connect.js';
import { parseTlsPolicyConfig } from '../../transport/tls-policy/config.js';
import { decideTlsPolicy } from '../../transport/tls-policy/select.js';
import { DEFAULT_TLS_POLICY_CONFIG, type TlsPolicyConfig, type TlsPolicyDecision } from '../../transport/tls-policy/types.js';
import { formatConfigError, parseConfig } from '../../config/load.js';
import { hostLookupVia } from '../../gateway/delivery/tls-policy.js';
import { buildContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../output.js';
import { printJson } from '../output.js';

interface TlsPolicyOptions {
  probe?: boolean;
  config?: string;
  caFile?: string;
  port?: string;
  helo?: string;
}

interface ProbeReport {
  address?: string;
  ok: boolean;
  requirementMet: boolean;
  tls?: { version: string; cipher: string; authenticated: boolean; authentication: string; certificate?: unknown };
  failure?: { stage: string; resultType?: string; detail: string; plaintextFallback: boolean };
  reported?: { resultType?: string; detail: string };
}

interface MxReport {
  host: string;
  preference: number;
  mechanism: TlsPolicyDecision['mechanism'];
  requirements: TlsPolicyDecision['requirements'];
  skipped: TlsPolicyDecision['skipped'];
  reportAs?: string;
  blocked?: TlsPolicyDecision['blocked'];
  policyFailures: TlsPolicyDecision['policyFailures'];
  probe?: ProbeReport;
}

/** Registers `tls-policy` on the program. */
export function registerTlsPolicyCommands(program: Command, io: CliIO): void {
  program
    .command('tls-policy')
    .description('show which TLS policy (mandatory, DANE, MTA-STS, forced, opportunistic) applies to each MX of a domain, and why')
    .argument('<domain>', 'the recipient domain')
    .option('--probe', 'connect to each MX, do STARTTLS and check the requirement', false)
    .option('--config <file>', 'the gateway config file (YAML, as `mailflow gateway --config`): its outboundTls section; or the older JSON { "tls": { defaultTls, minTlsVersion, mandatory } }')
    .option('--ca-file <pem>', 'extra trusted CAs (PEM) for WebPKI checks: MTA-STS policy hosts and MX certificates')
    .option('--port <n>', 'SMTP port for --probe (default 25)')
    .option('--helo <name>', 'EHLO name for --probe (default this host name)')
    .action(async (domainArg: string, options: TlsPolicyOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions & TlsPolicyOptions>();
      const domain = normalizePolicyDomain(domainArg);
      if (domain === undefined) throw new UsageError('bad-domain', `'${domainArg}' is not a domain name`);
      const port = parsePort(options.port);
      const { policy: config, extraCaFile } = readConfig(options.config);
      const extraCa = [options.caFile, extraCaFile].filter((f): f is string => f !== undefined).map((f) => readText(f, 'ca-unreadable'));
      const context = buildContext(globals);
      const resolver = context.resolver;
      const fetcher = createHttpsFetcher({ extraCa, lookup: hostLookupVia(resolver) });
      const deps = { resolver, fetcher, mtaStsCache: new MemoryMtaStsCache(), clock: context.clock };

      const mx = await resolver.resolve(domain, 'MX');
      if (mx.kind === 'error') {
        const report = { domain, error: `MX lookup failed: ${mx.error} (${mx.detail})`, mx: [] };
        if (context.json) printJson(io, report);
        else io.stdout(`${pc.bold(domain)}\n  ${pc.yellow(report.error)}\n`);
        return;
      }
      const hosts = mx.kind === 'records' ? [...mx.records].sort((a, b) => a.data.preference - b.data.preference).map((r) => ({ host: r.data.exchange, preference: r.data.preference })) : [{ host: domain, preference: 0 }];
      const mxSecure = mx.secure;
      if (hosts.length === 1 && hosts[0]?.host === '') {
        const report = { domain, nullMx: true, mx: [] };
        if (context.json) printJson(io, report);
        else io.stdout(`${pc.bold(domain)}\n  null MX (RFC 7505): the domain accepts no mail\n`);
        return;
      }
      const reports: MxReport[] = [];
      for (const { host, preference } of hosts) {
        const decision = await decideTlsPolicy(domain, host, config, deps, { mxSecure: mxSecure && (mx.kind === 'records' || host === domain) });
        const report: MxReport = {
          host,
          preference,
          mechanism: decision.mechanism,
          requirements: decision.requirements,
          skipped: decision.skipped,
          ...(decision.reportAs ? { reportAs: decision.reportAs } : {}),
          ...(decision.blocked ? { blocked: decision.blocked } : {}),
          policyFailures: decision.policyFailures,
        };
        if (options.probe && decision.blocked === undefined) report.probe = await probe(decision, resolver, { port, extraCa, helo: options.helo ?? hostname(), clock: context.clock });
        reports.push(report);
      }
      if (context.json) printJson(io, { domain, mxSecure, config: { defaultTls: config.defaultTls, minTlsVersion: config.minTlsVersion, mandatoryRules: config.mandatory.length }, mx: reports });
      else io.stdout(render(domain, mxSecure, reports));
    });
}

async function probe(decision: TlsPolicyDecision, resolver: DnsResolver, options: { port: number; extraCa: string[]; helo: string; clock: { now(): number } }): Promise<ProbeReport> {
  let address: string;
  try {
    address = (await hostLookupVia(resolver)(decision.mxHost)).address;
  } catch (error) {
    return { ok: false, requirementMet: false, failure: { stage: 'connect', detail: (error as Error).message, plaintextFallback: false } };
  }
  const outcome: SmtpTlsOutcome = await connectSmtpTls(decision, { host: address, port: options.port, heloName: options.helo, extraCa: options.extraCa, clock: options.clock, replyTimeoutMs: 30_000 });
  if (!outcome.ok) {
    const { stage, resultType, detail, plaintextFallback } = outcome.failure;
    return { address, ok: false, requirementMet: false, failure: { stage, ...(resultType ? { resultType } : {}), detail, plaintextFallback } };
  }
  const { connection, reportFailure } = outcome;
  await connection.close();
  const tls = connection.tls;
  return {
    address,
    ok: true,
    requirementMet: reportFailure === undefined,
    ...(tls ? { tls: { version: tls.version, cipher: tls.cipher, authenticated: tls.authenticated, authentication: tls.authentication, ...(tls.peer ? { certificate: tls.peer } : {}) } } : {}),
    ...(reportFailure ? { reported: { ...(reportFailure.resultType ? { resultType: reportFailure.resultType } : {}), detail: reportFailure.detail } } : {}),
  };
}

function render(domain: string, mxSecure: boolean, reports: MxReport[]): string {
  const lines = [`${pc.bold(domain)}  (MX ${mxSecure ? pc.green('DNSSEC-validated') : 'not DNSSEC-validated'})`];
  for (const r of reports) {
    const q = r.requirements;
    lines.push(`  ${pc.bold(r.host)} (preference ${r.preference}): ${pc.cyan(r.mechanism)}${r.blocked ? pc.red(`  NOT USED: ${r.blocked.resultType}: ${r.blocked.detail}`) : ''}`);
    const auth = q.authenticate === 'dane' ? `DANE (${q.tlsa?.length ?? 0} TLSA records, names ${q.names.join(', ')})`
      : q.authenticate === 'webpki' ? `WebPKI, name ${q.names.join(' or ')}${q.caFile ? `, CA file ${q.caFile}` : ''}`
      : q.authenticate === 'pinned' ? `pinned fingerprints ${q.fingerprints?.join(', ')}` : 'none';
    lines.push(`    requires: TLS ${q.tls}, minimum ${q.minVersion}, authentication ${auth}${q.sts ? `; MTA-STS mode ${q.sts.mode}, id ${q.sts.id}` : ''}`);
    for (const s of r.skipped) lines.push(`    not ${s.mechanism}: ${s.reason}: ${s.detail}`);
    for (const f of r.policyFailures) lines.push(`    ${pc.yellow('reported')} ${f.resultType}: ${f.detail}`);
    if (r.probe) {
      const p = r.probe;
      if (!p.ok) lines.push(`    probe ${p.address ?? ''}: ${pc.red('FAILED')} at ${p.failure?.stage}${p.failure?.resultType ? ` (${p.failure.resultType})` : ''}: ${p.failure?.detail}${p.failure?.plaintextFallback ? ' — plaintext retry allowed' : ''}`);
      else {
        const cert = p.tls?.certificate as { subject?: string; dnsNames?: string[]; validTo?: string; issuer?: string } | undefined;
        lines.push(`    probe ${p.address}: ${p.tls ? `${p.tls.version} ${p.tls.cipher}` : pc.yellow('plaintext (no STARTTLS)')} — requirement ${p.requirementMet ? pc.green('met') : pc.red('NOT met')}${p.tls ? `: ${p.tls.authentication}` : ''}`);
        if (cert) lines.push(`    certificate: ${cert.subject} [${(cert.dnsNames ?? []).join(', ')}] issued by ${cert.issuer}, valid to ${cert.validTo}`);
        if (p.reported) lines.push(`    ${pc.yellow('reported')} ${p.reported.resultType ?? ''}: ${p.reported.detail}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 25;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError('bad-port', `--port takes 1–65535, got '${value}'`);
  return n;
}

function readText(path: string, code: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(code, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * The TLS policy from --config: the gateway's YAML config file (its `outboundTls` section, validated by the
 * same schema as `mailflow gateway`), or the older JSON form `{ "tls": { defaultTls, minTlsVersion, mandatory } }`.
 */
function readConfig(path: string | undefined): { policy: TlsPolicyConfig; extraCaFile?: string } {
  if (path === undefined) return { policy: { ...DEFAULT_TLS_POLICY_CONFIG, mandatory: [] } };
  const text = readText(path, 'config-unreadable');
  const legacy = legacyTlsSection(text);
  if (legacy !== undefined) {
    const parsed = parseTlsPolicyConfig(legacy);
    if (!parsed.ok) throw new UsageError('config-invalid', `${path}: tls.${parsed.error.path}: ${parsed.error.message}`);
    return { policy: parsed.value };
  }
  const result = parseConfig(text);
  if (!result.ok) throw new UsageError('config-invalid', result.errors.map((e) => formatConfigError(e, path)).join('\n'));
  const o = result.config.outboundTls;
  const parsed = parseTlsPolicyConfig({ defaultTls: o.defaultTls, minTlsVersion: o.minTlsVersion, mandatory: o.mandatory });
  if (!parsed.ok) throw new UsageError('config-invalid', `${path}: outboundTls.${parsed.error.path}: ${parsed.error.message}`);
  return { policy: parsed.value, ...(o.extraCaFile !== undefined ? { extraCaFile: o.extraCaFile } : {}) };
}

/** The `tls` object of the older JSON form, or undefined when the text is not that form (then it is the gateway config). */
function legacyTlsSection(text: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data) || 'outboundTls' in data) return undefined;
  const tls = (data as { tls?: unknown }).tls;
  if (tls === null || typeof tls !== 'object') return undefined;
  // The gateway's own `tls` is the listener certificate (certFile, keyFile, clientCaFile): not a policy.
  return ['defaultTls', 'minTlsVersion', 'mandatory'].some((k) => k in tls) || Object.keys(tls).length === 0 ? tls : undefined;
}
