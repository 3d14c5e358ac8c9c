/**
 * CompleteMultipartUpload: the listed parts' blobs become the segments of the new version
 * in one transaction, so a multi-GB object is never copied on completion and a crash
 * leaves either the upload or the object, never half.
 */
import { createHash } from 'node:crypto';
import { isStowageError, StowageError } from '../../../errors.js';
import { requireBucket } from '../../buckets.js';
import { combineCrc, compositeChecksum } from '../../checksums/index.js';
import type { EngineContext } from '../../context.js';
import { normalizeEtag } from '../../conditions.js';
import { assertKey } from '../../names.js';
import type { NewVersion } from '../../rows.js';
import type {
  ChecksumAlgorithm,
  ChecksumType,
  ChecksumValues,
  CompletedPart,
  CompleteMultipartOptions,
  PutObjectResult,
  WriteConditions,
} from '../../types.js';
import { completedBefore, rememberCompleted } from '../completed-uploads.js';
import { encryptionField, encryptionOf } from '../encryption.js';
import { assertChecksumValues } from '../input.js';
import { checkCurrentConditions, latestRow, placeVersion } from '../placement.js';
import {
  invalidChecksumType,
  MAX_PARTS,
  requireUpload,
  type PartRow,
  type UploadRow,
} from './rows.js';

/**
 * A conditional Complete (If-Match, If-None-Match) whose condition holds is still refused
 * when the key was written or deleted since the upload was created, as S3 answers
 * (ConditionalRequestConflict, 409): the condition was meant for the object the upload
 * started from. The client starts the upload again.
 */
function checkUnchangedSinceCreate(
  ctx: EngineContext,
  upload: UploadRow,
  conditions: WriteConditions | undefined,
): void {
  const header =
    conditions?.ifMatch !== undefined
      ? 'If-Match'
      : conditions?.ifNoneMatch !== undefined
        ? 'If-None-Match'
        : undefined;
  if (header === undefined || upload.base_seq === null) return;
  const now = latestRow(ctx, upload.bucket, upload.key)?.id ?? 0;
  if (now === upload.base_seq) return;
  throw new StowageError(
    'E_CONDITIONAL_REQUEST_CONFLICT',
    `the key was written or deleted after this multipart upload was created, so its ${header} condition no longer applies to it; create the upload again`,
    { details: { condition: header, key: upload.key } },
  );
}

/**
 * What the client states about the object it completes must hold: the checksum type and
 * an object checksum must be the upload's (a checksum of another algorithm could not be
 * checked, and is refused rather than ignored), and x-amz-mp-object-size its size.
 */
function checkCompleteClaims(
  upload: UploadRow,
  size: number,
  options: CompleteMultipartOptions,
): void {
  const algorithm = upload.checksum_algorithm;
  const type = upload.checksum_type;
  const claimed = options.checksumType?.toUpperCase();
  if (claimed !== undefined && claimed !== 'COMPOSITE' && claimed !== 'FULL_OBJECT') {
    throw invalidChecksumType(options.checksumType!);
  }
  if (claimed !== undefined && claimed !== type) {
    // S3's words (InvalidRequest), as recorded answers and S3-compatible servers give them.
    throw new StowageError(
      'E_INVALID_REQUEST',
      `The upload was created using the ${type ?? 'null'} checksum mode. The complete request must use the same checksum mode.`,
    );
  }
  for (const alg of Object.keys(options.checksums ?? {})) {
    if (alg !== algorithm) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `x-amz-checksum-${alg.toLowerCase()} cannot be checked: the upload was created ${algorithm ? `with the ${algorithm} checksum algorithm` : 'without a checksum algorithm'}`,
      );
    }
  }
  if (options.objectSize !== undefined && options.objectSize !== size) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `x-amz-mp-object-size is ${options.objectSize} but the listed parts make ${size} bytes`,
    );
  }
}

function objectChecksum(
  algorithm: ChecksumAlgorithm,
  type: ChecksumType,
  parts: PartRow[],
): string {
  const digests = parts.map((p) => {
    const v = (JSON.parse(p.checksums) as ChecksumValues)[algorithm];
    if (!v) {
      throw new StowageError(
        'E_INVALID_PART',
        `part ${p.part_number} has no ${algorithm} checksum, which this upload requires`,
      );
    }
    return { raw: Buffer.from(v, 'base64'), size: p.size };
  });
  if (type === 'COMPOSITE')
    return compositeChecksum(
      algorithm,
      digests.map((d) => d.raw),
    );
  let acc = digests[0]!.raw;
  for (const d of digests.slice(1))
    acc = combineCrc(algorithm as 'CRC32' | 'CRC32C' | 'CRC64NVME', acc, d.raw, d.size);
  return acc.toString('base64');
}

