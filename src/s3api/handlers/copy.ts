/** CopyObject and the x-amz-copy-source header it shares with UploadPartCopy. */
import { StowageError } from '../../errors.js';
import { bucketOf, header, keyOf, type S3Request } from '../context.js';
import { readSmallBody } from '../small-body.js';
import { parseCopySource } from '../copy-source.js';
import { sendXml } from '../respond.js';
import { objectAclForWrite } from './acl.js';
import { lockForWrite } from './object-lock.js';
import {
  encryptionFrom,
  customerKeyFrom,
  statesEncryption,
  writeEncryptionHeaders,
} from './encryption-headers.js';
import {
  checksumElements,
  checksumAlgorithmFrom,
  metadataFrom,
  objectHeadersFrom,
  readConditionsFrom,
  taggingFrom,
} from './object-headers.js';
import { isVersionId } from '../../engine/objects/placement.js';
import { refuseVersionId, setWrittenVersionHeader, writeConditions } from './objects.js';
import { writeExpirationHeader } from './expiration-header.js';
import { answerWhenDone, answeredEarly } from '../long-answer.js';
import type { CopyStart } from '../../engine/types.js';

/** The request's x-amz-copy-source, parsed (InvalidArgument when missing or malformed). */
export function copySourceOf(r: S3Request): { bucket: string; key: string; versionId?: string } {
  const raw = header(r, 'x-amz-copy-source');
  if (raw === undefined)
    throw new StowageError('E_INVALID_ARGUMENT', 'x-amz-copy-source is missing');
  return parseCopySource(raw);
}

/**
 * A copy source missing because the client sent it unencoded: header bytes are read one
 * per byte, so raw UTF-8 (Ruby's `copy_from("bucket/é.png")`, git-annex's exports) names a
 * key that does not exist, on S3 too. The NoSuchKey stays, and says so.
 */
export function explainCopySourceMiss(r: S3Request, err: unknown): unknown {
  const raw = header(r, 'x-amz-copy-source');
  if (
    raw === undefined ||
    !/[\x80-\xff]/.test(raw) ||
    !(err instanceof StowageError) ||
    err.code !== 'E_NO_SUCH_KEY'
  ) {
    return err;
  }
  return new StowageError(
    err.code,
    `${err.message}: x-amz-copy-source holds bytes outside ASCII, which a header carries one ` +
      'character per byte; URL-encode it (as S3 requires: UTF-8, then percent-encoding)',
    { details: err.details, cause: err },
  );
}

function directive(r: S3Request, name: string): 'COPY' | 'REPLACE' | undefined {
  const v = header(r, name);
  if (v === undefined) return undefined;
  if (v !== 'COPY' && v !== 'REPLACE')
    throw new StowageError('E_INVALID_ARGUMENT', `${name} must be COPY or REPLACE, got "${v}"`);
  return v;
}

/** CopyObject. */
export async function copyObject(r: S3Request): Promise<void> {
  refuseVersionId(r);
  await readSmallBody(r, 0);
  const src = copySourceOf(r);
  // S3 refuses a CopyObject source version id it could never have issued with a bare
  // InvalidRequest (UploadPartCopy's is InvalidArgument, as the engine throws).
  if (src.versionId !== undefined && !isVersionId(src.versionId)) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `Invalid Request: "${src.versionId}" in x-amz-copy-source is not a version id`,
    );
  }
  const sourceKey = customerKeyFrom(r, true)?.key;
  const { encryption, customerKey, kmsContext } = encryptionFrom(r);
  let start: CopyStart | undefined;
  const copying = r.engine.copyObject(
    { bucket: src.bucket, key: src.key },
    { bucket: bucketOf(r), key: keyOf(r) },
    {
      sourceVersionId: src.versionId,
      metadataDirective: directive(r, 'x-amz-metadata-directive'),
      taggingDirective: directive(r, 'x-amz-tagging-directive'),
      headers: objectHeadersFrom(r),
      metadata: metadataFrom(r),
      tags: taggingFrom(r),
      storageClass: header(r, 'x-amz-storage-class'),
      sourceConditions: readConditionsFrom(r, 'x-amz-copy-source-'),
      // As PutObject's: If-Match with If-None-Match is 501.
      conditions: writeConditions(r),
      checksumAlgorithm: checksumAlgorithmFrom(r),
      acl: objectAclForWrite(r),
      lock: lockForWrite(r),
      encryption,
      customerKey,
      sourceCustomerKey: sourceKey,
      encryptionStated: statesEncryption(r),
      onStart: (s) => (start = s),
      // Versioning changed while the copy ran: its new version id is fine unless the old one
      // was told already (the copy then fails, in the 200, for the client to retry).
      onVersionChange: (versionId) => {
        if (answeredEarly(r.res)) return false;
        if (start) start = { ...start, versionId };
        return true;
      },
    },
  );
  // A long copy's answer starts with what the copy named as it began (long-answer.ts).
  const result = await answerWhenDone(r, copying, () => {
    if (start === undefined) return false;
    copyHeaders(r, src, start, start, kmsContext);
    return true;
  }).catch((err: unknown) => {
    throw explainCopySourceMiss(r, err);
  });
  if (!answeredEarly(r.res)) {
    copyHeaders(r, src, result, start ?? { size: result.size, tags: {} }, kmsContext);
  }
  const checksums = checksumElements(result.checksums);
  sendXml(r.res, 200, 'CopyObjectResult', {
    ETag: result.etag,
    LastModified: result.lastModified,
    // Beside the checksum, as S3 names it (FULL_OBJECT: a copy's checksum is of its bytes).
    ChecksumType: result.checksumType,
    ...checksums,
  });
}

/**
 * The headers of a CopyObject answer: the version and encryption from the copy's result,
 * or from what it named as it began; the expiration from the copy's size and tags.
 */
function copyHeaders(
  r: S3Request,
  src: { versionId?: string },
  copy: Pick<CopyStart, 'sourceVersionId' | 'versionId' | 'encryption'>,
  object: Pick<CopyStart, 'size' | 'tags'>,
  kmsContext: string | undefined,
): void {
  writeEncryptionHeaders(r.res, copy.encryption, kmsContext);
  if (src.versionId || copy.sourceVersionId !== 'null') {
    r.res.setHeader('x-amz-copy-source-version-id', copy.sourceVersionId);
  }
  setWrittenVersionHeader(r, copy.versionId);
  const key = keyOf(r);
  writeExpirationHeader(r, bucketOf(r), () => ({
    key,
    ...object,
    created: new Date(r.engine.now()),
  }));
}
