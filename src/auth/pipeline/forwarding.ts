// What forwarding does to authentication, made visible: a message from an origin domain, relayed by a
// forwarder, checked by a final receiver, in four variants — plain forward, with SRS, with ARC sealing (and
// a receiver that trusts the sealer), with both. Everything is simulated over a zone built here (the
// origin's SPF, DKIM key and DMARC record, the forwarder's SPF and ARC key): deterministic, no network.
//
//   origin (originIp) ──▶ forwarder (forwarderIp) ──▶ receiver
//   SPF at the receiver sees forwarderIp: not in the origin's SPF → fail, unless SRS puts the forwarder's
//   domain in MAIL FROM (SPF pass, but unaligned with From). DKIM survives unless the forwarder modifies
//   the message (`modifies`: a list-style subject tag and footer). ARC carries the forwarder's view.

import { generateDkimKey } from '../dkim/index.js';
import { signDkim } from '../dkim/index.js';
import { sealArc } from '../arc/index.js';
import { createSrs } from '../srs/index.js';
import { extractFromDomain, type DmarcPolicy } from '../dmarc/index.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { normalizeLineEndings } from '../../core/message/line-endings.js';
import { splitMessage } from '../../core/message/split.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { verifyMessage } from './verify.js';
import { VerifyOptionsError, type VerifyResult } from './types.js';

export const DEFAULT_ORIGIN_IP = '192.0.2.25';
export const DEFAULT_FORWARDER_IP = '198.51.100.25';
/** The simulation's SRS secret: any fixed value gives the same verdicts. */
const SRS_SECRET = 'mailflow-explain-forwarding';

export interface ForwardingScenario {
  /** The message as the origin sends it (LF or CRLF). Existing signatures, ARC sets and A-R fields are removed. */
  message: Buffer;
  /** The forwarding domain (e.g. a mailing list or alias service). */
  forwarder: string;
  /** The final receiver's domain; default `receiver.example`. */
  receiver?: string;
  /** The MAIL FROM at the origin; default the From address. */
  sender?: string;
  originIp?: string;
  forwarderIp?: string;
  /** The forwarder changes the message as mailing lists do (subject tag, body footer): DKIM breaks. */
  modifies?: boolean;
  /** The origin signs with DKIM (d= its From domain); default true. */
  originSigns?: boolean;
  /** The origin's DMARC policy; default reject. */
  originPolicy?: DmarcPolicy;
  clock?: Clock;
}

export type ForwardingVariantName = 'plain' | 'srs' | 'arc' | 'srs+arc';

export interface ForwardingVariant {
  name: ForwardingVariantName;
  srs: boolean;
  arc: boolean;
  /** The MAIL FROM the forwarder uses. */
  mailFrom: string;
  /** What the receiver concludes. */
  result: VerifyResult;
}

export interface ForwardingExplanation {
  origin: string;
  forwarder: string;
  receiver: string;
  originIp: string;
  forwarderIp: string;
  sender: string;
  modifies: boolean;
  /** The simulated DNS. */
  zone: ZoneData;
  /** What the forwarder saw when the origin delivered to it (recorded in its ARC-Authentication-Results). */
  atForwarder: VerifyResult;
  variants: ForwardingVariant[];
}

/**
 * Simulates the four forwarding variants for a message and returns what the final receiver's pipeline
 * concludes in each. Throws VerifyOptionsError (`bad-scenario`) when the message has no usable From domain
 * or a domain option is not a domain name.
 */
