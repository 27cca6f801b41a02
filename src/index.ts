// The mailflow library: each standard is a module whose I/O (DNS resolver, clock) is passed in.
// The package export `mailflow/testing` holds the test doubles.

export * from './core/dns/types.js';
export { MAX_CNAME_CHAIN } from './core/dns/limits.js';
export { type Clock, systemClock, ManualClock } from './core/clock.js';
export { CachingResolver } from './core/dns/cache.js';
export {
  createResolver,
  resolveServerList,
  WireResolver,
  type CreateResolverOptions,
  type WireResolverOptions,
} from './adapters/dns/index.js';
export * from './auth/spf/index.js';
export * from './auth/dkim/index.js';
export * from './core/message/index.js';
export * from './auth/srs/index.js';
export * from './auth/auth-results/index.js';
export * from './auth/dmarc/index.js';
export * from './transport/dane/index.js';
export * from './transport/mta-sts/index.js';
// Both DMARC and MTA-STS name a MAX_RECORD_LENGTH: the flat barrel keeps DMARC's; MTA-STS's is in its own module.
export { MAX_RECORD_LENGTH } from './auth/dmarc/index.js';
export * from './auth/arc/index.js';
// ARC and the AAR parser both name MAX_ARC_INSTANCE (RFC 8617's 50); the barrel exports ARC's.
export { MAX_ARC_INSTANCE } from './auth/arc/index.js';
export * from './transport/tls-policy/index.js';
export * from './transport/tlsrpt/index.js';
export * from './reports/tlsrpt/index.js';
// DMARC aggregate reports (RFC 9990): names that clash with the DMARC record module are prefixed.
export {
  parseDmarcReport,
  parseDmarcReportXml,
  generateDmarcReport,
  dmarcReportToXml,
  gzipDmarcReport,
  dmarcReportFilename,
  RFC9990_VERSION,
  MAX_REPORT_XML_BYTES as MAX_DMARC_REPORT_XML_BYTES,
  MAX_REPORT_INPUT_BYTES as MAX_DMARC_REPORT_INPUT_BYTES,
  MAX_REPORT_RECORDS as MAX_DMARC_REPORT_RECORDS,
  type DmarcAggregateReport,
  type DmarcReportRecord,
  type DmarcReportMetadata,
  type DmarcPolicyPublished,
  type DmarcDkimAuthResult,
  type DmarcSpfAuthResult,
  type DmarcOverrideReason,
  type DmarcParseCode as DmarcReportParseCode,
  type DmarcParseError as DmarcReportParseError,
  type DmarcParseResult as DmarcReportParseResult,
  type DmarcParseOptions as DmarcReportParseOptions,
} from './reports/dmarc/index.js';
export * from './auth/pipeline/index.js';
// The gateway: listeners, queue, delivery, the main job and its config file.
export { startSmtpGateway, type SmtpGateway } from './gateway/smtp/index.js';
export { hashPassword, checkAllConnectorsSpf, checkConnectorSpf, type ConnectorSpfWarning } from './gateway/policy/index.js';
export type { GatewayConfig, ListenerConfig, AccountConfig, ConnectorConfig, AcceptedDomainConfig, SmtpLimits } from './gateway/config-types.js';
export type { MessageSink, IncomingMessage } from './gateway/message-sink.js';
export { QueueSink } from './gateway/queue/sink.js';
export { SqliteQueueStore } from './adapters/storage/sqlite/queue-store.js';
export { DeliveryEngine, type DeliveryEngineOptions } from './gateway/delivery/engine.js';
export { DkimSigningSink, loadDkimSigningKeys, keysForDomain, type DkimSigningKey, type DkimSigningKeyConfig } from './gateway/signing/dkim-signing.js';
export { downgradeTo7bit, type DowngradeResult } from './gateway/delivery/mime-downgrade.js';
export { parseProxyHeader, type ProxyHeaderResult } from './gateway/smtp/framing/proxy-header.js';
export { startGateway, type GatewayMainOptions, type RunningGateway } from './gateway/main.js';
export { parseConfig, loadConfigFile, defaultConfig, schemaRows, type MailflowConfig, type ConfigError, type ConfigResult } from './config/index.js';
