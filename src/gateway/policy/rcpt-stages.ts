// Stages at RCPT TO. Relaying is denied unless a rule allows it: a recipient in one of our accepted domains is
// accepted (direct send, inbound mail), any other recipient only for an authenticated account or a matched
// connector; when no stage accepts, the fallback is 554 5.7.1 relay access denied.

import { accept, CONTINUE, reject, type Decision, type PolicyStage } from './decision.js';
import type { AcceptedDomains } from './domains.js';
import type { RcptInput } from './types.js';

/** The fallback at RCPT when no stage accepted. */
export const RELAY_DENIED: Decision = Object.freeze(reject(554, '5.7.1', 'Relay access denied', 'relay-denied'));

// Characters that some later hop may read as routing: the percent hack (user%host@relay), UUCP bang paths
// (host!user@relay), and an "@" or ":" hidden in a quoted local part.
const ROUTING = /[%!@:]/;

/** 550 5.1.3 for a local part with routing characters, whoever sends (a mailbox server may honour them). */
export const routingCharactersStage: PolicyStage<RcptInput> = {
  name: 'routing-characters',
  run: ({ recipient }) =>
    ROUTING.test(recipient.localUnquoted)
      ? reject(550, '5.1.3', 'Routing characters (% ! @ :) in the local part are not accepted', 'routing-characters')
      : CONTINUE,
};

/** Accepts recipients in our domains (550 5.1.1 for unknown mailboxes when the domain lists them). */
export function acceptedDomainStage(domains: AcceptedDomains): PolicyStage<RcptInput> {
  return {
    name: 'accepted-domain',
    run: ({ recipient }) => {
      if (recipient.isLiteral || !domains.has(recipient.domainAscii)) return CONTINUE;
      if (!domains.mailboxExists(recipient.localUnquoted, recipient.domainAscii)) {
        return reject(550, '5.1.1', 'No such user here', 'unknown-mailbox');
      }
      return accept('accepted-domain');
    },
  };
}

/** Accepts any other recipient for an authenticated account or a matched connector. */
export const relayRightsStage: PolicyStage<RcptInput> = {
  name: 'relay-rights',
  run: ({ session }) => {
    if (session.account) return accept('authenticated-account');
    if (session.connector) return accept('connector');
    return CONTINUE;
  },
};