/** Validates the client's part list against the stored parts (S3's rules and codes). */
function checkPartList(
  ctx: EngineContext,
  upload: UploadRow,
  list: readonly CompletedPart[],
): PartRow[] {
  if (list.length === 0) {
    throw new StowageError(
      'E_MALFORMED_XML',
      'CompleteMultipartUpload must list at least one part',
    );
  }
  if (list.length > MAX_PARTS) {
    throw new StowageError('E_INVALID_ARGUMENT', `an upload can have at most ${MAX_PARTS} parts`);
  }
  const stored = new Map(
    (ctx.sql('SELECT * FROM parts WHERE upload_id = ?').all(upload.upload_id) as PartRow[]).map(
      (p) => [p.part_number, p],
    ),
  );
  const parts: PartRow[] = [];
  // A COMPOSITE upload's Complete must name each part's checksum, as S3 requires.
  const composite =
    upload.checksum_type === 'COMPOSITE'
      ? (upload.checksum_algorithm as ChecksumAlgorithm | null)
      : null;
  let previous = 0;
  for (const item of list) {
    if (!Number.isInteger(item.partNumber) || item.partNumber < 1 || item.partNumber > MAX_PARTS) {
      throw new StowageError(
        'E_INVALID_PART',
        `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive (got ${item.partNumber})`,
      );
    }
    if (item.partNumber <= previous) {
      throw new StowageError(
        'E_INVALID_PART_ORDER',
        `part ${item.partNumber} is listed after part ${previous}; parts must be in ascending order`,
        { details: { uploadId: upload.upload_id } },
      );
    }
    previous = item.partNumber;
    const part = stored.get(item.partNumber);
    if (!part || normalizeEtag(item.etag) !== part.md5) {
      throw new StowageError(
        'E_INVALID_PART',
        part
          ? `part ${item.partNumber} has ETag ${part.etag}, not ${item.etag}`
          : `part ${item.partNumber} was never uploaded`,
        // S3's InvalidPart names the part as the request gave it, and the upload.
        {
          details: {
            partNumber: item.partNumber,
            eTag: item.etag,
            uploadId: upload.upload_id,
          },
        },
      );
    }
    if (composite && !item.checksums?.[composite]) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `The upload was created using a ${composite.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${item.partNumber} in the request.`,
      );
    }
    if (item.checksums) {
      const mine = JSON.parse(part.checksums) as ChecksumValues;
      for (const [alg, v] of Object.entries(item.checksums) as Array<
        [ChecksumAlgorithm, string | undefined]
      >) {
        if (v !== undefined && mine[alg] !== v) {
          throw new StowageError(
            'E_INVALID_PART',
            `the ${alg} given for part ${item.partNumber} does not match the stored part`,
          );
        }
      }
    }
    parts.push(part);
  }
  parts.slice(0, -1).forEach((p) => {
    if (p.size < ctx.limits.minPartSizeBytes) {
      throw new StowageError(
        'E_ENTITY_TOO_SMALL',
        `part ${p.part_number} is ${p.size} bytes; every part but the last must be at least ${ctx.limits.minPartSizeBytes} bytes`,
        {
          details: {
            partNumber: p.part_number,
            eTag: p.md5,
            sizeBytes: p.size,
            minSizeBytes: ctx.limits.minPartSizeBytes,
          },
        },
      );
    }
  });
  return parts;
}

/**
 * CompleteMultipartUpload. ETag: MD5 of the concatenated binary part MD5s, then `-N`.
 * Parts uploaded but not listed are discarded, as S3 does.
 */
