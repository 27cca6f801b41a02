// Outbound DKIM signing at the gateway (RFC 6376): mail our users and applications send (an authenticated
// submission account or a relay connector) is signed with the key of its header From domain before it is
// queued, so receivers can align DKIM with that domain for DMARC. Several keys for one domain (RSA and
// Ed25519, RFC 8463 §5 advises both during the transition) give several signatures. A message whose From has
// no key is queued unsigned, and the trace says why: signing is never a reason to refuse mail.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { splitMessage } from '../../core/message/split.js';
import { MIN_RSA_BITS, signDkim, toDomain, type DkimSigner } from '../../auth/dkim/index.js';
import type { IncomingMessage, MessageSink } from '../message-sink.js';
import { headerFromAddresses } from '../policy/header-from.js';
import type { TracedIncomingMessage } from '../queue/sink.js';
import type { TraceEventInput } from '../trace/types.js';

/** One signing key as configured: the domain it signs for, its selector and the private key file. */
export interface DkimSigningKeyConfig {
  domain: string;
  selector: string;
  /** PEM file (PKCS#8, PKCS#1 or SEC1), as `mailflow dkim keygen` writes it. */
  keyFile: string;
}

/** A key ready to sign with. */
export interface DkimSigningKey {
  domain: string;
  selector: string;
  privateKey: KeyObject;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  keyFile: string;
}

export class DkimSigningConfigError extends Error {
  constructor(
    readonly keyFile: string,
    message: string,
  ) {
    super(message);
    this.name = 'DkimSigningConfigError';
  }
}

/**
 * Reads and checks the configured keys (at start, so a bad key stops the gateway with a clear message rather
 * than leaving mail unsigned). `warn` is told about key files others can read.
 */
export function loadDkimSigningKeys(configs: readonly DkimSigningKeyConfig[], warn: (keyFile: string, message: string) => void = () => undefined): DkimSigningKey[] {
  return configs.map((config) => {
    const domain = toDomain(config.domain);
    if (domain === undefined) throw new DkimSigningConfigError(config.keyFile, `dkimSigning: '${config.domain}' is not a domain name`);
    const selector = toDomain(config.selector);
    if (selector === undefined) throw new DkimSigningConfigError(config.keyFile, `dkimSigning: '${config.selector}' is not a valid selector`);
    let pem: string;
    try {
      pem = readFileSync(config.keyFile, 'utf8');
    } catch (error) {
      throw new DkimSigningConfigError(config.keyFile, `dkimSigning: cannot read the key file ${config.keyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw new DkimSigningConfigError(config.keyFile, `dkimSigning: ${config.keyFile} holds no usable private key (${(error as Error).message})`);
    }
    let algorithm: DkimSigningKey['algorithm'];
    if (privateKey.asymmetricKeyType === 'ed25519') algorithm = 'ed25519-sha256';
    else if (privateKey.asymmetricKeyType === 'rsa') {
      const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) throw new DkimSigningConfigError(config.keyFile, `dkimSigning: the RSA key in ${config.keyFile} has ${bits} bits; at least ${MIN_RSA_BITS} are needed (RFC 8301)`);
      algorithm = 'rsa-sha256';
    } else {
      throw new DkimSigningConfigError(config.keyFile, `dkimSigning: ${config.keyFile} holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key; DKIM signs with RSA or Ed25519`);
    }
    if ((statSync(config.keyFile).mode & 0o077) !== 0) warn(config.keyFile, `the private key ${config.keyFile} can be read by other users; chmod 600 it`);
    return { domain, selector, privateKey, algorithm, keyFile: config.keyFile };
  });
}

/**
 * The keys that sign for a header From domain: those of the domain itself, else those of its closest parent
 * with keys (d= a parent of the From domain still aligns under DMARC's relaxed mode). Empty when none.
 */
export function keysForDomain(keys: readonly DkimSigningKey[], fromDomain: string): DkimSigningKey[] {
  let best: DkimSigningKey[] = [];
  let bestLength = -1;
  for (const key of keys) {
    if (fromDomain !== key.domain && !fromDomain.endsWith(`.${key.domain}`)) continue;
    if (key.domain.length > bestLength) {
      best = [key];
      bestLength = key.domain.length;
    } else if (key.domain.length === bestLength) best.push(key);
  }
  return best;
}

/** Whether a message is ours to sign: it came from a submission account or a relay connector. */
export function isOurOutgoingMail(message: IncomingMessage): boolean {
  return message.client.authUser !== undefined || message.client.connector !== undefined;
}

export interface DkimSigningSinkOptions {
  clock?: Clock;
  /** Told about failures that left a message unsigned (the message is queued all the same). */
  onError?: (error: unknown) => void;
}

/**
 * A MessageSink that DKIM-signs our outgoing mail, then hands it to `next`. Put it before the sink that adds
 * the Received field, so the signature sits below our trace field as it would at the originating MTA.
 */
export class DkimSigningSink implements MessageSink {
  private readonly clock: Clock;

  constructor(
    private readonly next: MessageSink,
    private readonly keys: readonly DkimSigningKey[],
    private readonly options: DkimSigningSinkOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async enqueue(message: TracedIncomingMessage): Promise<{ id: string }> {
    if (!isOurOutgoingMail(message) || this.keys.length === 0) return this.next.enqueue(message);
    const { data, event } = await this.sign(message.data);
    const signed: TracedIncomingMessage = { ...message, data, traceEvents: [...(message.traceEvents ?? []), event] };
    return this.next.enqueue(signed);
  }

  /** The message signed (or as it was), and the trace event saying which. */
  async sign(data: Buffer): Promise<{ data: Buffer; event: TraceEventInput }> {
    const skip = (reason: string): { data: Buffer; event: TraceEventInput } => ({ data, event: { kind: 'policy', data: { stage: 'dkim-sign', decision: 'unsigned', reason } } });
    const from = headerFromAddresses(splitMessage(data).headers);
    if (!from.ok) return skip(`header From not usable: ${from.detail}`);
    const domains = [...new Set(from.addresses.map((a) => a.domain.toLowerCase()))];
    if (domains.length !== 1) return skip(`header From has addresses in ${domains.length} domains`);
    const fromDomain = toDomain(domains[0] as string);
    if (fromDomain === undefined) return skip(`header From domain ${domains[0] ?? ''} is not a domain name`);
    const keys = keysForDomain(this.keys, fromDomain);
    if (keys.length === 0) return skip(`no signing key for ${fromDomain}`);
    const signers: DkimSigner[] = keys.map((k) => ({ domain: k.domain, selector: k.selector, privateKey: k.privateKey, algorithm: k.algorithm }));
    try {
      const signed = await signDkim(data, signers, { clock: this.clock });
      return {
        data: signed.message,
        event: { kind: 'policy', data: { stage: 'dkim-sign', decision: 'signed', domain: keys[0]?.domain ?? fromDomain, selectors: keys.map((k) => `${k.selector} (${k.algorithm})`) } },
      };
    } catch (error) {
      this.options.onError?.(error);
      return skip(`signing failed: ${(error as Error).message}`);
    }
  }
}
