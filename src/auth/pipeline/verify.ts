// The message verification pipeline: SPF, DKIM, ARC and DMARC once each over one shared DNS cache, then the
// local policies (trusted upstream hops for SPF, trusted ARC sealers for the disposition), then the
// Authentication-Results header. SPF, DKIM, ARC and the DMARC record lookup run concurrently; DMARC
// evaluation waits for SPF and DKIM, whose results it needs (RFC 9989 §5.3).

import { systemClock } from '../../core/clock.js';
import { CachingResolver } from '../../core/dns/cache.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { fieldValue } from '../../core/message/headers.js';
import { splitMessage } from '../../core/message/split.js';
import { verifyArc } from '../arc/index.js';
import { verifyDkim, type DkimVerifyResult } from '../dkim/index.js';
import { evaluateDmarc, extractFromDomain, type DmarcDkimInput, type DmarcResult } from '../dmarc/index.js';
import { checkSpf, type SpfResult } from '../spf/index.js';
import { evaluateTrustedArc, normalizeSealers } from './arc-policy.js';
import { buildAuthenticationResults } from './header.js';
import { chooseSpfHop, compileTrustedNetworks, type TrustedNetworks } from './hops.js';
import { VerifyOptionsError, type ArcPolicyDecision, type Disposition, type SpfHop, type SpfVerdict, type VerifyMessageOptions, type VerifyResult } from './types.js';

/** Received fields read for the trusted-hop walk, topmost first; a flood below them is never looked at. */
export const MAX_RECEIVED_FIELDS = 100;

/** A compiled policy: the trusted lists parsed once. */
interface Compiled {
  hops: TrustedNetworks | undefined;
  sealers: ReadonlySet<string>;
}

/**
 * Verifies a message as a receiving border does: SPF (against the SMTP client, or against the first
 * untrusted hop when `trustedHops` are set), every DKIM signature, the ARC chain, DMARC, and the
 * trusted-sealer policy. Returns every verdict, the disposition with its reason, and the
 * Authentication-Results field to add. Never throws for message or DNS problems (a DNS failure a verdict
 * depends on is temperror, never pass); throws VerifyOptionsError for unusable options.
 */
export async function verifyMessage(message: Buffer, options: VerifyMessageOptions): Promise<VerifyResult> {
  const compiled = compile(options);
  const clock = options.clock ?? systemClock;
  const resolver: DnsResolver = options.resolver instanceof CachingResolver ? options.resolver : new CachingResolver(options.resolver, { clock });
  const keyCache = options.keyCache === undefined ? {} : { keyCache: options.keyCache };

  const { headers } = splitMessage(message);
  const from: string[] = [];
  const received: string[] = [];
  for (const field of headers) {
    if (field.lowerName === 'from') from.push(fieldValue(field).toString('utf8'));
    else if (field.lowerName === 'received' && received.length < MAX_RECEIVED_FIELDS) received.push(fieldValue(field).toString('latin1'));
  }

  const hop = chooseSpfHop({ ip: options.ip, helo: options.helo }, received, compiled.hops);
  const [spf, dkim, arc] = await Promise.all([
    runSpf(hop, options, resolver),
    verifyDkim(message, { resolver, clock, ...keyCache }),
    verifyArc(message, { resolver, ...keyCache }),
    prefetchDmarc(from, resolver),
  ]);

  const dmarc = await evaluateDmarc(
    { from, spf: { result: spf.result, domain: spf.domain, identity: spf.identity }, dkim: dkimInputs(dkim), arc: { result: arc.cv } },
    {
      resolver,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.psl === undefined ? {} : { psl: options.psl }),
      ...(options.random === undefined ? {} : { random: options.random }),
    },
  );
  const policy = evaluateTrustedArc(arc, dmarc, compiled.sealers);
  const arcVerdict = { ...arc, policy };
  const verdicts = { spf, dkim, arc: arcVerdict, dmarc };
  return {
    ...verdicts,
    disposition: dispositionOf(dmarc, policy),
    authenticationResults: buildAuthenticationResults({ authservId: options.authservId, ip: options.ip, ...verdicts }),
  };
}

