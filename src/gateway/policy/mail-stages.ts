// Stages at MAIL FROM: TLS and authentication requirements of the listener, the sender an account or connector
// may use, and the per-account rate limit.

import type { DirectSendConfig } from '../config-types.js';
import { CONTINUE, reject, tempfail, type PolicyStage } from './decision.js';
import type { AccountRateLimiter } from './rate-limit.js';
import type { MailInput } from './types.js';

/** 530 5.7.0 before STARTTLS on a listener that requires TLS (RFC 3207 §4). */
export const requireTlsStage: PolicyStage<MailInput> = {
  name: 'require-tls',
  run: ({ session }) => (session.listener.requireTls && !session.tls ? reject(530, '5.7.0', 'Must issue a STARTTLS command first', 'tls-required') : CONTINUE),
};

/**
 * 530 5.7.0 for a client that neither authenticated nor matched a connector, on a listener that requires it
 * (submission), or anywhere when direct send is turned off.
 */
export function requireAuthStage(directSend: DirectSendConfig): PolicyStage<MailInput> {
  return {
    name: 'require-auth',
    run: ({ session }) => {
      if (session.account || session.connector) return CONTINUE;
      if (session.listener.requireAuth || !directSend.enabled) return reject(530, '5.7.0', 'Authentication required', 'auth-required');
      return CONTINUE;
    },
  };
}

/**
 * An account or a connector with `fromAddresses` may use only its own addresses in MAIL FROM (553 5.7.1, as
 * Postfix's reject_sender_login_mismatch). The null sender is allowed (bounces, read receipts).
 */
export const senderAllowedStage: PolicyStage<MailInput> = {
  name: 'sender-allowed',
  run: ({ session, sender }) => {
    if (!sender) return CONTINUE;
    const matcher = session.account?.mayUse ?? session.connector?.mayUse;
    if (!matcher) return CONTINUE;
    if (sender.isLiteral) return notOwned(); // an address literal is nobody's own address
    return matcher({ local: sender.localUnquoted, domain: sender.domainAscii }) ? CONTINUE : notOwned();
  },
};

function notOwned() {
  return reject(553, '5.7.1', 'Sender address not allowed for this login', 'sender-not-owned');
}

/** The rate limiter's key for a relay connector (accounts use their username). */
export function connectorRateKey(name: string): string {
  return `connector:${name}`;
}

/**
 * 450 4.7.1 while an account has sent its hourly limit, or a relay connector with `messagesPerHour` has (all
 * its clients together).
 */
export function accountRateStage(limiter: AccountRateLimiter, defaultPerHour: number): PolicyStage<MailInput> {
  return {
    name: 'account-rate',
    run: ({ session }) => {
      const account = session.account;
      if (account) {
        const perHour = account.config.messagesPerHour ?? defaultPerHour;
        return limiter.allows(account.username, perHour)
          ? CONTINUE
          : tempfail(450, '4.7.1', `Hourly message limit (${perHour}) reached for this account, try again later`, 'account-rate-limit');
      }
      const perHour = session.connector?.config.messagesPerHour;
      if (session.connector === undefined || perHour === undefined) return CONTINUE;
      return limiter.allows(connectorRateKey(session.connector.name), perHour)
        ? CONTINUE
        : tempfail(450, '4.7.1', `Hourly message limit (${perHour}) reached for connector ${session.connector.name}, try again later`, 'connector-rate-limit');
    },
  };
}
