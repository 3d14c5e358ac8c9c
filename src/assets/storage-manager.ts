/**
 * `S3StorageManager`: the library API seed 003 writes in Python (`S3Config.from_env()`,
 * `upload_file`, `batch_upload` with progress, `list_objects`, `download_file`,
 * `get_presigned_url`, `get_bucket_size`), over Stowage's verified, paced transfers. It
 * works the same against `stowage serve`, AWS S3, MinIO and Ceph RGW. docs/library.md.
 */
import path from 'node:path';
import {
  createS3Client,
  MAX_KEY_BYTES,
  resolveStore,
  seedDefaults,
  type ResolvedStore,
} from '../client/index.js';
import {
  diskUsage,
  listObjects,
  presignUrl,
  MAX_PRESIGN_EXPIRES_SECONDS,
  type StoreSession,
} from '../client/ops/index.js';
import { loadConfig } from '../config/load.js';
import { StowageError } from '../errors.js';
import { downloadFile, Pacer, uploadFile } from '../transfer/index.js';
import { listRemote } from '../transfer/sync/list-remote.js';
import { runBatchUpload } from './batch-upload.js';
import { managerConfig, requireBucket, storageClassOption } from './settings.js';
import type {
  BatchItem,
  BatchUploadOptions,
  BatchUploadResult,
  BucketSize,
  DownloadedFile,
  ListOptions,
  PresignedUrlOptions,
  StorageClient,
  StorageManagerConfig,
  StorageManagerFromEnvOptions,
  StorageManagerOptions,
  StoredObject,
  UploadedFile,
  UploadOptions,
} from './types.js';

/**
 * SDK attempts per request. Transfers retry through the shared pacer (10 attempts each), so
 * the SDK adds only one quick retry, which also covers listings and other single calls.
 */
const SDK_ATTEMPTS = 2;

function checkKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key === '') {
    throw new StowageError('E_INVALID_KEY', `${field} must be a non-empty string`, {
      details: { field, value: key },
    });
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new StowageError('E_KEY_TOO_LONG', `${field} is longer than ${MAX_KEY_BYTES} bytes`, {
      details: { field },
    });
  }
  return key;
}

/**
 * Names the storage class or the encryption when the store refuses an upload that asked
 * for one: Ceph RGW (with only its STANDARD placement, and no SSE-S3 without a key server)
 * and some S3-compatible stores answer a bare `InvalidArgument` for a class they lack and a
 * bare `InvalidRequest` for SSE, which alone would not say what to change.
 */
async function explainRefusal<T>(
  upload: Promise<T>,
  asked: { storageClass?: string; sse?: string },
): Promise<T> {
  const { storageClass, sse } = asked;
  try {
    return await upload;
  } catch (err) {
    const fromStore = err instanceof StowageError && err.details.s3Code !== undefined;
    if (fromStore && sse !== undefined && err.code === 'E_INVALID_REQUEST') {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `${err.message}: the store may not accept server-side encryption ${sse} (the encryption option, or S3_ENABLE_ENCRYPTION); upload without it, or turn encryption on in the store`,
        { cause: err, details: { ...err.details, sse } },
      );
    }
    if (
      fromStore &&
      storageClass !== undefined &&
      storageClass !== 'STANDARD' &&
      (err.code === 'E_INVALID_ARGUMENT' || err.code === 'E_INVALID_STORAGE_CLASS')
    ) {
      throw new StowageError(
        'E_INVALID_STORAGE_CLASS',
        `${err.message}: the store does not accept storage class ${storageClass}`,
        { cause: err, details: { ...err.details, storageClass } },
      );
    }
    throw err;
  }
}

/**
 * Uploads, lists, downloads and sizes the objects of one bucket.
 *
 * @example
 * const s3 = await S3StorageManager.fromEnv({ env: process.env, homeDir: os.homedir() });
 * const r = await s3.uploadFile('image.png', {
 *   key: 'products/transparent/dish_soap/image.png',
 *   metadata: { type: 'product' },
 *   tags: { campaign: 'spring_2025' },
 * });
 * console.log(r.key, r.sizeBytes, r.durationMs);
 * s3.close();
 */
export class S3StorageManager {
  /** The validated settings. */
  readonly config: Readonly<StorageManagerConfig>;
  /** The client every request goes through. */
  readonly client: StorageClient;
  /** The one pacer of every request this manager makes (rate limits and shared back-off). */
  readonly pacer: Pacer;
  private readonly ownsClient: boolean;
  private readonly session: StoreSession;
  private readonly partSizeBytes: number | undefined;

