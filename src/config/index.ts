// The config file: one schema table (schema.ts), its validator and its documentation. See docs/config.md.

export { CONFIG_SCHEMA, DEFAULT_ACCOUNT, DEFAULT_DOMAIN, DEFAULT_INBOUND_PORT, DEFAULT_MAILBOX, DEFAULT_SUBMISSION_PORT, parseHostPort } from './schema.js';
export { defaultConfig, formatConfigError, loadConfigFile, parseConfig, type ConfigError, type ConfigResult } from './load.js';
export { schemaMarkdown, schemaRows, schemaText, type SchemaRow } from './describe.js';
export { didYouMean, formatPath, type ConfigIssue, type ConfigPath } from './validate.js';
export { parseDuration, type Setting, type SettingType } from './table.js';
export type * from './types.js';
