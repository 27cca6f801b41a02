// Stages at the end of the message: loop detection, the header From an account or connector may use, and the
// direct-send switch that refuses unauthenticated mail claiming to be from one of our domains.

import type { DirectSendConfig } from '../config-types.js';
import { fieldValue } from '../../core/message/headers.js';
import { CONTINUE, reject, type PolicyStage } from './decision.js';
import type { AcceptedDomains } from './domains.js';
import { countReceived, headerFromAddresses } from './header-from.js';
import type { DataInput } from './types.js';

/** 554 5.4.6 when the message has more Received fields than `max` (RFC 5321 §6.3). */
export function hopCountStage(max: number): PolicyStage<DataInput> {
  return {
    name: 'hop-count',
    run: ({ headers }) => (countReceived(headers) > max ? reject(554, '5.4.6', 'Too many Received header fields: mail loop', 'too-many-hops') : CONTINUE),
  };
}

/**
 * For an account (or a connector with `fromAddresses`): the header From must be exactly one field whose every
 * address the login may use (550 5.7.1). A missing or unparsable From is refused too: what we cannot read we
 * cannot authorise.
 */
export const headerFromAllowedStage: PolicyStage<DataInput> = {
  name: 'header-from-allowed',
  run: ({ session, headers }) => {
    const matcher = session.account?.mayUse ?? session.connector?.mayUse;
    if (!matcher) return CONTINUE;
    const from = headerFromAddresses(headers);
    if (!from.ok) return reject(550, '5.7.1', `Header From not usable (${from.detail})`, 'header-from-unparsable');
    for (const address of from.addresses) {
      if (!matcher(address)) return reject(550, '5.7.1', `Header From <${address.local}@${address.domain}> not allowed for this login`, 'header-from-not-owned');
    }
    return CONTINUE;
  },
};

/**
 * With `directSend.rejectOwnDomainFrom`: unauthenticated mail whose header From is in one of our domains is
 * refused (550 5.7.1). When the From cannot be parsed, any "@our-domain" in it counts (fail closed).
 */
export function ownDomainFromStage(domains: AcceptedDomains, directSend: DirectSendConfig): PolicyStage<DataInput> {
  const refuse = () => reject(550, '5.7.1', 'Unauthenticated mail from our own domain is not accepted', 'own-domain-from');
  return {
    name: 'own-domain-from',
    run: ({ session, headers }) => {
      if (!directSend.rejectOwnDomainFrom || session.account || session.connector) return CONTINUE;
      const from = headerFromAddresses(headers);
      if (from.ok) return from.addresses.some((a) => domains.has(a.domain)) ? refuse() : CONTINUE;
      const text = headers
        .filter((h) => h.lowerName === 'from')
        .map((h) => fieldValue(h).toString('utf8').toLowerCase())
        .join(' ');
      return domains.list().some((d) => new RegExp(`@\\s*${d.replace(/\./g, '\\.')}(?![a-z0-9.-])`).test(text)) ? refuse() : CONTINUE;
    },
  };
}