function compile(options: VerifyMessageOptions): Compiled {
  if (typeof options.authservId !== 'string' || options.authservId.trim() === '' || /[\u0000-\u001f\u007f]/.test(options.authservId)) {
    throw new VerifyOptionsError('bad-authserv-id', 'authservId must be a non-empty name without control characters (RFC 8601 §2.5)');
  }
  const hops = options.trustedHops === undefined || options.trustedHops.length === 0 ? undefined : compileTrustedNetworks(options.trustedHops);
  return { hops, sealers: normalizeSealers(options.trustedArcSealers ?? []) };
}

async function runSpf(hop: SpfHop, options: VerifyMessageOptions, resolver: DnsResolver): Promise<SpfVerdict> {
  if (hop.ip === '') return { ...noHopResult(options.mailFrom, hop), hop };
  const result = await checkSpf(
    { ip: hop.ip, helo: hop.helo, sender: options.mailFrom, receiver: options.authservId },
    { resolver, ...(options.clock === undefined ? {} : { clock: options.clock }) },
  );
  return { ...result, hop };
}

/** No hop to check (the trusted-hop walk could not choose one): permerror, never a pass. */
function noHopResult(mailFrom: string, hop: SpfHop): SpfResult {
  const sender = mailFrom.replace(/^<|>$/g, '').trim();
  const at = sender.lastIndexOf('@');
  return {
    result: 'permerror',
    reason: 'invalid-ip',
    detail: `no client IP to check: ${hop.detail}`,
    identity: 'mailfrom',
    domain: at >= 0 ? sender.slice(at + 1) : sender,
    sender,
    lookups: 0,
    voidLookups: 0,
    trail: [],
  };
}

function dkimInputs(dkim: DkimVerifyResult): DmarcDkimInput[] {
  return dkim.signatures.map((s) => {
    const input: DmarcDkimInput = { result: s.result, domain: s.domain, selector: s.selector };
    if (s.unsignedBodyOctets !== undefined && s.unsignedBodyOctets > 0) input.underSized = s.unsignedBodyOctets;
    return input;
  });
}

/**
 * Starts the Author Domain's `_dmarc` lookup while SPF, DKIM and ARC run: the answer lands in the shared
 * cache and DMARC discovery finds it there. Only the first query of the RFC 9989 tree walk (and of RFC 7489
 * discovery) is known before SPF and DKIM finish.
 */
async function prefetchDmarc(from: readonly string[], resolver: DnsResolver): Promise<void> {
  if (from.length !== 1) return;
  const extracted = extractFromDomain(from);
  if (!extracted.ok || extracted.domains.length !== 1) return;
  await resolver.resolve(`_dmarc.${extracted.domains[0]!}`, 'TXT');
}

function dispositionOf(dmarc: DmarcResult, policy: ArcPolicyDecision): Disposition {
  switch (dmarc.result) {
    case 'pass':
      return { action: 'none', reason: 'dmarc-pass', detail: dmarc.detail };
    case 'fail':
      if (policy.applied) return { action: 'none', reason: 'arc-trusted-forwarder', detail: policy.detail, overridden: dmarc.disposition };
      return { action: dmarc.disposition, reason: 'dmarc-fail', detail: dmarc.detail };
    case 'none':
      return { action: 'none', reason: 'dmarc-none', detail: dmarc.detail };
    case 'temperror':
      return { action: 'none', reason: 'dmarc-temperror', detail: `${dmarc.detail}: the policy could not be learned; the receiver chooses to defer (4xx) or accept`, temporary: true };
    case 'permerror':
      return { action: 'none', reason: 'dmarc-permerror', detail: dmarc.detail };
  }
}
