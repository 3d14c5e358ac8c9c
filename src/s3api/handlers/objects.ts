/** PutObject, GetObject, HeadObject, DeleteObject. */
import type { ObjectInfo, WriteConditions } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { bucketOf, header, intParam, keyOf, param, type S3Request } from '../context.js';
import { sendBody, sendEmpty } from '../respond.js';
import { parseHttpDate } from '../dates.js';
import { isHeaderSafe } from '../../header-value.js';
import { isStreamingPayload } from '../auth/payload-mode.js';
import { objectAclForWrite } from './acl.js';
import {
  encryptionFrom,
  kmsNeedsSignature,
  customerKeyFrom,
  refuseEncryptionOnRead,
  writeEncryptionHeaders,
} from './encryption-headers.js';
import {
  setChecksumHeaders,
  checksumAlgorithmFrom,
  payloadChecksums,
  metadataFrom,
  objectHeadersFrom,
  readConditionsFrom,
  taggingFrom,
  writeObjectHeaders,
} from './object-headers.js';
import { writeExpirationHeader } from './expiration-header.js';
import { bypassGovernance, lockForWrite, writeLockHeaders } from './object-lock.js';

/**
 * The body length the client declared: the decoded length for aws-chunked bodies. S3 needs
 * it: a plain body sent in HTTP chunked transfer is 501 NotImplemented (naming the
 * Transfer-Encoding header), and one with no length at all, or an aws-chunked one without
 * x-amz-decoded-content-length, is 411 MissingContentLength. (An aws-chunked body may come
 * with Transfer-Encoding: chunked, as the SDKs send streams.)
 */
export function declaredLength(r: S3Request): number {
  const streaming = isStreamingPayload(header(r, 'x-amz-content-sha256'));
  const name = streaming ? 'x-amz-decoded-content-length' : 'content-length';
  const v = header(r, name);
  if (v === undefined && !streaming && header(r, 'transfer-encoding') !== undefined) {
    // What S3 answers a plain body in HTTP chunked transfer.
    throw new StowageError(
      'E_NOT_IMPLEMENTED',
      'A header you provided implies functionality that is not implemented (Transfer-Encoding without Content-Length)',
      { details: { header: 'Transfer-Encoding' } },
    );
  }
  if (v === undefined) {
    throw new StowageError(
      'E_MISSING_CONTENT_LENGTH',
      streaming
        ? 'You must provide x-amz-decoded-content-length with an aws-chunked body'
        : 'You must provide the Content-Length HTTP header',
    );
  }
  if (!/^\d+$/.test(v))
    throw new StowageError('E_INVALID_ARGUMENT', `invalid content length "${v}"`);
  return Number(v);
}

/** Whether responses about this bucket carry x-amz-version-id for null versions too. */
export function isVersioned(r: S3Request): boolean {
  return r.engine.getBucketVersioning(bucketOf(r)) !== 'Unversioned';
}

/** Sets x-amz-version-id the way S3 does: always in versioned buckets, else only for real ids. */
export function setVersionHeader(r: S3Request, versionId: string | undefined): void {
  if (versionId === undefined) return;
  if (versionId !== 'null' || isVersioned(r)) r.res.setHeader('x-amz-version-id', versionId);
}

/**
 * The x-amz-version-id of a write (PutObject, CopyObject, CompleteMultipartUpload): S3 names
 * only a real version id; a write that made the `null` version (an unversioned or a
 * versioning-suspended bucket) answers without the header.
 */
export function setWrittenVersionHeader(r: S3Request, versionId: string | undefined): void {
  if (versionId !== undefined && versionId !== 'null')
    r.res.setHeader('x-amz-version-id', versionId);
}

/**
 * S3 refuses a `versionId` parameter on the operations that create a version (PutObject,
 * CopyObject, UploadPart, CompleteMultipartUpload) instead of ignoring it, whatever its
 * value: a client that sends one expected something else to happen.
 */
export function refuseVersionId(r: S3Request): void {
  const versionId = param(r, 'versionId');
  if (versionId === undefined) return;
  throw new StowageError('E_INVALID_ARGUMENT', 'This operation does not accept a version-id.', {
    details: { argumentName: 'versionId', argumentValue: versionId },
  });
}

/**
 * The conditions of a PutObject or CompleteMultipartUpload. S3 takes If-Match or
 * If-None-Match, not both: with both it answers 501 NotImplemented, before the body,
 * whatever the object.
 */
