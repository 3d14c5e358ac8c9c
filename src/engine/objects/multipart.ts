/**
 * Multipart uploads. Each part is its own blob; completing an upload makes those blobs
 * the segments of the new version in one transaction, so a multi-GB object is never
 * copied on completion and a crash leaves either the upload or the object, never half.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { isStowageError, StowageError } from '../../errors.js';
import { readSegments } from '../blobs/read-blobs.js';
import { writeBlob, type BlobBody } from '../blobs/write-blob.js';
import { committedBeforeFailure } from '../db/commit-queue.js';
import { requireBucket } from '../buckets.js';
import { combineCrc, compositeChecksum } from '../checksums/index.js';
import type { EngineContext } from '../context.js';
import { checkReadConditions, normalizeEtag } from '../conditions.js';
import { assertKey } from '../names.js';
import { resolveCopyRange } from '../range.js';
import { segmentsOf, type NewVersion } from '../rows.js';
import type {
  ByteRange,
  ChecksumAlgorithm,
  ChecksumType,
  ChecksumValues,
  CompletedPart,
  CompleteMultipartOptions,
  CopyStart,
  CreateMultipartOptions,
  PartInfo,
  PutObjectResult,
  ReadConditions,
  StorageClass,
  UploadInfo,
  UploadPartOptions,
  WriteConditions,
} from '../types.js';
import {
  assertChecksumValues,
  assertContentMd5,
  checksumValuesOf,
  verifyDigests,
} from './input.js';
import { checkCurrentConditions, latestRow, placeVersion } from './placement.js';
import { lockAttribute } from './object-lock.js';
import { completedBefore, rememberCompleted } from './completed-uploads.js';
import {
  blobEncryption,
  encryptionField,
  encryptionOf,
  keysFor,
  resolveFor,
} from './encryption.js';
import { versionAttributes } from './put.js';
import { assertReadable, resolveVersion } from './read.js';

/** S3's limit on parts per upload. */
export const MAX_PARTS = 10000;

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated_at: number;
  headers: string;
  metadata: string;
  tags: string;
  storage_class: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  /** Encryption at rest of the parts and the object (JSON), NULL in the clear. */
  encryption?: string | null;
  /** The key's latest row id when the upload was created (0: none; NULL: not recorded). */
  base_seq: number | null;
  /** See UploadInfo.initiator (NULL: the account). */
  initiator: string | null;
  /** The ACL of the completed object (see objects/acl.ts); NULL is private. */
  acl?: string | null;
  /** The Object Lock settings of the completed object (see object-lock.ts); NULL is none. */
  lock?: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  md5: string;
  sha256: string;
  checksums: string;
  blob_id: string | null;
  created_at: number;
  /** The blob's encryption envelope (JSON), NULL in the clear. */
  envelope: string | null;
}

/** Maps an upload row to the public shape. */
export function toUploadInfo(row: UploadRow): UploadInfo {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiatedAt: new Date(row.initiated_at),
    storageClass: row.storage_class as StorageClass,
    ...(row.checksum_algorithm
      ? { checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm }
      : {}),
    ...(row.checksum_type ? { checksumType: row.checksum_type as ChecksumType } : {}),
    ...encryptionField(encryptionOf(row.encryption)),
    ...(row.initiator ? { initiator: row.initiator } : {}),
  };
}

function toPartInfo(row: PartRow): PartInfo {
  return {
    partNumber: row.part_number,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.created_at),
    checksums: JSON.parse(row.checksums) as ChecksumValues,
  };
}

/** Reads an upload of `bucket`/`key` or throws NoSuchUpload. Usable inside commit jobs. */
export function requireUpload(
  ctx: EngineContext,
  bucket: string,
  key: string,
  uploadId: string,
): UploadRow {
  requireBucket(ctx, bucket);
  const row = ctx.sql('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as
    UploadRow | undefined;
  if (!row || row.bucket !== bucket || row.key !== key) {
    throw new StowageError(
      'E_NO_SUCH_UPLOAD',
      `multipart upload "${uploadId}" does not exist for key "${key}"`,
      {
        details: { bucket, key, uploadId },
      },
    );
  }
  return row;
}

const CRC_ALGORITHMS = new Set<ChecksumAlgorithm>(['CRC32', 'CRC32C', 'CRC64NVME']);

/** The last upload ID's time part, so IDs made within one microsecond still increase. */
let lastUploadTime = 0;

/**
 * A new upload ID: a strictly increasing time in microseconds (14 hex digits) then 22
 * random characters, so that IDs sort as their uploads were initiated and
 * ListMultipartUploads can resume after an upload-id-marker whose upload is gone ("upload
 * IDs lexicographically greater", as S3 documents it).
 */
function newUploadId(): string {
  lastUploadTime = Math.max(Date.now() * 1000, lastUploadTime + 1);
  return lastUploadTime.toString(16).padStart(14, '0') + randomBytes(16).toString('base64url');
}

/**
 * Makes the next upload IDs sort after those the database holds (uploads in progress and
 * completed ones remembered), for Engine.open: the counter above starts from the clock, and
 * after a restart with the clock stepped back, a new upload got a smaller ID than older
 * ones, and a ListMultipartUploads resuming after an aborted older one skipped it.
 */
export function continueUploadIds(db: Database): void {
  const row = db
    .prepare(
      'SELECT max(m) AS m FROM (SELECT max(upload_id) AS m FROM uploads UNION ALL SELECT max(upload_id) FROM completed_uploads)',
    )
    .get() as { m: string | null };
  const time = row.m ? parseInt(row.m.slice(0, 14), 16) : NaN;
  if (Number.isSafeInteger(time)) lastUploadTime = Math.max(lastUploadTime, time);
}
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
  source: {
    bucket: string;
    key: string;
    versionId?: string;
    range?: ByteRange | string;
    conditions?: ReadConditions;
    /** SSE-C: the source's key. */
    customerKey?: Buffer;
  },
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

/**
 * What the client states about the object it completes must hold: the checksum type and
 * an object checksum must be the upload's (a checksum of another algorithm could not be
 * checked, and is refused rather than ignored), and x-amz-mp-object-size its size.
 */
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

/** S3's InvalidRequest for an x-amz-checksum-type that is neither type. */
function invalidChecksumType(given: string): StowageError {
  return new StowageError(
    'E_INVALID_REQUEST',
    `Value for x-amz-checksum-type header is invalid: "${given}" (COMPOSITE or FULL_OBJECT)`,
  );
}

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
  const truncated = rows.length > max;
  return {
    upload: toUploadInfo(upload),
    parts: page.map(toPartInfo),
    isTruncated: truncated,
    // S3 names the last part listed whether or not the listing is truncated.
    ...(page.length > 0 ? { nextPartNumberMarker: page[page.length - 1]!.part_number } : {}),
  };
}