export async function completeMultipartUpload(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
  list: readonly CompletedPart[],
  options: CompleteMultipartOptions = {},
): Promise<PutObjectResult> {
  assertKey(key);
  // A composite checksum may be given as S3 writes it, `<base64>-<part count>`; the
  // digest before the suffix must be of its algorithm.
  if (options.checksums)
    assertChecksumValues(
      Object.fromEntries(
        Object.entries(options.checksums).map(([a, v]) => [a, v?.replace(/-\d+$/, '')]),
      ),
    );
  // No new bytes (the parts become the object), but new rows: at the reserve, as every
  // metadata write, so that deletes can still commit.
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run((tx) => {
    let upload: UploadRow;
    try {
      upload = requireUpload(ctx, bucket, key, uploadId);
    } catch (err) {
      // A retry of a Complete that went through gets the answer the first one got.
      const before =
        isStowageError(err) && err.code === 'E_NO_SUCH_UPLOAD'
          ? completedBefore(ctx, { bucket, key, uploadId }, list)
          : undefined;
      if (before) return before;
      throw err;
    }
    const state = requireBucket(ctx, bucket).versioning;
    const parts = checkPartList(ctx, upload, list);
    const size = parts.reduce((n, p) => n + p.size, 0);
    checkCompleteClaims(upload, size, options);
    if (size > ctx.limits.maxObjectSizeBytes) {
      throw new StowageError(
        'E_ENTITY_TOO_LARGE',
        `the object would be ${size} bytes; the maximum is ${ctx.limits.maxObjectSizeBytes}`,
        { details: { sizeBytes: size, maxSizeBytes: ctx.limits.maxObjectSizeBytes } },
      );
    }
    checkCurrentConditions(ctx, bucket, key, options.conditions);
    checkUnchangedSinceCreate(ctx, upload, options.conditions);
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.md5, 'hex')));
    const etag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
    const checksums: ChecksumValues = {};
    const algorithm = upload.checksum_algorithm as ChecksumAlgorithm | null;
    const type = (upload.checksum_type as ChecksumType | null) ?? undefined;
    if (algorithm && type) {
      checksums[algorithm] = objectChecksum(algorithm, type, parts);
      const expected = options.checksums?.[algorithm];
      if (
        expected !== undefined &&
        expected !== checksums[algorithm] &&
        `${expected}-${parts.length}` !== checksums[algorithm]
      ) {
        throw new StowageError(
          'E_CHECKSUM_MISMATCH',
          `the ${algorithm} you specified did not match the calculated checksum`,
        );
      }
    }
    const used = new Set(parts.map((p) => p.part_number));
    const unused = ctx
      .sql('SELECT part_number, blob_id FROM parts WHERE upload_id = ?')
      .all(uploadId) as Array<{ part_number: number; blob_id: string | null }>;
    tx.dropBlobs(
      unused.filter((p) => !used.has(p.part_number) && p.blob_id).map((p) => p.blob_id!),
    );
    const now = ctx.now();
    const v: NewVersion = {
      bucket,
      key,
      is_delete_marker: 0,
      size,
      etag,
      headers: upload.headers,
      metadata: upload.metadata,
      tags: upload.tags,
      storage_class: upload.storage_class,
      restore: null,
      checksums: JSON.stringify(checksums),
      checksum_type: type ?? null,
      md5: null,
      sha256: null,
      segments: JSON.stringify(
        parts
          .filter((p) => p.blob_id)
          .map((p) => ({
            b: p.blob_id,
            n: p.size,
            s: p.sha256,
            ...(p.envelope ? { e: JSON.parse(p.envelope) as unknown } : {}),
          })),
      ),
      part_sizes: JSON.stringify(parts.map((p) => p.size)),
      part_checksums: algorithm
        ? JSON.stringify(
            parts.map((p) => ({
              [algorithm]: (JSON.parse(p.checksums) as ChecksumValues)[algorithm],
            })),
          )
        : null,
      created_at: now,
      accessed_at: now,
      encryption: upload.encryption || null,
      // The ACL and Object Lock settings the upload's CreateMultipartUpload gave the object.
      acl: upload.acl ?? null,
      lock: upload.lock ?? null,
    };
    const versionId = placeVersion(ctx, tx, state, v);
    const encryption = encryptionOf(upload.encryption);
    ctx.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
    const result: PutObjectResult = {
      etag,
      versionId,
      size,
      checksums,
      ...(type && algorithm ? { checksumType: type } : {}),
      ...encryptionField(encryption),
    };
    rememberCompleted(ctx, { bucket, key, uploadId }, list, result);
    return result;
  });
}