  /**
   * @throws StowageError `E_CONFIG_INVALID` when no bucket is given and the store has no
   *   S3_BUCKET_NAME; `E_INVALID_ARGUMENT` for a bad option.
   */
  constructor(options: StorageManagerOptions) {
    const { store, client } = options;
    if (!store && !client) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        'S3StorageManager needs a `store` (from resolveStore) or a `client`; or use S3StorageManager.fromEnv',
      );
    }
    this.config = managerConfig(options, store?.defaults);
    this.ownsClient = !client;
    this.client =
      client ?? createS3Client(store!, { maxAttempts: SDK_ATTEMPTS, bodiesCarryMd5: true });
    this.pacer =
      options.pacer ??
      new Pacer({ rateLimit: store?.rateLimit, bandwidthLimit: store?.bandwidthLimit });
    this.session = store ? { s3: this.client, store } : { s3: this.client };
    this.partSizeBytes = this.config.partSizeBytes ?? store?.partSizeBytes;
  }

  /**
   * Seed 003's `S3Config.from_env()`: the store from the AWS sources (AWS_ACCESS_KEY_ID…,
   * AWS_PROFILE, AWS_ENDPOINT_URL, ~/.aws), stowage.yaml (unless `config` is given) or a
   * local `stowage serve`, found as every Stowage command finds it, and the
   * bucket and transfer defaults from S3_BUCKET_NAME, S3_REGION, S3_STORAGE_CLASS,
   * S3_MAX_PARALLEL_UPLOADS and S3_ENABLE_ENCRYPTION. Options given here win over the env.
   *
   * @throws StowageError `E_CONFIG_INVALID` naming a bad or missing variable (S3_BUCKET_NAME,
   *   S3_MAX_PARALLEL_UPLOADS …); `E_NO_CREDENTIALS` when no source has credentials.
   * @example
   * const s3 = await S3StorageManager.fromEnv({ env: process.env, homeDir: os.homedir() });
   */
  static async fromEnv(options: StorageManagerFromEnvOptions): Promise<S3StorageManager> {
    const { env, homeDir, config, flags, cwd, ...rest } = options;
    // The S3_* variables first: a missing bucket or a bad value is reported before credentials.
    const defaults = seedDefaults(env);
    requireBucket(rest.bucket ?? defaults.bucket);
    const store: ResolvedStore = await resolveStore({
      config: config ?? (await loadConfig({ env, ...(cwd !== undefined ? { cwd } : {}) })),
      env,
      homeDir,
      ...(flags ? { flags } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
    });
    return new S3StorageManager({ ...rest, store });
  }

  /** The bucket this manager works on. */
  get bucket(): string {
    return this.config.bucket;
  }

  /**
   * Uploads one file (single PUT, or a resumable multipart upload above the part size),
   * storing its SHA-256 and mtime in metadata and checking the ETag the store answers.
   *
   * @throws StowageError `E_LOCAL_NOT_FOUND`, `E_NO_SUCH_BUCKET`, `E_ACCESS_DENIED`,
   *   `E_CHECKSUM_MISMATCH`, `E_INVALID_STORAGE_CLASS` …
   */
  async uploadFile(filePath: string, options: UploadOptions = {}): Promise<UploadedFile> {
    return this.upload(filePath, options);
  }

  private async upload(
    filePath: string,
    options: UploadOptions,
    onBytes?: (bytesDone: number) => void,
  ): Promise<UploadedFile> {
    if (typeof filePath !== 'string' || filePath === '') {
      throw new StowageError('E_INVALID_ARGUMENT', 'uploadFile needs the path of a local file');
    }
    const key = checkKey(options.key ?? path.basename(filePath));
    const storageClass =
      options.storageClass !== undefined
        ? storageClassOption(options.storageClass)
        : this.config.storageClass;
    const r = await explainRefusal(
      uploadFile({
        ...this.transferBase(),
        key,
        path: filePath,
        ...(options.metadata ? { metadata: options.metadata } : {}),
        ...(options.tags ? { tags: options.tags } : {}),
        ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
        ...(options.cacheControl !== undefined ? { cacheControl: options.cacheControl } : {}),
        ...(storageClass !== undefined ? { storageClass } : {}),
        ...(this.config.sse ? { sse: this.config.sse } : {}),
        ...(onBytes ? { onProgress: (e: { bytesDone: number }) => onBytes(e.bytesDone) } : {}),
      }),
      { storageClass, sse: this.config.sse },
    );
    return {
      key: r.key,
      sizeBytes: r.sizeBytes,
      durationMs: r.durationMs,
      etag: r.etag,
      sha256: r.sha256,
      ...(r.versionId ? { versionId: r.versionId } : {}),
    };
  }

  /**
   * Uploads many files, `maxParallelUploads` at once, through the one pacer. Every item is
   * reported in input order; a failed item never stops the others.
   *
   * @example
   * const { results, progress } = await s3.batchUpload(
   *   [{ path: 'image1.png', key: 'path/image1.png', metadata: { type: 'product' } }],
   *   { onProgress: (p) => console.log(`${p.uploaded}/${p.totalFiles}`) },
   * );
   */
  async batchUpload(
    items: readonly BatchItem[],
    options: BatchUploadOptions = {},
  ): Promise<BatchUploadResult> {
    return runBatchUpload(
      items,
      this.config.maxParallelUploads,
      (item, onBytes) => this.upload(item.path, item, onBytes),
      options,
    );
  }

  /**
   * Streams the objects under a prefix, one listing page in memory at a time.
   *
   * @throws StowageError `E_NO_SUCH_BUCKET`, `E_ACCESS_DENIED` … (on the first page).
   * @example
   * for await (const o of s3.list({ prefix: 'products/' })) console.log(o.key, o.sizeBytes);
   */
  async *list(options: ListOptions = {}): AsyncGenerator<StoredObject> {
    const { prefix = '', recursive = true, maxKeys } = options;
    if (maxKeys !== undefined && (!Number.isInteger(maxKeys) || maxKeys < 1)) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `maxKeys must be a whole number ≥ 1, got ${maxKeys}`,
      );
    }
    let left = maxKeys ?? Infinity;
    if (left <= 0) return;
    const bucket = this.config.bucket;
    if (recursive) {
      // URL-encoded listing: keys come back exact, even with characters XML cannot carry.
      for await (const o of listRemote(this.client, { bucket, prefix })) {
        yield {
          key: o.key,
          sizeBytes: o.sizeBytes,
          lastModified: o.lastModified,
          storageClass: o.storageClass ?? 'STANDARD',
          ...(o.etag !== undefined ? { etag: o.etag } : {}),
        };
        if (--left <= 0) return;
      }
      return;
    }
    for await (const e of listObjects(this.session, { bucket, prefix, recursive: false })) {
      if (e.type !== 'object') continue;
      yield {
        key: e.key,
        sizeBytes: e.size,
        lastModified: e.lastModified ?? new Date(0),
        storageClass: e.storageClass,
        ...(e.etag !== undefined ? { etag: e.etag.replace(/^"|"$/g, '') } : {}),
      };
      if (--left <= 0) return;
    }
  }

  /** What every upload and download of this manager passes to src/transfer. */
  private transferBase() {
    return {
      client: this.client,
      pacer: this.pacer,
      bucket: this.config.bucket,
      ...(this.partSizeBytes !== undefined ? { partSizeBytes: this.partSizeBytes } : {}),
    };
  }

  /**
   * Downloads an object to a local file: ranged GETs into a partial file, verified against
   * the stored SHA-256 (or MD5 ETag), then renamed into place.
   *
   * @throws StowageError `E_NO_SUCH_KEY`, `E_CHECKSUM_MISMATCH`, `E_LOCAL_NOT_A_FILE` …
   */
  async download(key: string, filePath: string): Promise<DownloadedFile> {
    checkKey(key);
    const r = await downloadFile({
      ...this.transferBase(),
      key,
      path: filePath,
    });
    return {
      key: r.key,
      path: r.path,
      sizeBytes: r.sizeBytes,
      sha256: r.sha256,
      verifiedBy: r.verifiedBy,
      durationMs: r.durationMs,
    };
  }

  /**
   * A URL that lets whoever holds it GET (or PUT) one object until it expires. Signed
   * locally: nothing is sent to the store.
   */
  async presignedUrl(key: string, options: PresignedUrlOptions = {}): Promise<string> {
    checkKey(key);
    const { expiresInSeconds = 3600, method = 'GET' } = options;
    if (
      !Number.isInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > MAX_PRESIGN_EXPIRES_SECONDS
    ) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_EXPIRES_SECONDS} (7 days), got ${JSON.stringify(expiresInSeconds)}`,
        { details: { field: 'expiresInSeconds', value: expiresInSeconds } },
      );
    }
    if (method !== 'GET' && method !== 'PUT') {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `method must be "GET" or "PUT", got ${JSON.stringify(method)}`,
      );
    }
    return presignUrl(this.session, { bucket: this.config.bucket, key, method, expiresInSeconds });
  }

  /**
   * Counts the current objects and bytes under a prefix (whole bucket by default), with a
   * breakdown per storage class when `byClass` is true. Reads the whole listing.
   */
  async bucketSize(options: { prefix?: string; byClass?: boolean } = {}): Promise<BucketSize> {
    const u = await diskUsage(this.session, {
      bucket: this.config.bucket,
      prefix: options.prefix ?? '',
    });
    const out: BucketSize = {
      bucket: u.bucket,
      prefix: u.prefix,
      count: u.objects,
      bytes: u.bytes,
    };
    if (options.byClass) {
      out.byClass = Object.fromEntries(
        Object.entries(u.byClass).map(([cls, t]) => [cls, { count: t.objects, bytes: t.bytes }]),
      );
    }
    return out;
  }

  /** Closes the client's sockets, if the manager made the client. Idempotent. */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }
}
