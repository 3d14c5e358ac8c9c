/**
 * CopyObject: the source's bytes are streamed through the same verified write path as a
 * PUT, so the copy gets its own blob, a plain MD5 ETag (as S3 gives a copied multipart
 * object) and fresh checksums, and a corrupt source is caught rather than copied.
 */
import { StowageError } from '../../errors.js';
import { readSegments } from '../blobs/read-blobs.js';
import { writeBlob } from '../blobs/write-blob.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { checkReadConditions } from '../conditions.js';
import { assertKey } from '../names.js';
import { segmentsOf } from '../rows.js';
import type {
  ChecksumValues,
  CopyObjectOptions,
  CopyObjectResult,
  ObjectHeaders,
} from '../types.js';
import {
  blobEncryption,
  encryptionField,
  encryptionOf,
  keysFor,
  resolveFor,
} from './encryption.js';
import { algorithmsFor } from './input.js';
import { checkCurrentConditions, latestRow, newVersionId } from './placement.js';
import { lockAttribute } from './object-lock.js';
import { commitSingleBlob, versionAttributes } from './put.js';
import { assertReadable, resolveVersion } from './read.js';

/** Copies one object version to a new key (or onto itself to change its attributes). */
export async function copyObject(
  ctx: EngineContext,
  srcBucket: string,
  srcKey: string,
  dstBucket: string,
  dstKey: string,
  options: CopyObjectOptions = {},
): Promise<CopyObjectResult> {
  requireBucket(ctx, dstBucket);
  assertKey(dstKey);
  const src = resolveVersion(ctx, srcBucket, srcKey, options.sourceVersionId, true);
  checkReadConditions(options.sourceConditions, src.etag, new Date(src.created_at), true);
  assertReadable(ctx, src);
  const sourceKeys = keysFor(
    ctx,
    encryptionOf(src.encryption),
    options.sourceCustomerKey,
    'source',
  );
  const replaceMeta = options.metadataDirective === 'REPLACE';
  if (
    options.metadataDirective !== undefined &&
    options.metadataDirective !== 'COPY' &&
    !replaceMeta
  ) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `metadata directive must be COPY or REPLACE, got "${String(options.metadataDirective)}"`,
    );
  }
  if (
    options.taggingDirective !== undefined &&
    options.taggingDirective !== 'COPY' &&
    options.taggingDirective !== 'REPLACE'
  ) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `tagging directive must be COPY or REPLACE, got "${String(options.taggingDirective)}"`,
    );
  }
  const attrs = {
    ...versionAttributes({
      headers: replaceMeta ? options.headers : copiedHeaders(src.headers, options.headers),
      metadata: replaceMeta ? options.metadata : JSON.parse(src.metadata),
      tags: options.taggingDirective === 'REPLACE' ? options.tags : JSON.parse(src.tags),
      storageClass: options.storageClass,
      acl: options.acl,
    }),
    ...lockAttribute(ctx, dstBucket, options.lock),
  };
  const current = latestRow(ctx, dstBucket, dstKey);
  const ontoItself =
    srcBucket === dstBucket &&
    srcKey === dstKey &&
    (options.sourceVersionId === undefined || current?.id === src.id);
  const encryption = resolveFor(ctx, dstBucket, options.encryption);
  const sameEncryption =
    JSON.stringify(encryption ?? null) === JSON.stringify(encryptionOf(src.encryption) ?? null);
  const newRedirect = options.headers?.websiteRedirectLocation !== undefined;
  if (
    ontoItself &&
    !replaceMeta &&
    !newRedirect &&
    // Naming a storage class, even the object's own, makes a copy in place legal (S3 allows
    // it), and so does a restored copy of an archived object.
    options.storageClass === undefined &&
    src.restore === null &&
    sameEncryption &&
    !options.encryptionStated
  ) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'This copy request is illegal because it is trying to copy an object to itself without changing the ' +
        "object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (src.size > ctx.limits.maxPutSizeBytes) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      `the copy source is ${src.size} bytes, larger than the ${ctx.limits.maxPutSizeBytes} bytes a single copy allows; use a multipart copy`,
    );
  }
  // Fail fast on a destination condition that already does not hold (as PutObject does),
  // before any byte is copied; it is checked again at commit.
  checkCurrentConditions(ctx, dstBucket, dstKey, options.conditions);
  const versionId =
    requireBucket(ctx, dstBucket).versioning === 'Enabled' ? newVersionId() : 'null';
  options.onStart?.({
    sourceVersionId: src.version_id,
    versionId,
    ...encryptionField(encryption),
    size: src.size,
    tags: attrs.tags,
  });
  // The source's bytes are held (a read lease on its files, its inline bytes read) before
  // anything is awaited: a delete or overwrite of the source committed meanwhile must not
  // take them away (the copy then completes, as on S3).
  const segments = segmentsOf(src);
  const release = ctx.blobs.acquire(segments.map((s) => s.b));
  const body = readSegments(ctx.blobs, segments, 0, src.size - 1, release, sourceKeys);
  let sealing: Awaited<ReturnType<typeof blobEncryption>>;
  try {
    sealing = await blobEncryption(ctx, encryption, options.customerKey);
  } catch (err) {
    body.destroy();
    throw err;
  }
  // The copy gets the algorithm asked for, instead of the source's (as in S3), else the
  // source's, computed afresh over the whole object.
  const blob = await writeBlob(ctx.blobs, body, {
    expectedLength: src.size,
    maxLength: ctx.limits.maxPutSizeBytes,
    algorithms: algorithmsFor(
      options.checksumAlgorithm,
      options.checksumAlgorithm ? undefined : (JSON.parse(src.checksums) as ChecksumValues),
    ),
    verify: (d) => {
      if (src.sha256 && d.sha256.toString('hex') !== src.sha256) {
        throw new StowageError(
          'E_DATA_CORRUPT',
          `the stored bytes of "${srcKey}" do not match their SHA-256`,
          {
            details: { bucket: srcBucket, key: srcKey },
          },
        );
      }
    },
    ...(sealing ? { encrypt: sealing.encrypt } : {}),
    allowInline: true,
  }).finally(() => body.destroy());
  const r = await commitSingleBlob(
    ctx,
    dstBucket,
    dstKey,
    blob,
    attrs,
    options.conditions,
    encryption,
    { versionId, ...(options.onVersionChange ? { changed: options.onVersionChange } : {}) },
  );
  return {
    etag: r.etag,
    versionId: r.versionId,
    size: r.size,
    checksums: r.checksums,
    ...(r.checksumType ? { checksumType: r.checksumType } : {}),
    ...(r.encryption ? { encryption: r.encryption } : {}),
    lastModified: new Date(r.createdAt),
    sourceVersionId: src.version_id,
  };
}

/**
 * The standard headers of a copy made with the COPY directive: the source's, except its
 * website redirect location, which S3 never copies (it is unique to each object); the copy
 * request may give a new one.
 */
function copiedHeaders(sourceJson: string, requested: ObjectHeaders | undefined): ObjectHeaders {
  const { websiteRedirectLocation: _dropped, ...headers } = JSON.parse(sourceJson) as ObjectHeaders;
  const redirect = requested?.websiteRedirectLocation;
  return redirect !== undefined ? { ...headers, websiteRedirectLocation: redirect } : headers;
}
