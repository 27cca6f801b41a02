// The shipped test doubles (package export `mailflow/testing`): a plain barrel.

export { Zone, DEFAULT_ZONE_TTL } from './zone.js';
export type { ZoneData, ZoneEntry, ZoneMarker } from './zone.js';
export { ZoneResolver, resolveInZone } from './zone-resolver.js';
export type { QueryLogEntry } from './zone-resolver.js';
export { TestDnsServer } from './dns-server.js';
export type { QueryHookResult, ReceivedQuery } from './dns-server.js';
export { ManualClock } from '../core/clock.js';
export { SeededRandom, seededRandom } from './seeded-random.js';
export { TestPki } from './test-pki.js';
export type { TestCertificate, IssueOptions } from './test-pki.js';
export { TestHttpsServer } from './https-server.js';
export type { TestHttpsRoute, TestHttpsHost } from './https-server.js';
