/**
 * Uploading one local file: a single PutObject up to the part size, a resumable multipart
 * upload above it. Every upload stores `stowage-mtime` and `stowage-sha256` metadata,
 * sends Content-MD5 for every request body, and checks the ETag the store answers.
 */
import { contentTypeFor } from './content-type.js';
import {
  openSource,
  readRange,
  readSmallFile,
  SYNC_READ_MAX_BYTES,
  type SmallFile,
} from './local-file.js';
import { abortQuietly } from './multipart-calls.js';
import { uploadMultipart } from './multipart.js';
import { putChecked } from './put-checked.js';
import { loadUploadState, removeStateFile, stateFileFor } from './resume-state.js';
import type { ObjectProperties, TransferBase } from './types.js';
import { checkProperties, checkTarget, partSizeFor, transferSettings } from './validate.js';

/** Options of {@link uploadFile}. */
export interface UploadFileOptions extends TransferBase, ObjectProperties {
  bucket: string;
  key: string;
  /** The local file to upload. */
  path: string;
  /**
   * Directory for resume state (e.g. `<dir>/.stowage-state`). Without it an interrupted
   * multipart upload is aborted instead of being left for a re-run to finish.
   */
  stateDir?: string;
}

/** What {@link uploadFile} did. */
export interface UploadResult {
  key: string;
  sizeBytes: number;
  /** The ETag the store gave the object, without quotes. */
  etag: string;
  /** Lowercase hex SHA-256 of the object, as stored in `stowage-sha256`. */
  sha256: string;
  durationMs: number;
  /** Parts an earlier, interrupted run had already uploaded (0 for a single PUT). */
  resumedParts: number;
  /** Parts this run sent (0 for a single PUT). */
  uploadedParts: number;
  versionId?: string;
}

/**
 * Uploads a local file to `s3://bucket/key`.
 *
 * @example
 * const pacer = new Pacer();
 * const r = await uploadFile({ client, pacer, bucket: 'assets', key: 'img/hero.webp',
 *   path: './hero.webp', stateDir: '.stowage-state', tags: { project: 'game' } });
 * console.log(r.etag, r.sha256, r.durationMs);
 */
export async function uploadFile(options: UploadFileOptions): Promise<UploadResult> {
  const started = Date.now();
  checkTarget(options.bucket, options.key);
  checkProperties(options);
  const settings = transferSettings(options);
  const contentType = options.contentType ?? contentTypeFor(options.path);
  const small = readSmallFile(options.path, Math.min(SYNC_READ_MAX_BYTES, settings.partSizeBytes));
  if (small) {
    options.signal?.throwIfAborted();
    return putSingle(options, small, contentType, settings.attempts, started);
  }
  const file = await openSource(options.path);
  try {
    options.signal?.throwIfAborted();
    if (file.sizeBytes <= settings.partSizeBytes) {
      const body = await readRange(file, options.path, 0, file.sizeBytes);
      const whole = { body, sizeBytes: file.sizeBytes, mtimeMs: file.mtimeMs };
      return await putSingle(options, whole, contentType, settings.attempts, started);
    }
    const partSizeBytes = partSizeFor(file.sizeBytes, settings.partSizeBytes);
    const r = await uploadMultipart(options, file, {
      ...settings,
      partSizeBytes,
      contentType,
    });
    return { ...r, key: options.key, sizeBytes: file.sizeBytes, durationMs: Date.now() - started };
  } finally {
    await file.handle.close();
  }
}

/** A single PutObject; a multipart upload of an earlier, larger version is then useless. */
async function putSingle(
  o: UploadFileOptions,
  file: SmallFile,
  contentType: string,
  attempts: number,
  started: number,
): Promise<UploadResult> {
  const what = `upload of ${o.path} to s3://${o.bucket}/${o.key}`;
  const put = await putChecked(o, file.body, {
    contentType,
    mtimeMs: file.mtimeMs,
    attempts,
    what,
  });
  if (o.stateDir) await dropStaleUpload(o, attempts);
  return {
    key: o.key,
    sizeBytes: file.sizeBytes,
    ...put,
    durationMs: Date.now() - started,
    resumedParts: 0,
    uploadedParts: 0,
  };
}

async function dropStaleUpload(o: UploadFileOptions, attempts: number): Promise<void> {
  const file = stateFileFor(o.stateDir!, o.bucket, o.key, o.path);
  const state = await loadUploadState(file);
  if (!state) return;
  await abortQuietly(o, state.uploadId, attempts);
  await removeStateFile(file);
}
