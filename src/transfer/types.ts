/** Options and results shared by the transfers of src/transfer/. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pacer } from './pacer.js';
import type { ProgressListener } from './progress.js';

/** S3 limits every store shares: at most 10,000 parts, each at most 5 GiB. */
export const MAX_PARTS = 10_000;
export const MAX_PART_SIZE_BYTES = 5 * 1024 * 1024 * 1024;
/** Default part size (and the single-PUT threshold), as aws-cli uses. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Default parts in flight per transfer. */
export const DEFAULT_CONCURRENCY = 4;

/** User metadata key holding the source file's mtime, integer ms since the epoch. */
export const META_MTIME = 'stowage-mtime';
/** User metadata key holding the lowercase hex SHA-256 of the whole object. */
export const META_SHA256 = 'stowage-sha256';

/** What every transfer takes. */
export interface TransferBase {
  /** An S3 client for the store. Give it `maxAttempts: 1` or 2: retries happen here. */
  client: S3Client;
  /** The run's shared pacer. */
  pacer: Pacer;
  /** Parts in flight at once. Default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  /** Part size for multipart transfers and ranged GETs. Default 8 MiB. */
  partSizeBytes?: number;
  /** Attempts per request (at least 1). Default 10. */
  attempts?: number;
  /** Cancels the transfer; it then rejects with the signal's reason and stays resumable. */
  signal?: AbortSignal;
  /** Progress, throttled to about ten calls a second. */
  onProgress?: ProgressListener;
}

/** Server-side encryption a write may ask for. */
export type SseAlgorithm = 'AES256' | 'aws:kms';

/** Object properties an upload or a REPLACE copy sets. */
export interface ObjectProperties {
  storageClass?: string;
  /** Else detected from the file extension (uploads) or kept (copies). */
  contentType?: string;
  /** User metadata (`x-amz-meta-*`), names without the prefix. */
  metadata?: Record<string, string>;
  /** Object tags. */
  tags?: Record<string, string>;
  sse?: SseAlgorithm;
  sseKmsKeyId?: string;
  cacheControl?: string;
}