export function writeConditions(r: S3Request): WriteConditions {
  const conditions = { ifNoneMatch: header(r, 'if-none-match'), ifMatch: header(r, 'if-match') };
  if (conditions.ifMatch !== undefined && conditions.ifNoneMatch !== undefined) {
    throw new StowageError(
      'E_NOT_IMPLEMENTED',
      'A header you provided implies functionality that is not implemented (If-Match with If-None-Match)',
      { details: { header: 'If-Match' } },
    );
  }
  return conditions;
}

/** PutObject. */
export async function putObject(r: S3Request): Promise<void> {
  refuseVersionId(r);
  const conditions = writeConditions(r);
  const bucket = bucketOf(r);
  const key = keyOf(r);
  const checksums = payloadChecksums(r);
  const algorithm = checksumAlgorithmFrom(r);
  const { encryption, customerKey, kmsContext } = encryptionFrom(r);
  const tags = taggingFrom(r);
  // Named, not spread: spreading into this literal cost a PUT 5–10% more CPU (V8 builds
  // the object in its slow path).
  const result = await r.engine.putObject(bucket, key, r.body, {
    encryption,
    customerKey,
    contentLength: declaredLength(r),
    headers: objectHeadersFrom(r),
    metadata: metadataFrom(r),
    tags,
    storageClass: header(r, 'x-amz-storage-class'),
    contentMd5: header(r, 'content-md5'),
    sha256: r.deferSha256?.(),
    checksumAlgorithm: algorithm,
    checksums,
    conditions,
    acl: objectAclForWrite(r),
    lock: lockForWrite(r),
  });
  r.res.setHeader('ETag', result.etag);
  setWrittenVersionHeader(r, result.versionId);
  setChecksumHeaders(r.res, result.checksums);
  if (result.checksumType) r.res.setHeader('x-amz-checksum-type', result.checksumType);
  writeEncryptionHeaders(r.res, result.encryption, kmsContext);
  writeExpirationHeader(r, bucket, () => ({
    key,
    size: result.size,
    tags: tags ?? {},
    created: new Date(r.engine.now()),
  }));
  sendEmpty(r.res, 200);
}

const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

