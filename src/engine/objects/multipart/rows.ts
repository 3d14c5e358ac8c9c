/**
 * The rows of multipart uploads and their parts, and what every step of an upload reads
 * first: the upload itself (NoSuchUpload when it is not there).
 */
import { StowageError } from '../../../errors.js';
import { requireBucket } from '../../buckets.js';
import type { EngineContext } from '../../context.js';
import type {
  ChecksumAlgorithm,
  ChecksumType,
  ChecksumValues,
  PartInfo,
  StorageClass,
  UploadInfo,
} from '../../types.js';
import { encryptionField, encryptionOf } from '../encryption.js';

/** S3's limit on parts per upload. */
export const MAX_PARTS = 10000;

export interface UploadRow {
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

export interface PartRow {
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

export function toPartInfo(row: PartRow): PartInfo {
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

/** S3's InvalidRequest for an x-amz-checksum-type that is neither type. */
export function invalidChecksumType(given: string): StowageError {
  return new StowageError(
    'E_INVALID_REQUEST',
    `Value for x-amz-checksum-type header is invalid: "${given}" (COMPOSITE or FULL_OBJECT)`,
  );
}
