/**
 * Starting, abandoning and listing the parts of a multipart upload.
 */
import { StowageError } from '../../../errors.js';
import { requireBucket } from '../../buckets.js';
import type { EngineContext } from '../../context.js';
import { assertKey } from '../../names.js';
import type {
  ChecksumAlgorithm,
  CreateMultipartOptions,
  PartInfo,
  UploadInfo,
} from '../../types.js';
import { assertChecksumValues } from '../input.js';
import { lockAttribute } from '../object-lock.js';
import { latestRow } from '../placement.js';
import { resolveFor } from '../encryption.js';
import { versionAttributes } from '../put.js';
import {
  invalidChecksumType,
  requireUpload,
  toPartInfo,
  toUploadInfo,
  type PartRow,
} from './rows.js';
import { newUploadId } from './upload-ids.js';

const CRC_ALGORITHMS = new Set<ChecksumAlgorithm>(['CRC32', 'CRC32C', 'CRC64NVME']);

/** Starts an upload. */
export async function createMultipartUpload(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: CreateMultipartOptions = {},
): Promise<UploadInfo> {
  requireBucket(ctx, bucket);
  assertKey(key);
  await ctx.blobs.ensureSpace(0);
  const attrs = { ...versionAttributes(options), ...lockAttribute(ctx, bucket, options.lock) };
  const algorithm = options.checksumAlgorithm;
  if (algorithm) assertChecksumValues({ [algorithm]: undefined });
  let type = options.checksumType;
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw invalidChecksumType(type);
  }
  if (type && !algorithm) {
    throw new StowageError('E_INVALID_REQUEST', 'a checksum type needs a checksum algorithm');
  }
  if (algorithm && !type) type = algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
  if (type === 'FULL_OBJECT' && algorithm && !CRC_ALGORITHMS.has(algorithm)) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `the FULL_OBJECT checksum type is not supported for ${algorithm}`,
    );
  }
  if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'the COMPOSITE checksum type is not supported for CRC64NVME',
    );
  }
  const encryption = resolveFor(ctx, bucket, options.encryption);
  return ctx.queue.run(() => {
    requireBucket(ctx, bucket);
    // Made inside the commit, so rows are inserted in the order of their IDs.
    const uploadId = newUploadId();
    ctx
      .sql(
        `INSERT INTO uploads (upload_id, bucket, key, initiated_at, headers, metadata, tags, storage_class,
           checksum_algorithm, checksum_type, base_seq, initiator, acl, lock, encryption)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        uploadId,
        bucket,
        key,
        ctx.now(),
        JSON.stringify(attrs.headers),
        JSON.stringify(attrs.metadata),
        JSON.stringify(attrs.tags),
        attrs.storageClass,
        algorithm ?? null,
        type ?? null,
        latestRow(ctx, bucket, key)?.id ?? 0,
        options.initiator ?? null,
        attrs.acl ?? null,
        attrs.lock ?? null,
        encryption ? JSON.stringify(encryption) : null,
      );
    return toUploadInfo(requireUpload(ctx, bucket, key, uploadId));
  });
}

/** AbortMultipartUpload: forgets the upload and removes its parts' bytes. */
export async function abortMultipartUpload(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<void> {
  await ctx.queue.run((tx) => {
    requireUpload(ctx, bucket, key, uploadId);
    const blobs = ctx
      .sql('SELECT blob_id FROM parts WHERE upload_id = ? AND blob_id IS NOT NULL')
      .all(uploadId) as Array<{ blob_id: string }>;
    tx.dropBlobs(blobs.map((b) => b.blob_id));
    ctx.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
  });
}

/** ListParts. */
export function listParts(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
  options: { partNumberMarker?: number; maxParts?: number } = {},
): { upload: UploadInfo; parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number } {
  const upload = requireUpload(ctx, bucket, key, uploadId);
  const max = Math.min(options.maxParts ?? 1000, 1000);
  if (!Number.isInteger(max) || max < 0)
    throw new StowageError('E_INVALID_ARGUMENT', 'max-parts must be a non-negative integer');
  const rows = ctx
    .sql('SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?')
    .all(uploadId, options.partNumberMarker ?? 0, max + 1) as PartRow[];
  const page = rows.slice(0, max);
  // max-parts=0 asks for no parts, and the answer is complete, as ListObjects' max-keys=0
  // is: a truncated page that names no part to go on from had a paginator ask it again.
  const truncated = max > 0 && rows.length > max;
  return {
    upload: toUploadInfo(upload),
    parts: page.map(toPartInfo),
    isTruncated: truncated,
    // S3 names the last part listed whether or not the listing is truncated.
    ...(page.length > 0 ? { nextPartNumberMarker: page[page.length - 1]!.part_number } : {}),
  };
}