function readOptions(r: S3Request): Parameters<S3Request['engine']['getObject']>[2] {
  const customerKey = customerKeyFrom(r)?.key;
  // S3 lets only signed requests (presigned URLs included) rewrite response headers, so
  // nobody can make a public object serve as, say, text/html.
  // A response-* parameter S3 does not know is refused, not ignored (as S3 answers it).
  for (const [q, v] of r.route.query) {
    if (q.startsWith('response-') && !OVERRIDES.some(([known]) => known === q)) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `${q} is not in the set of overridable response headers. ` +
          `Please refer to the S3 API documentation for a complete list of overridable response headers.`,
        { details: { argumentName: q, argumentValue: v } },
      );
    }
  }
  const overrides = OVERRIDES.filter(([q]) => param(r, q) !== undefined).map(([q]) => q);
  for (const q of overrides) assertLatin1(q, param(r, q)!);
  if (r.anonymous && overrides.length > 0) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Request specific response headers cannot be used for anonymous GET requests ` +
        `(${overrides.join(', ')})`,
    );
  }
  const range = header(r, 'range');
  const ifRange = ifRangeFrom(header(r, 'if-range'));
  const partNumber = intParam(r, 'partNumber');
  return {
    versionId: param(r, 'versionId'),
    ...(range !== undefined ? { range } : {}),
    ...(range !== undefined && ifRange !== undefined ? { ifRange } : {}),
    ...(partNumber !== undefined ? { partNumber } : {}),
    conditions: readConditionsFrom(r),
    customerKey,
  };
}

/**
 * An If-Range as the engine compares it: a date in any of HTTP's three forms, else the
 * entity tag as sent (a value that is neither never matches).
 */
function ifRangeFrom(value: string | undefined): string | Date | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v;
  return parseHttpDate(v) ?? v;
}

/**
 * A response-* override becomes a response header, whose bytes are ISO-8859-1: S3 refuses a
 * value outside it (and one with a control character) rather than send something else.
 */
function assertLatin1(name: string, value: string): void {
  if (!isHeaderSafe(value)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      'Header value cannot be represented using ISO-8859-1.',
      { details: { argumentName: name, argumentValue: value } },
    );
  }
}

/**
 * As S3: an object encrypted with SSE-KMS is read only by a signed request ("object URL"
 * downloads of such an object fail there), whatever a bucket policy or ACL allows.
 */
function refuseAnonymousKms(r: S3Request, info: ObjectInfo): void {
  if (r.anonymous && info.encryption?.algorithm.startsWith('aws:kms')) throw kmsNeedsSignature();
}

/** HeadObject: 200, or 206 with the length and Content-Range a GET would send for a range or part. */
export function headObject(r: S3Request): void {
  refuseEncryptionOnRead(r);
  const info = r.engine.headObject(bucketOf(r), keyOf(r), readOptions(r));
  refuseAnonymousKms(r, info);
  writeReadHeaders(r, info, info.range);
  r.res.end();
}

/** GetObject: 200, or 206 with Content-Range for a range or part. */
export async function getObject(r: S3Request): Promise<void> {
  refuseEncryptionOnRead(r);
  const got = r.engine.getObject(bucketOf(r), keyOf(r), readOptions(r));
  try {
    refuseAnonymousKms(r, got.info);
    writeReadHeaders(r, got.info, got.range);
  } catch (err) {
    got.body.destroy();
    throw err;
  }
  await sendBody(got.body, r.res);
}

/**
 * The status and headers of a GET or HEAD: the object's headers, the response-* overrides,
 * and the length of what is sent. With x-amz-checksum-mode, the whole object gets its
 * checksums, one part of a multipart object its part's, and any other range none.
 */
function writeReadHeaders(
  r: S3Request,
  info: ObjectInfo,
  range: { start: number; end: number } | undefined,
): void {
  // The CRT's S3 client sends 'enabled'; S3 takes the value in any case.
  const checksumMode = header(r, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const partNumber = intParam(r, 'partNumber');
  writeObjectHeaders(r.res, info, {
    versioned: isVersioned(r),
    // A range that covers the whole object still gets the object's checksum, as on S3.
    checksumMode:
      checksumMode &&
      (range === undefined ||
        (partNumber === undefined && range.start === 0 && range.end === info.size - 1)),
  });
  writeLockHeaders(r, info);
  if (info.isLatest && !info.isDeleteMarker) {
    writeExpirationHeader(r, info.bucket, () => ({ ...info, created: info.lastModified }));
  }
  // One part of a multipart object: that part's own checksum, which a client can check.
  const part = partNumber !== undefined ? info.partChecksums?.[partNumber - 1] : undefined;
  // S3 names the part count only to a read of one part (HeadObject/GetObject docs).
  if (partNumber !== undefined && info.partsCount > 0) {
    r.res.setHeader('x-amz-mp-parts-count', info.partsCount);
  }
  if (checksumMode && part) setChecksumHeaders(r.res, part);
  for (const [q, h] of OVERRIDES) {
    const v = param(r, q);
    if (v !== undefined) r.res.setHeader(h, v);
  }
  if (range) {
    r.res.statusCode = 206;
    // An empty part (a last part of 0 bytes) has no range to state: 206 with no bytes.
    if (range.end >= range.start) {
      r.res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    }
    r.res.setHeader('Content-Length', Math.max(0, range.end - range.start + 1));
  } else {
    r.res.statusCode = 200;
    r.res.setHeader('Content-Length', info.size);
  }
}

/** S3's answer to a delete condition it does not take (see refuseDeleteCondition in object-extras.ts). */
export function deleteConditionNotImplemented(what: string): StowageError {
  return new StowageError(
    'E_NOT_IMPLEMENTED',
    `A header you provided implies functionality that is not implemented: a delete conditional on ${what} (size and last-modified-time conditions are for directory buckets, and an If-Match cannot name a version)`,
  );
}

/** DeleteObject. */
export async function deleteObject(r: S3Request): Promise<void> {
  const versionId = param(r, 'versionId');
  const ifMatch = header(r, 'if-match');
  for (const name of ['x-amz-if-match-size', 'x-amz-if-match-last-modified-time']) {
    if (header(r, name) !== undefined) throw deleteConditionNotImplemented(name);
  }
  // If-Match with a versionId: the engine refuses it (objects/delete.ts).
  const key = keyOf(r);
  const bypass = bypassGovernance(r, key, versionId);
  const result = await r.engine.deleteObject(bucketOf(r), key, {
    ...(versionId !== undefined ? { versionId } : {}),
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(bypass ? { bypassGovernance: true } : {}),
  });
  if (result.deleteMarker) r.res.setHeader('x-amz-delete-marker', 'true');
  if (result.versionId !== undefined) r.res.setHeader('x-amz-version-id', result.versionId);
  sendEmpty(r.res, 204);
}
