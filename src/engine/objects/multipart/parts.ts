/**
 * UploadPart and UploadPartCopy: each part is its own blob, stored before the commit that
 * records it, and removed again when that commit fails.
 */
import { StowageError } from '../../../errors.js';
import { readSegments } from '../../blobs/read-blobs.js';
import { writeBlob, type BlobBody } from '../../blobs/write-blob.js';
import { committedBeforeFailure } from '../../db/commit-queue.js';
import type { EngineContext } from '../../context.js';
import { checkReadConditions } from '../../conditions.js';
import { assertKey } from '../../names.js';
import { resolveCopyRange } from '../../range.js';
import { segmentsOf } from '../../rows.js';
import type {
  ChecksumAlgorithm,
  CopyStart,
  PartCopySource,
  PartInfo,
  UploadPartOptions,
} from '../../types.js';
import { blobEncryption, encryptionField, encryptionOf, keysFor } from '../encryption.js';
import {
  assertChecksumValues,
  assertContentMd5,
  checksumValuesOf,
  verifyDigests,
} from '../input.js';
import { assertReadable, resolveVersion } from '../read.js';
import { MAX_PARTS, requireUpload, toPartInfo, type PartRow, type UploadRow } from './rows.js';

function assertPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `part number must be an integer from 1 to ${MAX_PARTS}, got ${n}`,
      {
        details: { partNumber: n },
      },
    );
  }
}

async function storePart(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  body: BlobBody,
  options: UploadPartOptions & { verify?: (sha256: Buffer) => void },
): Promise<PartInfo> {
  assertPartNumber(partNumber);
  const upload = requireUpload(ctx, bucket, key, uploadId);
  if (options.contentMd5 !== undefined) assertContentMd5(options.contentMd5);
  if (options.checksums && !(options.checksums instanceof Promise))
    assertChecksumValues(options.checksums);
  assertPartAlgorithm(upload, options);
  const algorithms = new Set<ChecksumAlgorithm>();
  if (upload.checksum_algorithm) algorithms.add(upload.checksum_algorithm as ChecksumAlgorithm);
  if (options.checksumAlgorithm) algorithms.add(options.checksumAlgorithm);
  if (options.checksums && !(options.checksums instanceof Promise)) {
    for (const a of Object.keys(options.checksums) as ChecksumAlgorithm[]) algorithms.add(a);
  }
  const encryption = await blobEncryption(
    ctx,
    encryptionOf(upload.encryption),
    options.customerKey,
    'upload',
  );
  const blob = await writeBlob(ctx.blobs, body, {
    expectedLength: options.contentLength,
    maxLength: ctx.limits.maxPutSizeBytes,
    algorithms: [...algorithms],
    ...(encryption ? { encrypt: encryption.encrypt } : {}),
    signal: options.signal,
    verify: async (d) => {
      options.verify?.(d.sha256);
      await verifyDigests(d, options.contentMd5, options.checksums, options.sha256);
    },
  });
  const md5 = blob.md5.toString('hex');
  const now = ctx.now();
  try {
    return await ctx.queue.run((tx) => {
      requireUpload(ctx, bucket, key, uploadId);
      const old = ctx
        .sql('SELECT blob_id FROM parts WHERE upload_id = ? AND part_number = ?')
        .get(uploadId, partNumber) as { blob_id: string | null } | undefined;
      if (old?.blob_id) tx.dropBlobs([old.blob_id]);
      const row: PartRow = {
        upload_id: uploadId,
        part_number: partNumber,
        size: blob.size,
        etag: `"${md5}"`,
        md5,
        sha256: blob.sha256.toString('hex'),
        checksums: JSON.stringify(checksumValuesOf(blob)),
        blob_id: blob.id,
        created_at: now,
        envelope: blob.envelope ? JSON.stringify(blob.envelope) : null,
      };
      ctx
        .sql(
          `INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, md5, sha256, checksums, blob_id, created_at, envelope)
           VALUES (@upload_id, @part_number, @size, @etag, @md5, @sha256, @checksums, @blob_id, @created_at, @envelope)`,
        )
        .run(row);
      return { ...toPartInfo(row), ...encryptionField(encryption?.setting) };
    });
  } catch (err) {
    // A commit that went through but could not be synced references the blob: it stays.
    if (blob.id && !committedBeforeFailure(err)) ctx.blobs.remove([blob.id]);
    throw err;
  }
}

/** UploadPart: stores (or replaces) one part. */
export function uploadPart(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  body: BlobBody,
  options: UploadPartOptions = {},
): Promise<PartInfo> {
  assertKey(key);
  return storePart(ctx, bucket, key, uploadId, partNumber, body, options);
}

/** UploadPartCopy: a part made from a byte range of an existing object. */
export async function uploadPartCopy(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  source: PartCopySource,
  customerKey?: Buffer,
  onStart?: (start: CopyStart) => void,
): Promise<PartInfo & { sourceVersionId: string }> {
  assertKey(key);
  assertPartNumber(partNumber);
  const upload = requireUpload(ctx, bucket, key, uploadId);
  // The upload's key is checked before a byte of the source is read.
  keysFor(ctx, encryptionOf(upload.encryption), customerKey, 'upload');
  const src = resolveVersion(ctx, source.bucket, source.key, source.versionId, true);
  checkReadConditions(source.conditions, src.etag, new Date(src.created_at), true);
  assertReadable(ctx, src);
  const sourceKeys = keysFor(ctx, encryptionOf(src.encryption), source.customerKey, 'source');
  const range = resolveCopyRange(source.range, src.size) ?? { start: 0, end: src.size - 1 };
  onStart?.({
    sourceVersionId: src.version_id,
    ...encryptionField(encryptionOf(upload.encryption)),
    size: Math.max(0, range.end - range.start + 1),
    tags: {},
  });
  const segments = segmentsOf(src);
  const release = ctx.blobs.acquire(segments.map((s) => s.b));
  const body = readSegments(ctx.blobs, segments, range.start, range.end, release, sourceKeys);
  const whole = range.start === 0 && range.end === src.size - 1;
  try {
    const part = await storePart(ctx, bucket, key, uploadId, partNumber, body, {
      contentLength: Math.max(0, range.end - range.start + 1),
      customerKey,
      verify: (sha256) => {
        if (whole && src.sha256 && sha256.toString('hex') !== src.sha256) {
          throw new StowageError(
            'E_DATA_CORRUPT',
            `the stored bytes of "${source.key}" do not match their SHA-256`,
          );
        }
      },
    });
    return { ...part, sourceVersionId: src.version_id };
  } finally {
    body.destroy();
  }
}

/**
 * A part of an upload created with a checksum algorithm must carry that algorithm's
 * checksum if it carries one at all: S3 refuses a part sent with another (typically the
 * SDK's default CRC32 on an upload created for SHA-256) rather than store a part whose
 * checksum cannot enter the object's.
 */
function assertPartAlgorithm(upload: UploadRow, options: UploadPartOptions): void {
  const expected = upload.checksum_algorithm;
  if (!expected) return;
  const sent = new Set<string>();
  if (options.checksumAlgorithm) sent.add(options.checksumAlgorithm);
  if (options.checksums && !(options.checksums instanceof Promise))
    for (const a of Object.keys(options.checksums)) sent.add(a);
  for (const actual of sent) {
    if (actual !== expected) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${actual.toLowerCase()}`,
      );
    }
  }
}
