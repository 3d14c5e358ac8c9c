/**
 * Everything about one object: HeadObject's headers (size, ETag, type, metadata, class,
 * restore status, encryption) plus its versions from ListObjectVersions.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { StowageError } from '../../errors.js';
import { listVersions } from './list.js';
import { parseRestoreHeader, type RestoreState } from './restore-header.js';
import { call, type StoreSession } from './session.js';

/** A version of the object, newest first. */
export interface StatVersion {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  size: number;
  lastModified?: Date;
}

/** What {@link statObject} reports. */
export interface ObjectStat {
  bucket: string;
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  contentType?: string;
  cacheControl?: string;
  contentEncoding?: string;
  /** User metadata (`x-amz-meta-*`), names lowercased as S3 returns them. */
  metadata: Record<string, string>;
  /** STANDARD when the store omits the header (S3 omits it for STANDARD). */
  storageClass: string;
  /** Undefined for objects never asked to be restored. */
  restore?: RestoreState;
  /** `AES256`, `aws:kms` … or undefined when not encrypted (or the store does not say). */
  serverSideEncryption?: string;
  sseKmsKeyId?: string;
  /**
   * Object Lock: the retention (GOVERNANCE or COMPLIANCE until a date) and the legal hold
   * of the version, when it has them and the caller may read them.
   */
  objectLock?: { mode?: string; retainUntil?: Date; legalHold?: string };
  versionId?: string;
  /** Multipart objects: how many parts. */
  partsCount?: number;
  /**
   * Every version and delete marker of this exact key, newest first; undefined when the
   * listing was refused (e.g. no s3:ListBucketVersions permission).
   */
  versions?: StatVersion[];
  /** How many versions and delete markers the key has: more than `versions` holds past 1,000. */
  versionCount?: number;
}

/** Most versions {@link statObject} keeps; the others are only counted. */
const MAX_VERSIONS = 1000;

/**
 * HEADs an object and lists its versions.
 *
 * @throws StowageError `E_NO_SUCH_KEY`, `E_NO_SUCH_BUCKET`, `E_ACCESS_DENIED` …
 * @example
 * const s = await statObject(session, { bucket: 'assets', key: 'renders/hero.png' });
 * console.log(s.size, s.storageClass, s.restore?.ongoing);
 */
export async function statObject(
  session: StoreSession,
  options: { bucket: string; key: string; versions?: boolean },
): Promise<ObjectStat> {
  const { bucket, key } = options;
  if (key === '' || key.endsWith('/')) {
    throw new StowageError(
      'E_USAGE',
      `stat needs an object URL such as s3://${bucket}/path/file, got s3://${bucket}/${key}`,
      { details: { bucket, key } },
    );
  }
  const head = await call(session, { bucket, key }, () =>
    session.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
  );
  const stat: ObjectStat = {
    bucket,
    key,
    size: Number(head.ContentLength ?? 0),
    etag: head.ETag,
    lastModified: head.LastModified,
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    contentEncoding: head.ContentEncoding,
    metadata: head.Metadata ?? {},
    storageClass: head.StorageClass ?? 'STANDARD',
    restore: parseRestoreHeader(head.Restore),
    serverSideEncryption: head.ServerSideEncryption,
    sseKmsKeyId: head.SSEKMSKeyId,
    ...lockOf(head),
    versionId: head.VersionId,
    partsCount: head.PartsCount ?? partsInEtag(head.ETag),
  };
  if (options.versions !== false) {
    const listed = await versionsOf(session, bucket, key);
    if (listed) Object.assign(stat, listed);
  }
  return stat;
}

function lockOf(head: {
  ObjectLockMode?: string;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: string;
}): Pick<ObjectStat, 'objectLock'> {
  const lock = {
    ...(head.ObjectLockMode ? { mode: head.ObjectLockMode } : {}),
    ...(head.ObjectLockRetainUntilDate ? { retainUntil: head.ObjectLockRetainUntilDate } : {}),
    ...(head.ObjectLockLegalHoldStatus ? { legalHold: head.ObjectLockLegalHoldStatus } : {}),
  };
  return Object.keys(lock).length > 0 ? { objectLock: lock } : {};
}

async function versionsOf(
  session: StoreSession,
  bucket: string,
  key: string,
): Promise<{ versions: StatVersion[]; versionCount: number } | undefined> {
  const versions: StatVersion[] = [];
  let versionCount = 0;
  try {
    // The listing is by prefix: `a.png` also lists `a.png.bak`, so keep the exact key only,
    // and stop at the first key past it (keys come in order).
    for await (const v of listVersions(session, { bucket, prefix: key })) {
      if (v.key !== key) {
        if (versionCount > 0) break;
        continue;
      }
      versionCount += 1;
      if (versions.length >= MAX_VERSIONS) continue;
      versions.push({
        versionId: v.versionId,
        isLatest: v.isLatest,
        deleteMarker: v.deleteMarker,
        size: v.size,
        lastModified: v.lastModified,
      });
    }
  } catch (err) {
    if (err instanceof StowageError && err.code === 'E_ACCESS_DENIED') return undefined;
    throw err;
  }
  return { versions, versionCount };
}

/**
 * The part count of a multipart object: the "-N" S3 appends to its ETag. A HEAD carries
 * x-amz-mp-parts-count only when it names a partNumber.
 */
function partsInEtag(etag: string | undefined): number | undefined {
  const m = /-(\d+)"?$/.exec(etag ?? '');
  return m ? Number(m[1]) : undefined;
}
