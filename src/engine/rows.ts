/** Row shapes of the metadata database and their mapping to the public types. */
import type { Segment } from './blobs/read-blobs.js';
import { lockOf } from './objects/object-lock.js';
import { restoreStatus, type RestoreRecord } from './restore.js';
import type {
  ChecksumType,
  ChecksumValues,
  ObjectInfo,
  ObjectHeaders,
  ObjectSummary,
  StorageClass,
} from './types.js';

/** A row of `versions`. */
export interface VersionRow {
  id: number;
  bucket: string;
  key: string;
  version_id: string;
  is_latest: number;
  is_delete_marker: number;
  size: number;
  etag: string;
  headers: string;
  metadata: string;
  tags: string;
  storage_class: string;
  restore: string | null;
  checksums: string;
  checksum_type: string | null;
  md5: string | null;
  sha256: string | null;
  segments: string;
  part_sizes: string;
  created_at: number;
  accessed_at: number;
  /** Encryption at rest (JSON ObjectEncryption); NULL in the clear. */
  encryption?: string | null;
  /** The stored ACL (see objects/acl.ts); NULL is private. */
  acl?: string | null;
  /** Object Lock retention and legal hold (see objects/object-lock.ts); NULL is none. */
  lock?: string | null;
  /**
   * A completed multipart upload's part checksums in the upload's algorithm (JSON array of
   * ChecksumValues, one per part); NULL for other objects and for uploads without one.
   */
  part_checksums?: string | null;
}

/** The columns of a new version row (id and is_latest are set by the engine). */
export type NewVersion = Omit<VersionRow, 'id' | 'is_latest' | 'version_id'>;

/** Blob ids a version row owns. */
export function segmentsOf(row: Pick<VersionRow, 'segments'>): Segment[] {
  return JSON.parse(row.segments) as Segment[];
}

/** Blob ids a version row owns. */
export function blobIdsOf(row: Pick<VersionRow, 'segments'>): string[] {
  return segmentsOf(row).map((s) => s.b);
}

/** The parsed restore record of a row. */
export function restoreOf(row: Pick<VersionRow, 'restore'>): RestoreRecord | undefined {
  return row.restore ? (JSON.parse(row.restore) as RestoreRecord) : undefined;
}

/** The columns of `versions` an {@link ObjectSummary} is made of (a listing selects only these). */
export const SUMMARY_COLUMNS =
  'id, bucket, key, version_id, is_latest, is_delete_marker, size, etag, storage_class, restore, checksums, checksum_type, created_at';

/** A row of `versions` with only {@link SUMMARY_COLUMNS}. */
export type SummaryRow = Pick<
  VersionRow,
  | 'id'
  | 'bucket'
  | 'key'
  | 'version_id'
  | 'is_latest'
  | 'is_delete_marker'
  | 'size'
  | 'etag'
  | 'storage_class'
  | 'restore'
  | 'checksums'
  | 'checksum_type'
  | 'created_at'
>;

/** Maps a row to ObjectSummary; restore state is evaluated at `nowMs`. */
export function toObjectSummary(row: SummaryRow, nowMs: number): ObjectSummary {
  const restore = restoreStatus(restoreOf(row), nowMs);
  return {
    bucket: row.bucket,
    key: row.key,
    versionId: row.version_id,
    isLatest: row.is_latest === 1,
    isDeleteMarker: row.is_delete_marker === 1,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.created_at),
    storageClass: row.storage_class as StorageClass,
    ...(restore ? { restore } : {}),
    checksums: row.checksums === '{}' ? {} : (JSON.parse(row.checksums) as ChecksumValues),
    ...(row.checksum_type ? { checksumType: row.checksum_type as ChecksumType } : {}),
  };
}

/** Maps a row to ObjectInfo; restore state is evaluated at `nowMs`. */
export function toObjectInfo(row: VersionRow, nowMs: number): ObjectInfo {
  const partSizes = JSON.parse(row.part_sizes) as number[];
  return {
    ...toObjectSummary(row, nowMs),
    lastAccessedAt: new Date(row.accessed_at),
    headers: JSON.parse(row.headers) as ObjectHeaders,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    tags: JSON.parse(row.tags) as Record<string, string>,
    ...(row.sha256 ? { sha256: row.sha256 } : {}),
    partsCount: partSizes.length,
    partSizes,
    ...(row.part_checksums
      ? { partChecksums: JSON.parse(row.part_checksums) as ChecksumValues[] }
      : {}),
    ...(row.encryption
      ? { encryption: JSON.parse(row.encryption) as ObjectInfo['encryption'] }
      : {}),
    ...(row.lock ? { lock: lockOf(row) } : {}),
  };
}
