/** PutObject: stream the body into a blob, then commit the version in one transaction. */
import { StowageError } from '../../errors.js';
import { committedBeforeFailure } from '../db/commit-queue.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { writeBlob, type BlobBody, type WrittenBlob } from '../blobs/write-blob.js';
import { assertKey } from '../names.js';
import type { NewVersion } from '../rows.js';
import { parseStorageClass } from '../storage-class.js';
import type {
  ChecksumValues,
  ObjectEncryption,
  ObjectHeaders,
  PutObjectOptions,
  PutObjectResult,
  StorageClass,
  VersioningState,
  WriteConditions,
} from '../types.js';
import {
  algorithmsFor,
  assertChecksumValues,
  assertContentMd5,
  checksumValuesOf,
  cleanHeaders,
  normalizeMetadata,
  validateTags,
  verifyDigests,
} from './input.js';
import { assertStoredAcl } from './acl.js';
import { lockAttribute } from './object-lock.js';
import { checkCurrentConditions, newVersionId, placeVersion } from './placement.js';
import { blobEncryption, encryptionField, resolveFor } from './encryption.js';

/** Everything about a new version except its bytes. */
export interface VersionAttributes {
  headers: ObjectHeaders;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  storageClass: StorageClass;
  /** The stored ACL; undefined is private. */
  acl?: string;
  /** The stored Object Lock settings (see object-lock.ts); undefined is none. */
  lock?: string;
}

/** Validates the attributes of a write; throws before any byte is read. */
export function versionAttributes(options: {
  headers?: ObjectHeaders;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  storageClass?: string;
  acl?: string;
}): VersionAttributes {
  return {
    headers: cleanHeaders(options.headers),
    metadata: normalizeMetadata(options.metadata),
    tags: validateTags(options.tags),
    storageClass: parseStorageClass(options.storageClass),
    ...(options.acl !== undefined ? { acl: assertStoredAcl(options.acl) } : {}),
  };
}

/**
 * Commits a written blob as the latest version of `key`. If the commit fails (bucket
 * gone, precondition failed) the blob is removed. Shared by put and copy.
 */
export async function commitSingleBlob(
  ctx: EngineContext,
  bucket: string,
  key: string,
  blob: WrittenBlob,
  attrs: VersionAttributes,
  conditions: WriteConditions | undefined,
  encryption?: ObjectEncryption,
  chosen?: ChosenVersion,
): Promise<PutObjectResult & { createdAt: number }> {
  const etag = `"${blob.md5.toString('hex')}"`;
  const checksums: ChecksumValues = checksumValuesOf(blob);
  try {
    return await ctx.queue.run((tx) => {
      const state = requireBucket(ctx, bucket).versioning;
      checkCurrentConditions(ctx, bucket, key, conditions);
      const now = ctx.now();
      const v: NewVersion = {
        bucket,
        key,
        is_delete_marker: 0,
        size: blob.size,
        etag,
        headers: JSON.stringify(attrs.headers),
        metadata: JSON.stringify(attrs.metadata),
        tags: JSON.stringify(attrs.tags),
        storage_class: attrs.storageClass,
        restore: null,
        checksums: JSON.stringify(checksums),
        checksum_type: Object.keys(checksums).length > 0 ? 'FULL_OBJECT' : null,
        md5: blob.md5.toString('hex'),
        sha256: blob.sha256.toString('hex'),
        segments: JSON.stringify(
          blob.id
            ? [
                {
                  b: blob.id,
                  n: blob.size,
                  s: blob.sha256.toString('hex'),
                  ...(blob.envelope ? { e: blob.envelope } : {}),
                },
              ]
            : [],
        ),
        part_sizes: '[]',
        created_at: now,
        accessed_at: now,
        encryption: encryption ? JSON.stringify(encryption) : null,
        acl: attrs.acl ?? null,
        lock: attrs.lock ?? null,
      };
      const versionIdNow = chosenVersion(state, chosen);
      if (blob.inline) ctx.blobs.putInline(blob.id!, blob.inline);
      const versionId = placeVersion(ctx, tx, state, v, versionIdNow);
      return {
        etag,
        versionId,
        size: blob.size,
        checksums,
        ...(Object.keys(checksums).length > 0 ? { checksumType: 'FULL_OBJECT' as const } : {}),
        ...encryptionField(encryption),
        createdAt: v.created_at,
      };
    });
  } catch (err) {
    // A commit that went through but could not be synced references the blob: it stays.
    if (blob.id && !committedBeforeFailure(err)) ctx.blobs.remove([blob.id]);
    throw err;
  }
}

/**
 * A copy's version id, chosen as it began: taken if the bucket's versioning still agrees,
 * else `changed` is asked whether the copy may take the one its versioning gives now.
 */
export interface ChosenVersion {
  versionId: string;
  changed?: (versionId: string) => boolean;
}

/**
 * The version id a copy chosen as it began commits with: that one while the bucket's
 * versioning agrees with it (a real id while Enabled, `null` otherwise), else the id its
 * versioning gives now (undefined: a new one, or `null`), if the copy's caller accepts it.
 */
function chosenVersion(
  state: VersioningState,
  chosen: ChosenVersion | undefined,
): string | undefined {
  if (chosen === undefined) return undefined;
  const enabled = state === 'Enabled';
  if (enabled === (chosen.versionId !== 'null')) return chosen.versionId;
  const now = enabled ? newVersionId() : 'null';
  if (chosen.changed && !chosen.changed(now)) {
    throw new StowageError(
      'E_CONDITIONAL_REQUEST_CONFLICT',
      "the bucket's versioning changed while the copy ran, after its version id was told: retry the copy",
    );
  }
  return enabled ? now : undefined;
}

/** Stores an object. Nothing is visible until the bytes are whole and verified. */
export async function putObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  body: BlobBody,
  options: PutObjectOptions = {},
): Promise<PutObjectResult> {
  requireBucket(ctx, bucket);
  assertKey(key);
  const attrs = { ...versionAttributes(options), ...lockAttribute(ctx, bucket, options.lock) };
  if (options.contentMd5 !== undefined) assertContentMd5(options.contentMd5);
  if (options.checksums && !(options.checksums instanceof Promise))
    assertChecksumValues(options.checksums);
  const algorithms = algorithmsFor(options.checksumAlgorithm, options.checksums);
  const encryption = await blobEncryption(
    ctx,
    resolveFor(ctx, bucket, options.encryption),
    options.customerKey,
  );
  // Fail fast on a precondition that already does not hold; it is checked again at commit.
  checkCurrentConditions(ctx, bucket, key, options.conditions);
  const blob = await writeBlob(ctx.blobs, body, {
    expectedLength: options.contentLength,
    maxLength: ctx.limits.maxPutSizeBytes,
    algorithms,
    signal: options.signal,
    verify: (d) => verifyDigests(d, options.contentMd5, options.checksums, options.sha256),
    allowInline: true,
    ...(encryption ? { encrypt: encryption.encrypt } : {}),
  });
  const { createdAt: _createdAt, ...result } = await commitSingleBlob(
    ctx,
    bucket,
    key,
    blob,
    attrs,
    options.conditions,
    encryption?.setting,
  );
  return result;
}
