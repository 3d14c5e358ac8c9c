/** The multipart set: create, upload part (and copy), complete, abort, list parts. */
import type { ChecksumAlgorithm, ChecksumType, CompletedPart } from '../../engine/types.js';
import { CHECKSUM_ALGORITHMS, isValidChecksumValue } from '../../engine/checksums/index.js';
import { StowageError } from '../../errors.js';
import { bucketOf, header, intParam, keyOf, param, type S3Request } from '../context.js';
import { readSmallBody } from '../small-body.js';
import { requestOrigin } from '../request-origin.js';
import { sendXml } from '../respond.js';
import { objectAclForWrite } from './acl.js';
import { lockForWrite } from './object-lock.js';
import { childText, children, parseXml, type XmlNode } from '../xml/parse.js';
import { copySourceOf, explainCopySourceMiss } from './copy.js';
import {
  encryptionFrom,
  customerKeyFrom,
  refuseEncryptionOnPart,
  writeEncryptionHeaders,
} from './encryption-headers.js';
import {
  checksumElements,
  setChecksumHeaders,
  checksumAlgorithmFrom,
  checksumsFrom,
  payloadChecksums,
  metadataFrom,
  objectHeadersFrom,
  readConditionsFrom,
  taggingFrom,
} from './object-headers.js';
import {
  declaredLength,
  refuseVersionId,
  setWrittenVersionHeader,
  writeConditions,
} from './objects.js';
import { initiatorOf, OWNER } from './owner.js';
import { writeExpirationHeader, writtenObject } from './expiration-header.js';
import { answerWhenDone, answeredEarly } from '../long-answer.js';
import type { CopyStart } from '../../engine/types.js';

function uploadIdOf(r: S3Request): string {
  const id = param(r, 'uploadId');
  if (!id) throw new StowageError('E_NO_SUCH_UPLOAD', 'the uploadId parameter is missing');
  return id;
}

function partNumberOf(r: S3Request): number {
  const n = intParam(r, 'partNumber');
  if (n === undefined)
    throw new StowageError('E_INVALID_ARGUMENT', 'the partNumber parameter is missing');
  return n;
}

/** CreateMultipartUpload. */
export async function createMultipartUpload(r: S3Request): Promise<void> {
  const typeHeader = header(r, 'x-amz-checksum-type');
  const { encryption, kmsContext } = encryptionFrom(r);
  const upload = await r.engine.createMultipartUpload(bucketOf(r), keyOf(r), {
    encryption,
    headers: objectHeadersFrom(r),
    metadata: metadataFrom(r),
    tags: taggingFrom(r),
    storageClass: header(r, 'x-amz-storage-class'),
    checksumAlgorithm: checksumAlgorithmFrom(r),
    ...(typeHeader ? { checksumType: typeHeader.toUpperCase() as ChecksumType } : {}),
    acl: objectAclForWrite(r),
    lock: lockForWrite(r),
    ...(r.userArn ? { initiator: r.userArn } : {}),
  });
  if (upload.checksumAlgorithm)
    r.res.setHeader('x-amz-checksum-algorithm', upload.checksumAlgorithm);
  if (upload.checksumType) r.res.setHeader('x-amz-checksum-type', upload.checksumType);
  writeEncryptionHeaders(r.res, upload.encryption, kmsContext);
  sendXml(r.res, 200, 'InitiateMultipartUploadResult', {
    Bucket: upload.bucket,
    Key: upload.key,
    UploadId: upload.uploadId,
  });
}

