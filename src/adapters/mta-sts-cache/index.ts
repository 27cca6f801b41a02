// Persistent MTA-STS policy caches (the MtaStsPolicyCache port of src/transport/mta-sts).
export { JsonFileMtaStsCache, CACHE_FILE_VERSION, type JsonFileCacheOptions } from './json-file.js';
