/** ListObjects (V1, V2), ListObjectVersions and ListMultipartUploads. */
import type { ObjectSummary } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { attributeNames, bucketOf, intParam, param, type S3Request } from '../context.js';
import { sendXml } from '../respond.js';
import { XmlSequence, type XmlObject } from '../xml/build.js';
import { initiatorOf, OWNER } from './owner.js';

/**
 * With encoding-type=url, S3 URL-encodes keys and prefixes so keys with characters XML
 * cannot carry survive. Every byte but letters, digits and `-_.*\/` is percent-encoded,
 * `!'()~` too (which encodeURIComponent leaves), and a space is `%20`, as s3-tests
 * (`test_bucket_list_encoding_basic`: `quux ab/` is `quux%20ab/`) and RGW have it: every
 * decoder reads `%20` as a space, where a `+` stays a `+` for a strict one
 * (decodeURIComponent, Go's PathUnescape, a key put back into a URL path as it came).
 */
function encoder(r: S3Request): (s: string | undefined) => string | undefined {
  const type = param(r, 'encoding-type');
  if (type === undefined) return (s) => s;
  if (type !== 'url')
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `invalid encoding-type "${type}"; the only value is "url"`,
      {
        details: { argumentName: 'encoding-type', argumentValue: type },
      },
    );
  return (s) =>
    s === undefined
      ? undefined
      : encodeURIComponent(s)
          .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
          .replace(/%2F/g, '/');
}

/**
 * Whether a listing asked for each object's RestoreStatus: S3 writes it only when
 * `x-amz-optional-object-attributes` names it ("fields that you do not specify are not
 * returned"), and that is the only field the header may name.
 */
function wantsRestoreStatus(r: S3Request): boolean {
  return attributeNames(r, 'x-amz-optional-object-attributes', ['RestoreStatus']).length > 0;
}

function contents(
  o: ObjectSummary,
  enc: (s: string) => string | undefined,
  owner: boolean,
  restoreStatus: boolean,
): XmlObject {
  const algorithm = Object.keys(o.checksums)[0];
  return {
    Key: enc(o.key),
    LastModified: o.lastModified,
    ETag: o.etag,
    ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: o.checksumType } : {}),
    Size: o.size,
    // Owner before StorageClass, as S3 writes them (its documentation shows the reverse):
    // readers that bind elements in order (Common Lisp's zs3) expect S3's wire order.
    ...(owner ? { Owner: OWNER } : {}),
    StorageClass: o.storageClass,
    ...(o.restore && restoreStatus
      ? {
          RestoreStatus: {
            IsRestoreInProgress: o.restore.ongoing,
            RestoreExpiryDate: o.restore.expiresAt,
          },
        }
      : {}),
  };
}

/**
 * A parameter of the other listing version: S3 refuses V1's marker in a V2 listing and V2's
 * start-after in a V1 one, rather than list everything as if it were not there. An empty
 * one asks for nothing and is let through (libraries that always send `marker=`).
 */
function refuseOtherVersion(r: S3Request, name: string, version: string): void {
  const value = param(r, name);
  if (value === undefined || value === '') return;
  throw new StowageError('E_INVALID_ARGUMENT', `${name} is not a parameter of ${version}`, {
    details: { argumentName: name, argumentValue: value },
  });
}