/** UploadPart. */
export async function uploadPart(r: S3Request): Promise<void> {
  refuseVersionId(r);
  const checksums = payloadChecksums(r);
  const customerKey = customerKeyFrom(r)?.key;
  refuseEncryptionOnPart(r);
  const part = await r.engine.uploadPart(
    bucketOf(r),
    keyOf(r),
    uploadIdOf(r),
    partNumberOf(r),
    r.body,
    {
      contentLength: declaredLength(r),
      contentMd5: header(r, 'content-md5'),
      sha256: r.deferSha256?.(),
      checksums,
      checksumAlgorithm: checksumAlgorithmFrom(r),
      customerKey,
    },
  );
  r.res.setHeader('ETag', part.etag);
  writeEncryptionHeaders(r.res, part.encryption);
  setChecksumHeaders(r.res, part.checksums);
  r.res.statusCode = 200;
  r.res.setHeader('Content-Length', 0);
  r.res.end();
}

/** x-amz-checksum-type and x-amz-mp-object-size of CompleteMultipartUpload, when sent. */
function completeClaims(r: S3Request): { checksumType?: string; objectSize?: number } {
  const checksumType = header(r, 'x-amz-checksum-type');
  const size = header(r, 'x-amz-mp-object-size');
  if (size !== undefined && !/^\d{1,16}$/.test(size.trim())) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-mp-object-size must be a whole number of bytes, got "${size}"`,
    );
  }
  return {
    ...(checksumType !== undefined ? { checksumType } : {}),
    ...(size !== undefined ? { objectSize: Number(size) } : {}),
  };
}

/** UploadPartCopy. */
export async function uploadPartCopy(r: S3Request): Promise<void> {
  refuseVersionId(r);
  // No body, as for CopyObject; reading it checks a signed SHA-256 of one against nothing.
  await readSmallBody(r, 0);
  const src = copySourceOf(r);
  const sourceKey = customerKeyFrom(r, true)?.key;
  const customerKey = customerKeyFrom(r)?.key;
  const range = header(r, 'x-amz-copy-source-range');
  if (range !== undefined && !/^bytes=\d+-\d+$/.test(range)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-copy-source-range "${range}" must be bytes=first-last`,
    );
  }
  let start: CopyStart | undefined;
  const copying = r.engine.uploadPartCopy(
    bucketOf(r),
    keyOf(r),
    uploadIdOf(r),
    partNumberOf(r),
    {
      ...src,
      ...(range ? { range } : {}),
      conditions: readConditionsFrom(r, 'x-amz-copy-source-'),
      ...(sourceKey ? { customerKey: sourceKey } : {}),
    },
    customerKey,
    (s) => (start = s),
  );
  const partHeaders = (copy: Pick<CopyStart, 'sourceVersionId' | 'encryption'>): void => {
    if (src.versionId || copy.sourceVersionId !== 'null')
      r.res.setHeader('x-amz-copy-source-version-id', copy.sourceVersionId);
    writeEncryptionHeaders(r.res, copy.encryption);
  };
  // A long copy's answer starts with what the copy named as it began (long-answer.ts).
  const part = await answerWhenDone(r, copying, () => {
    if (start === undefined) return false;
    partHeaders(start);
    return true;
  }).catch((err: unknown) => {
    throw explainCopySourceMiss(r, err);
  });
  if (!answeredEarly(r.res)) partHeaders(part);
  sendXml(r.res, 200, 'CopyPartResult', {
    ETag: part.etag,
    LastModified: part.lastModified,
    ...checksumElements(part.checksums),
  });
}

/**
 * The checksum a `<Part>` of CompleteMultipartUpload names. One at most, of its algorithm's
 * digest length: else S3's InvalidArgument, naming them all as `CRC32:<value>;`.
 */
function partChecksums(part: XmlNode): Partial<Record<ChecksumAlgorithm, string>> {
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const alg of CHECKSUM_ALGORITHMS) {
    const v = childText(part, `Checksum${alg}`);
    if (v !== undefined) checksums[alg] = v;
  }
  const given = Object.entries(checksums) as Array<[ChecksumAlgorithm, string]>;
  if (given.length > 1 || given.some(([alg, v]) => !isValidChecksumValue(alg, v))) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      'Invalid Base64 or multiple checksums present in request',
      {
        details: {
          argumentName: 'Checksum',
          argumentValue: given
            .map(([alg, v]) => `${alg}:${v};`)
            .sort()
            .join(''),
        },
      },
    );
  }
  return checksums;
}

