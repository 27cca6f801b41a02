// The real HTTPS adapter (node:https) for the HttpsFetcher port in src/core/https.
export { createHttpsFetcher, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TOTAL_TIMEOUT_MS, type HostLookup, type NodeHttpsFetcherOptions } from './node-fetcher.js';
export type { HttpsFetcher, HttpsFetchRequest, HttpsFetchResult, HttpsFetchErrorCode } from '../../core/https/types.js';
