/**
 * Store operations that move no file bytes: listings, buckets, stat, usage, presigned URLs,
 * restores and storage-class changes. Every SDK error leaves as a StowageError.
 */
export { call, type ItemResult, type StoreSession } from './session.js';
export {
  listBuckets,
  listObjects,
  listVersions,
  type BucketEntry,
  type ListEntry,
  type ListObjectsOptions,
  type ObjectEntry,
  type PrefixEntry,
  type VersionEntry,
} from './list.js';
export {
  bucketExists,
  bucketRegion,
  createBucket,
  deleteBucket,
  emptyBucket,
  DELETE_BATCH_SIZE,
  type EmptiedItem,
} from './buckets.js';
export { statObject, type ObjectStat, type StatVersion } from './stat.js';
export { parseRestoreHeader, type RestoreState } from './restore-header.js';
export { diskUsage, type DiskUsage, type UsageTotals } from './usage.js';
export {
  presignUrl,
  DEFAULT_PRESIGN_EXPIRES_SECONDS,
  MAX_PRESIGN_EXPIRES_SECONDS,
  PRESIGN_METHODS,
  type PresignMethod,
  type PresignOptions,
} from './presign.js';
export {
  requestRestore,
  waitForRestore,
  RESTORE_TIERS,
  type RestoreOptions,
  type RestoreOutcome,
  type RestoreTier,
  type WaitForRestoreOptions,
} from './restore.js';
export {
  checkStorageClass,
  setClassRecursive,
  setObjectClass,
  MAX_COPY_OBJECT_BYTES,
  STORAGE_CLASSES,
  type ClassChange,
  type LargeClassCopy,
  type LargeObjects,
} from './storage-class.js';