/** CompleteMultipartUpload. */
export async function completeMultipartUpload(r: S3Request): Promise<void> {
  refuseVersionId(r);
  const conditions = writeConditions(r);
  const body = await readSmallBody(r, 8 * 1024 * 1024, { bodyChecksums: false });
  const doc = parseXml(body, 'CompleteMultipartUpload');
  const parts: CompletedPart[] = children(doc, 'Part').map((p) => {
    const n = childText(p, 'PartNumber');
    const etag = childText(p, 'ETag');
    if (n === undefined || !/^\d+$/.test(n) || etag === undefined) {
      throw new StowageError(
        'E_MALFORMED_XML',
        'every <Part> needs a numeric <PartNumber> and an <ETag>',
      );
    }
    const checksums = partChecksums(p);
    return { partNumber: Number(n), etag, ...(Object.keys(checksums).length ? { checksums } : {}) };
  });
  const bucket = bucketOf(r);
  const key = keyOf(r);
  const result = await r.engine.completeMultipartUpload(bucket, key, uploadIdOf(r), parts, {
    checksums: checksumsFrom(r),
    ...completeClaims(r),
    conditions,
  });
  setWrittenVersionHeader(r, result.versionId);
  writeEncryptionHeaders(r.res, result.encryption);
  writeExpirationHeader(r, bucket, writtenObject(r, bucket, key, result));
  const checksums = checksumElements(result.checksums);
  sendXml(r.res, 200, 'CompleteMultipartUploadResult', {
    Location: locationOf(r, bucket, key),
    Bucket: bucket,
    Key: key,
    ETag: result.etag,
    ...checksums,
    ChecksumType: result.checksumType,
  });
}

/**
 * The absolute URL of a completed object, as S3 gives it in CompleteMultipartUpload's
 * Location: the scheme and Host the client used, virtual-hosted when it addressed the bucket
 * in the host name, the key's segments percent-encoded.
 */
function locationOf(r: S3Request, bucket: string, key: string): string {
  const scheme = requestOrigin(r.req).secure ? 'https' : 'http';
  const host = header(r, 'host') ?? '127.0.0.1';
  const path = key.split('/').map(encodeURIComponent).join('/');
  return host.startsWith(`${bucket}.`)
    ? `${scheme}://${host}/${path}`
    : `${scheme}://${host}/${bucket}/${path}`;
}

/** AbortMultipartUpload. */
export async function abortMultipartUpload(r: S3Request): Promise<void> {
  await r.engine.abortMultipartUpload(bucketOf(r), keyOf(r), uploadIdOf(r));
  r.res.statusCode = 204;
  r.res.end();
}

/** ListParts. */
export function listParts(r: S3Request): void {
  const page = r.engine.listParts(bucketOf(r), keyOf(r), uploadIdOf(r), {
    partNumberMarker: intParam(r, 'part-number-marker'),
    maxParts: intParam(r, 'max-parts'),
  });
  sendXml(r.res, 200, 'ListPartsResult', {
    Bucket: page.upload.bucket,
    Key: page.upload.key,
    UploadId: page.upload.uploadId,
    PartNumberMarker: intParam(r, 'part-number-marker') ?? 0,
    // 0 on a page without parts, as S3 writes it.
    NextPartNumberMarker: page.nextPartNumberMarker ?? 0,
    MaxParts: intParam(r, 'max-parts') ?? 1000,
    IsTruncated: page.isTruncated,
    StorageClass: page.upload.storageClass,
    ChecksumAlgorithm: page.upload.checksumAlgorithm,
    ChecksumType: page.upload.checksumType,
    Initiator: initiatorOf(page.upload),
    Owner: OWNER,
    Part: page.parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: p.etag,
      Size: p.size,
      ...checksumElements(p.checksums),
    })),
  });
}
