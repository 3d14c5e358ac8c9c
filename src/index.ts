/**
 * The public library API of Stowage; the only barrel file.
 *
 * @example
 * import { loadConfig, StowageError } from 'stowage';
 * const config = await loadConfig();
 */
export * from './errors.js';
export {
  CONFIG_ENV_VARS,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  resolveConfig,
  type ConfigFlags,
  type LoadConfigOptions,
  type ResolvedConfig,
} from './config/load.js';
export {
  LOG_LEVELS,
  configKeyPaths,
  configSchema,
  type LogLevel,
  type StowageConfig,
  type StowageConfigInput,
} from './config/schema.js';
export type { ConfigIssue } from './config/issues.js';
export {
  LOG_REDACT_PATHS,
  SECRET_FIELDS,
  createLogger,
  redactSecrets,
  type LogDestination,
  type Logger,
  type LoggerOptions,
} from './log.js';
export * from './engine/types.js';
export { Engine, DEFAULT_LIMITS, type EngineOptions } from './engine/engine.js';
export type { IntegrityReport, IntegrityProblem } from './engine/integrity.js';
export type { RecoveryReport } from './engine/recovery.js';
export { S3StorageManager } from './assets/storage-manager.js';
export { DEFAULT_MAX_PARALLEL_UPLOADS } from './assets/settings.js';
export type {
  BatchItem,
  BatchItemResult,
  BatchProgress,
  BatchUploadOptions,
  BatchUploadResult,
  BucketSize,
  DownloadedFile,
  ListOptions,
  PresignedUrlOptions,
  SizeTotals,
  StorageClient,
  StorageManagerConfig,
  StorageManagerFromEnvOptions,
  StorageManagerOptions,
  StoredObject,
  UploadedFile,
  UploadOptions,
} from './assets/types.js';
export {
  resolveStore,
  type ResolveStoreOptions,
  type ResolvedStore,
  type StoreFlags,
} from './client/index.js';
