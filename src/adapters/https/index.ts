// The real HTTPS adapter (node:https) for the HttpsFetcher port in src/core/https, and a poster for reports.
export { createHttpsFetcher, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TOTAL_TIMEOUT_MS, type HostLookup, type NodeHttpsFetcherOptions } from './node-fetcher.js';
export { createHttpsPoster, DEFAULT_MAX_RESPONSE_BYTES, type HttpsPoster, type HttpsPostRequest } from './poster.js';
export type { HttpsFetcher, HttpsFetchRequest, HttpsFetchResult, HttpsFetchErrorCode } from '../../core/https/types.js';
