/**
 * Copy between two stores (two clients): ranged GETs from the source streamed into a
 * PutObject or a multipart upload on the destination, no local disk. Every part is sent
 * with Content-MD5 and its ETag checked; when the source carries `stowage-sha256`, the
 * bytes are hashed in order and checked before the upload is completed, so a damaged
 * copy is never made visible.
 */
import {
  CompleteMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StowageError } from '../errors.js';
import { fetchChunks } from './chunks.js';
import { destinationFields, directiveFor, type MetadataDirective } from './copy-params.js';
import type { CopyResult } from './copy.js';
import { md5Of, multipartEtag, OrderedHasher, sha256Of } from './hashing.js';
import {
  abortQuietly,
  completedEtag,
  startUpload,
  tagCompleted,
  uploadPartChecked,
  type UploadFields,
} from './multipart-calls.js';
import { etagIsOpaque, expectEtag } from './object-params.js';
import { ProgressTracker } from './progress.js';
import { getRange } from './ranged-get.js';
import { withRetry } from './retry.js';
import { headSource, sourceTagging, type CopySource } from './source-head.js';
import { META_SHA256, type ObjectProperties, type TransferBase } from './types.js';
import { checkProperties, checkTarget, partSizeFor, transferSettings } from './validate.js';

/** Options of {@link copyAcrossStores}. `client` is the destination's client. */
export interface CrossCopyOptions extends TransferBase, ObjectProperties {
  source: CopySource & { client: S3Client };
  bucket: string;
  key: string;
  metadataDirective?: MetadataDirective;
}

/**
 * Copies an object from one store to another.
 *
 * @example
 * await copyAcrossStores({ pacer, source: { client: local, bucket: 'assets', key: 'a.png' },
 *   client: aws, bucket: 'studio-assets', key: 'a.png' });
 */
export async function copyAcrossStores(o: CrossCopyOptions): Promise<CopyResult> {
  const started = Date.now();
  checkTarget(o.source?.bucket, o.source?.key, 'source.');
  checkTarget(o.bucket, o.key);
  checkProperties(o);
  const s = transferSettings(o);
  const directive = directiveFor(o.metadataDirective, o);
  const src = await headSource(o.source.client, o.pacer, o.source, s.attempts, o.signal);
  const fields = destinationFields(src, o, directive);
  if (!fields.Tagging) {
    const t = await sourceTagging(o.source.client, o.pacer, o.source, s.attempts, o.signal);
    if (t) fields.Tagging = t;
  }
  const what = `copy of s3://${o.source.bucket}/${o.source.key} to s3://${o.bucket}/${o.key}`;
  const progress = new ProgressTracker(o.key, src.sizeBytes, 0, o.onProgress);
  const range = {
    client: o.source.client,
    pacer: o.pacer,
    bucket: o.source.bucket,
    key: o.source.key,
    etag: src.etag,
    sizeBytes: src.sizeBytes,
    attempts: s.attempts,
    ...(src.versionId ? { versionId: src.versionId } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const wantSha = src.metadata[META_SHA256]?.toLowerCase();
  const checkSha = (got: string) => {
    if (wantSha && got !== wantSha) {
      throw new StowageError(
        'E_CHECKSUM_MISMATCH',
        `${what}: the bytes read have SHA-256 ${got}, but the source's stowage-sha256 is ${wantSha}; nothing was written`,
        { details: { expected: wantSha, actual: got } },
      );
    }
  };
  const partSize = partSizeFor(src.sizeBytes, s.partSizeBytes);
  const send = <T>(fn: () => Promise<T>, label = what) =>
    withRetry(o.pacer, fn, { attempts: s.attempts, signal: o.signal, target: o, what: label });

  if (src.sizeBytes <= partSize) {
    const body =
      src.sizeBytes === 0 ? Buffer.alloc(0) : await getRange(range, 0, src.sizeBytes, progress);
    checkSha(sha256Of(body));
    const md5 = md5Of(body);
    const res = await send(async () => {
      await o.pacer.acquireBytes(body.length, o.signal);
      return o.client.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: o.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5.base64,
          ...fields,
        } as ConstructorParameters<typeof PutObjectCommand>[0]),
        { abortSignal: o.signal },
      );
    });
    if (!etagIsOpaque(res)) expectEtag(res.ETag, md5.hex, what);
    progress.finish();
    return {
      key: o.key,
      sizeBytes: src.sizeBytes,
      etag: (res.ETag ?? '').replace(/"/g, ''),
      durationMs: Date.now() - started,
      method: 'get-put',
      ...(res.VersionId ? { versionId: res.VersionId } : {}),
    };
  }

  const uploadId = await startUpload(o, fields as UploadFields, s.attempts, what);
  const count = Math.ceil(src.sizeBytes / partSize);
  const parts: { md5: string; etag: string }[] = new Array(count);
  let opaque = false;
  // Only the SHA-256 of the whole object is checked; each part's MD5 is computed on its own.
  const hasher = new OrderedHasher(0, { md5: false });
  try {
    await fetchChunks({
      from: 0,
      sizeBytes: src.sizeBytes,
      chunkBytes: partSize,
      concurrency: s.concurrency,
      hasher,
      fetch: (offset, length, into) => getRange(range, offset, length, undefined, into),
      write: async (offset, body) => {
        const n = offset / partSize + 1;
        const sent = await uploadPartChecked(o, uploadId, n, body, s.attempts, what);
        if (sent.opaque) opaque = true;
        parts[n - 1] = sent;
        progress.add(body.length);
      },
      onPrefix: () => undefined,
    });
    checkSha(hasher.digest().sha256);
    const completed = await send(() =>
      o.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: o.bucket,
          Key: o.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p, i) => ({ ETag: p.etag, PartNumber: i + 1 })) },
        }),
        { abortSignal: o.signal },
      ),
    );
    const done = await completedEtag(o, completed, s.attempts);
    if (!opaque && !etagIsOpaque(done))
      expectEtag(done.ETag, multipartEtag(parts.map((p) => p.md5)), what);
    await tagCompleted(o, fields.Tagging as string | undefined, done.VersionId, s.attempts, what);
    progress.finish();
    return {
      key: o.key,
      sizeBytes: src.sizeBytes,
      etag: (done.ETag ?? '').replace(/"/g, ''),
      durationMs: Date.now() - started,
      method: 'get-multipart',
      ...(done.VersionId ? { versionId: done.VersionId } : {}),
    };
  } catch (err) {
    await abortQuietly({ ...o, bucket: o.bucket, key: o.key }, uploadId, s.attempts);
    throw err;
  }
}
