/**
 * What callers pass to and get back from {@link S3StorageManager}: the TypeScript shape of
 * seed 003's `S3Config`, `UploadResult` and `UploadProgress`, with units in the names.
 */
import type { ErrorCode } from '../errors.js';
import type { ResolvedStore, StoreFlags } from '../client/index.js';
import type { StowageConfig } from '../config/schema.js';
import type { Pacer, SseAlgorithm, TransferBase } from '../transfer/index.js';

/** An S3 client (`@aws-sdk/client-s3`'s `S3Client`). */
export type StorageClient = TransferBase['client'];

/** What `new S3StorageManager(…)` takes: a store (or a ready client) and a bucket. */
export interface StorageManagerOptions {
  /**
   * A resolved store (`resolveStore`); the manager makes its client with the store's quirks
   * (path-style, checksum policy, sockets) and closes it in {@link S3StorageManager.close}.
   * Its seed-003 defaults (bucket, storage class, parallelism, encryption) fill in what the
   * options here leave out.
   */
  store?: ResolvedStore;
  /** A client of your own instead of `store`; the manager never destroys it. */
  client?: StorageClient;
  /** The bucket (seed 003's `bucket_name`); else the store's `S3_BUCKET_NAME`. Required. */
  bucket?: string;
  /** Storage class of uploads (`S3_STORAGE_CLASS`); default: the store's (STANDARD). */
  storageClass?: string;
  /** Files uploaded at once by {@link S3StorageManager.batchUpload} (`S3_MAX_PARALLEL_UPLOADS`). Default 10. */
  maxParallelUploads?: number;
  /** Ask for server-side encryption on uploads (`S3_ENABLE_ENCRYPTION`); `true` means `AES256`. */
  encryption?: boolean | SseAlgorithm;
  /** Multipart part size; default the store's (8 MiB). */
  partSizeBytes?: number;
  /** The pacer shared by every request of this manager; default a new one with the store's limits. */
  pacer?: Pacer;
}

/** What {@link S3StorageManager.fromEnv} takes. */
export interface StorageManagerFromEnvOptions extends Omit<
  StorageManagerOptions,
  'store' | 'client'
> {
  /** The environment to read (pass `process.env`): AWS_* and the seed-003 S3_* variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** Home directory holding ~/.aws (pass `os.homedir()`). */
  homeDir: string;
  /**
   * A loaded config (stores, defaultStore, local server); default: the one every Stowage
   * command loads, `stowage.yaml` in `cwd` (or the file `STOWAGE_CONFIG` names) with the
   * `STOWAGE_*` variables of `env` on top.
   */
  config?: Pick<StowageConfig, 'dataDir' | 'server' | 'stores' | 'defaultStore'>;
  /** Where `stowage.yaml` is looked for when no `config` is given; default `process.cwd()`. */
  cwd?: string;
  /** What a command line would choose: `store`, `endpointUrl`, `profile`, `region`. */
  flags?: StoreFlags;
}

/** The settled settings of a manager (validated once, frozen). */
export interface StorageManagerConfig {
  bucket: string;
  storageClass?: string;
  maxParallelUploads: number;
  sse?: SseAlgorithm;
  partSizeBytes?: number;
}

/** Per-upload options of {@link S3StorageManager.uploadFile}. */
export interface UploadOptions {
  /** The object key; default the file's base name. */
  key?: string;
  /** User metadata (`x-amz-meta-*`), names without the prefix. */
  metadata?: Record<string, string>;
  /** Object tags. */
  tags?: Record<string, string>;
  /** Else detected from the file extension. */
  contentType?: string;
  /** Overrides the manager's storage class for this upload. */
  storageClass?: string;
  cacheControl?: string;
}

/** What one upload did (seed 003's `UploadResult`, which throws instead of `success: false`). */
export interface UploadedFile {
  key: string;
  sizeBytes: number;
  durationMs: number;
  /** The ETag the store gave the object, without quotes. */
  etag: string;
  /** Lowercase hex SHA-256 of the bytes, also stored as `stowage-sha256` metadata. */
  sha256: string;
  versionId?: string;
}

/** One file of {@link S3StorageManager.batchUpload}. */
export interface BatchItem extends Omit<UploadOptions, 'key'> {
  /** The local file. */
  path: string;
  key: string;
}

/** How one file of a batch went. */
export type BatchItemResult =
  | ({ ok: true; path: string } & UploadedFile)
  | { ok: false; path: string; key: string; error: { code: ErrorCode; message: string } };

/**
 * Where a batch stands (seed 003's `UploadProgress`). Counts and `bytesUploaded` only grow.
 */
export interface BatchProgress {
  /** Files uploaded. */
  uploaded: number;
  /** Files that failed. */
  failed: number;
  totalFiles: number;
  /** Bytes of the files uploaded so far (finished files only, so it never goes back). */
  bytesUploaded: number;
  /** Bytes sent of the files still in flight (a retried part can take some back). */
  bytesInProgress: number;
  /** Sum of the sizes of the batch's files (0 for files that cannot be read). */
  totalBytes: number;
  /** (bytesUploaded + bytesInProgress) per second since the batch started. */
  bytesPerSecond: number;
  /** The same in MB/s (1 MB = 1,048,576 bytes), as seed 003's `upload_speed_mbps`. */
  uploadSpeedMbps: number;
  /** By bytes; by files when the batch holds no bytes. 0..100. */
  percentComplete: number;
  elapsedMs: number;
}

/** Options of {@link S3StorageManager.batchUpload}. */
export interface BatchUploadOptions {
  /** Called at most every `progressIntervalMs`, and once more when the batch ends. Must not throw. */
  onProgress?: (progress: BatchProgress) => void;
  /** Default 250 ms. */
  progressIntervalMs?: number;
}

/** What {@link S3StorageManager.batchUpload} returns: every item, in input order, and the totals. */
export interface BatchUploadResult {
  results: BatchItemResult[];
  progress: BatchProgress;
}

/** One object of {@link S3StorageManager.list}. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
  lastModified: Date;
  /** STANDARD when the store leaves it out. */
  storageClass: string;
  /** Without quotes. */
  etag?: string;
}

/** Options of {@link S3StorageManager.list}. */
export interface ListOptions {
  prefix?: string;
  /** Every key under the prefix (default), or only the objects directly at its level (`/`). */
  recursive?: boolean;
  /** Stop after this many objects (seed 003's `max_keys`); default no limit. */
  maxKeys?: number;
}

/** What {@link S3StorageManager.download} did. */
export interface DownloadedFile {
  key: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  /** What the bytes were checked against. */
  verifiedBy: 'stowage-sha256' | 'etag-md5' | 'none';
  durationMs: number;
}

/** Options of {@link S3StorageManager.presignedUrl}. */
export interface PresignedUrlOptions {
  /** 1..604800 (7 days); default 3600. */
  expiresInSeconds?: number;
  /** Default GET. */
  method?: 'GET' | 'PUT';
}

/** Counts and bytes. */
export interface SizeTotals {
  count: number;
  bytes: number;
}

/** What {@link S3StorageManager.bucketSize} reports. */
export interface BucketSize extends SizeTotals {
  bucket: string;
  prefix: string;
  /** Per storage class, when asked for with `byClass: true`. */
  byClass?: Record<string, SizeTotals>;
}