export async function explainForwarding(scenario: ForwardingScenario): Promise<ForwardingExplanation> {
  const clock = scenario.clock ?? systemClock;
  const original = stripAuthentication(normalizeLineEndings(scenario.message));
  const fromValues = splitMessage(original).headers.filter((h) => h.lowerName === 'from').map((h) => h.raw.toString('utf8').replace(/^[^:]*:/, ''));
  const from = extractFromDomain(fromValues);
  if (!from.ok || from.domains.length !== 1) throw new VerifyOptionsError('bad-scenario', `the message needs one From address with a domain: ${from.ok ? `${from.domains.length} domains` : from.error.message}`);
  const origin = from.domains[0]!;
  const forwarder = domainOption('forwarder', scenario.forwarder);
  const receiver = domainOption('receiver', scenario.receiver ?? 'receiver.example');
  const first = from.addresses[0]!;
  const sender = scenario.sender ?? `${first.localPart.replace(/^"|"$/g, '')}@${first.domain}`;
  const senderDomain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase();
  const originIp = scenario.originIp ?? DEFAULT_ORIGIN_IP;
  const forwarderIp = scenario.forwarderIp ?? DEFAULT_FORWARDER_IP;
  const modifies = scenario.modifies === true;

  const originKey = generateDkimKey({ type: 'ed25519', domain: origin, selector: 'sim' });
  const arcKey = generateDkimKey({ type: 'ed25519', domain: forwarder, selector: 'arc' });
  const zone: ZoneData = {};
  const add = (name: string, entry: ZoneData[string][number]): void => void (zone[name] ??= []).push(entry);
  add(origin, { TXT: `v=spf1 ip4:${originIp} -all` });
  if (senderDomain !== origin && senderDomain !== '') add(senderDomain, { TXT: `v=spf1 ip4:${originIp} -all` });
  add(`_dmarc.${origin}`, { TXT: `v=DMARC1; p=${scenario.originPolicy ?? 'reject'}` });
  add(originKey.dnsName, { TXT: originKey.txtStrings });
  add(`mail.${origin}`, { A: originIp });
  add(forwarder, { TXT: `v=spf1 ip4:${forwarderIp} -all` });
  add(arcKey.dnsName, { TXT: arcKey.txtStrings });
  add(`mx.${forwarder}`, { A: forwarderIp });
  const resolver = new ZoneResolver(zone);

  const sent = scenario.originSigns === false ? original : (await signDkim(original, [{ domain: origin, selector: 'sim', privateKey: originKey.privateKeyPem }], { clock })).message;
  const forwarderId = `mx.${forwarder}`;
  const atForwarder = await verifyMessage(sent, { ip: originIp, helo: `mail.${origin}`, mailFrom: sender, resolver, clock, authservId: forwarderId });
  const received = `Received: from mail.${origin} (mail.${origin} [${originIp}]) by ${forwarderId} with ESMTPS; ${new Date(clock.now()).toUTCString()}`;
  let relayed: Buffer = Buffer.concat([Buffer.from(`${atForwarder.authenticationResults}\r\n${received}\r\n`), sent]);
  if (modifies) relayed = modify(relayed, forwarder);

  const srs = createSrs({ clock, secrets: [SRS_SECRET], domain: forwarder });
  const rewritten = srs.forward(sender);
  const srsSender = rewritten.ok ? rewritten.address : sender;
  const variants: ForwardingVariant[] = [];
  for (const [name, useSrs, useArc] of [['plain', false, false], ['srs', true, false], ['arc', false, true], ['srs+arc', true, true]] as const) {
    let message: Buffer = relayed;
    if (useArc) {
      const sealed = await sealArc(relayed, { domain: forwarder, selector: 'arc', privateKey: arcKey.privateKeyPem, authservId: forwarderId, chain: atForwarder.arc, clock });
      message = sealed.message;
    }
    const mailFrom = useSrs ? srsSender : sender;
    const result = await verifyMessage(message, {
      ip: forwarderIp,
      helo: `mx.${forwarder}`,
      mailFrom,
      resolver,
      clock,
      authservId: `mx.${receiver}`,
      trustedArcSealers: useArc ? [forwarder] : [],
    });
    variants.push({ name, srs: useSrs, arc: useArc, mailFrom, result });
  }
  return { origin, forwarder, receiver, originIp, forwarderIp, sender, modifies, zone, atForwarder, variants };
}

const AUTH_FIELDS = new Set(['dkim-signature', 'arc-seal', 'arc-message-signature', 'arc-authentication-results', 'authentication-results']);

/** The message without signatures, ARC sets or Authentication-Results: the simulation signs afresh. */
function stripAuthentication(message: Buffer): Buffer {
  const split = splitMessage(message);
  const kept = split.headers.filter((h) => !AUTH_FIELDS.has(h.lowerName)).map((h) => Buffer.concat([h.raw, Buffer.from('\r\n')]));
  return Buffer.concat([...kept, Buffer.from('\r\n'), split.body]);
}

/** What a mailing list does: tag the Subject and append a footer. */
function modify(message: Buffer, forwarder: string): Buffer {
  const split = splitMessage(message);
  const tag = `[${forwarder.split('.')[0]}] `;
  let tagged = false;
  const headers = split.headers.map((h) => {
    if (h.lowerName === 'subject' && !tagged) {
      tagged = true;
      return Buffer.from(h.raw.toString('latin1').replace(/^([^:]*:\s?)/, `$1${tag}`), 'latin1');
    }
    return h.raw;
  });
  const footer = Buffer.from(`\r\n--\r\nSent through ${forwarder}\r\n`);
  return Buffer.concat([...headers.map((h) => Buffer.concat([h, Buffer.from('\r\n')])), Buffer.from('\r\n'), split.body, footer]);
}

function domainOption(what: string, value: string): string {
  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(domain)) {
    throw new VerifyOptionsError('bad-scenario', `--${what} '${value}' is not a domain name`);
  }
  return domain;
}