/** ListObjectsV2. */
export function listObjectsV2(r: S3Request): void {
  refuseOtherVersion(r, 'marker', 'ListObjectsV2 (use start-after)');
  const bucket = bucketOf(r);
  const enc = encoder(r);
  const restore = wantsRestoreStatus(r);
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const token = param(r, 'continuation-token');
  const startAfter = param(r, 'start-after');
  const maxKeys = intParam(r, 'max-keys') ?? 1000;
  const page = r.engine.listObjectSummaries(bucket, {
    prefix,
    delimiter,
    continuationToken: token,
    startAfter,
    maxKeys,
  });
  sendXml(r.res, 200, 'ListBucketResult', {
    Name: bucket,
    Prefix: enc(prefix ?? ''),
    // An empty delimiter is no delimiter, and S3 leaves the element out (as in V1).
    Delimiter: delimiter ? enc(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: param(r, 'encoding-type'),
    KeyCount: page.objects.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ContinuationToken: token,
    NextContinuationToken: page.nextContinuationToken,
    // S3 leaves StartAfter out when a continuation token (which wins over it) is given.
    StartAfter: token === undefined ? enc(startAfter) : undefined,
    Contents: page.objects.map((o) =>
      contents(o, (s) => enc(s), param(r, 'fetch-owner') === 'true', restore),
    ),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

/** ListObjects (V1): marker in, NextMarker out (only with a delimiter, as S3). */
export function listObjectsV1(r: S3Request): void {
  refuseOtherVersion(r, 'start-after', 'ListObjects (use marker, or list-type=2)');
  const bucket = bucketOf(r);
  const enc = encoder(r);
  const restore = wantsRestoreStatus(r);
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const marker = param(r, 'marker');
  const maxKeys = intParam(r, 'max-keys') ?? 1000;
  const page = r.engine.listObjectSummaries(bucket, {
    prefix,
    delimiter,
    startAfter: marker,
    maxKeys,
  });
  sendXml(r.res, 200, 'ListBucketResult', {
    Name: bucket,
    Prefix: enc(prefix ?? ''),
    Marker: enc(marker ?? ''),
    NextMarker: delimiter && page.isTruncated ? enc(page.nextMarker) : undefined,
    MaxKeys: maxKeys,
    // An empty delimiter is no delimiter, and S3 leaves the element out.
    Delimiter: delimiter ? enc(delimiter) : undefined,
    EncodingType: param(r, 'encoding-type'),
    IsTruncated: page.isTruncated,
    Contents: page.objects.map((o) => contents(o, (s) => enc(s), true, restore)),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

/** ListObjectVersions. */
export function listObjectVersions(r: S3Request): void {
  const bucket = bucketOf(r);
  const enc = encoder(r);
  const restore = wantsRestoreStatus(r);
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const keyMarker = param(r, 'key-marker');
  const versionIdMarker = param(r, 'version-id-marker');
  const maxKeys = intParam(r, 'max-keys') ?? 1000;
  const page = r.engine.listObjectVersions(bucket, {
    prefix,
    delimiter,
    keyMarker,
    versionIdMarker,
    maxKeys,
  });
  sendXml(r.res, 200, 'ListVersionsResult', {
    Name: bucket,
    Prefix: enc(prefix ?? ''),
    KeyMarker: enc(keyMarker ?? ''),
    VersionIdMarker: versionIdMarker ?? '',
    NextKeyMarker: enc(page.nextKeyMarker),
    NextVersionIdMarker: page.nextVersionIdMarker,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? enc(delimiter) : undefined,
    EncodingType: param(r, 'encoding-type'),
    IsTruncated: page.isTruncated,
    // In the engine's order (by key, newest first), versions and delete markers mixed, as
    // S3 writes them: a reader of the XML in document order sees each key's history whole.
    Versions: new XmlSequence(
      page.versions.map((v) =>
        v.isDeleteMarker
          ? [
              'DeleteMarker',
              {
                Key: enc(v.key),
                VersionId: v.versionId,
                IsLatest: v.isLatest,
                LastModified: v.lastModified,
                Owner: OWNER,
              },
            ]
          : [
              'Version',
              // S3's order: the version's id and latest flag right after its key.
              {
                Key: enc(v.key),
                VersionId: v.versionId,
                IsLatest: v.isLatest,
                ...contents(v, (s) => enc(s), true, restore),
              },
            ],
      ),
    ),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

/** ListMultipartUploads. */
export function listMultipartUploads(r: S3Request): void {
  const bucket = bucketOf(r);
  const enc = encoder(r);
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const keyMarker = param(r, 'key-marker');
  const uploadIdMarker = param(r, 'upload-id-marker');
  const maxUploads = intParam(r, 'max-uploads') ?? 1000;
  const page = r.engine.listMultipartUploads(bucket, {
    prefix,
    delimiter,
    keyMarker,
    uploadIdMarker,
    maxUploads,
  });
  const lastUpload = page.uploads[page.uploads.length - 1];
  sendXml(r.res, 200, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: enc(keyMarker ?? ''),
    UploadIdMarker: keyMarker ? (uploadIdMarker ?? '') : '',
    // S3 names the last upload listed on every page, the last one too ('' when none).
    NextKeyMarker: enc(page.isTruncated ? page.nextKeyMarker : (lastUpload?.key ?? '')),
    NextUploadIdMarker: page.isTruncated ? page.nextUploadIdMarker : (lastUpload?.uploadId ?? ''),
    Prefix: prefix === undefined ? undefined : enc(prefix),
    Delimiter: delimiter ? enc(delimiter) : undefined,
    MaxUploads: maxUploads,
    EncodingType: param(r, 'encoding-type'),
    IsTruncated: page.isTruncated,
    Upload: page.uploads.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      Initiator: initiatorOf(u),
      Owner: OWNER,
      StorageClass: u.storageClass,
      Initiated: u.initiatedAt,
      ChecksumAlgorithm: u.checksumAlgorithm,
      ChecksumType: u.checksumType,
    })),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}
