/**
 * Store-to-store copy within one store (one client): CopyObject up to 5 GiB, a multipart
 * copy (UploadPartCopy with If-Match on the source ETag) above it. Metadata is kept unless
 * the directive is REPLACE (which keeps `stowage-mtime`/`stowage-sha256`: same bytes).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { destinationFields, directiveFor, type MetadataDirective } from './copy-params.js';
import { abortQuietly, startUpload, tagCompleted, type UploadFields } from './multipart-calls.js';
import { runPool } from './pool.js';
import { ProgressTracker } from './progress.js';
import { withRetry } from './retry.js';
import { headSource, sourceTagging, type CopySource, type SourceInfo } from './source-head.js';
import { MAX_PART_SIZE_BYTES, type ObjectProperties, type TransferBase } from './types.js';
import {
  checkProperties,
  checkTarget,
  partSizeFor,
  taggingHeader,
  transferSettings,
} from './validate.js';

/** Options of {@link copyObject}. */
export interface CopyObjectOptions extends TransferBase, ObjectProperties {
  source: CopySource;
  /** Destination bucket. */
  bucket: string;
  /** Destination key. */
  key: string;
  /** Default COPY, or REPLACE when metadata, contentType or cacheControl is given. */
  metadataDirective?: MetadataDirective;
  /** Objects larger than this are copied in parts. Default 5 GiB (S3's CopyObject limit). */
  multipartThresholdBytes?: number;
}

/** What a copy did. */
export interface CopyResult {
  key: string;
  sizeBytes: number;
  etag: string;
  durationMs: number;
  method: 'copy-object' | 'multipart-copy' | 'get-put' | 'get-multipart';
  versionId?: string;
}

/**
 * Copies `source` to `s3://bucket/key` in the same store.
 *
 * @example
 * await copyObject({ client, pacer, source: { bucket: 'incoming', key: 'a.png' },
 *   bucket: 'assets', key: 'img/a.png', storageClass: 'STANDARD_IA' });
 */
export async function copyObject(o: CopyObjectOptions): Promise<CopyResult> {
  const started = Date.now();
  checkTarget(o.source?.bucket, o.source?.key, 'source.');
  checkTarget(o.bucket, o.key);
  checkProperties(o);
  const s = transferSettings(o);
  const directive = directiveFor(o.metadataDirective, o);
  const src = await headSource(o.client, o.pacer, o.source, s.attempts, o.signal);
  const threshold = o.multipartThresholdBytes ?? MAX_PART_SIZE_BYTES;
  const progress = new ProgressTracker(o.key, src.sizeBytes, 0, o.onProgress);
  const what = `copy of s3://${o.source.bucket}/${o.source.key} to s3://${o.bucket}/${o.key}`;
  if (src.sizeBytes <= threshold) {
    const tagging = taggingHeader(o.tags);
    const fields = destinationFields(src, o, directive);
    const res = await withRetry(
      o.pacer,
      () =>
        o.client.send(
          new CopyObjectCommand({
            Bucket: o.bucket,
            Key: o.key,
            CopySource: copySourceHeader(o.source),
            CopySourceIfMatch: src.etag,
            MetadataDirective: directive,
            ...(directive === 'REPLACE' ? fields : {}),
            ...(o.storageClass !== undefined ? { StorageClass: o.storageClass } : {}),
            ...(o.sse !== undefined ? { ServerSideEncryption: o.sse } : {}),
            ...(o.sseKmsKeyId !== undefined ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
            ...(tagging ? { TaggingDirective: 'REPLACE', Tagging: tagging } : {}),
          } as ConstructorParameters<typeof CopyObjectCommand>[0]),
          { abortSignal: o.signal },
        ),
      { attempts: s.attempts, signal: o.signal, target: o, what },
    );
    progress.finish();
    return {
      key: o.key,
      sizeBytes: src.sizeBytes,
      etag: (res.CopyObjectResult?.ETag ?? '').replace(/"/g, ''),
      durationMs: Date.now() - started,
      method: 'copy-object',
      ...(res.VersionId ? { versionId: res.VersionId } : {}),
    };
  }
  const r = await multipartCopy(o, src, directive, s, progress, what);
  return { ...r, key: o.key, sizeBytes: src.sizeBytes, durationMs: Date.now() - started };
}

/** The `x-amz-copy-source` value: bucket/key, URL-encoded, with the version. */
export function copySourceHeader(src: CopySource): string {
  const path = `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}`;
  return src.versionId ? `${path}?versionId=${encodeURIComponent(src.versionId)}` : path;
}

async function multipartCopy(
  o: CopyObjectOptions,
  src: SourceInfo,
  directive: MetadataDirective,
  s: { concurrency: number; partSizeBytes: number; attempts: number },
  progress: ProgressTracker,
  what: string,
): Promise<{ etag: string; method: 'multipart-copy'; versionId?: string }> {
  const fields = destinationFields(src, o, directive);
  // CopyObject carries tags over by itself; a multipart copy has to read and send them.
  if (!fields.Tagging) {
    const t = await sourceTagging(o.client, o.pacer, o.source, s.attempts, o.signal);
    if (t) fields.Tagging = t;
  }
  const uploadId = await startUpload(o, fields as UploadFields, s.attempts, what);
  const partSize = partSizeFor(src.sizeBytes, s.partSizeBytes);
  const count = Math.ceil(src.sizeBytes / partSize);
  const etags: string[] = new Array<string>(count);
  try {
    const numbers = Array.from({ length: count }, (_, i) => i + 1);
    await runPool(numbers, s.concurrency, async (n) => {
      const first = (n - 1) * partSize;
      const last = Math.min(src.sizeBytes, first + partSize) - 1;
      const res = await withRetry(
        o.pacer,
        () =>
          o.client.send(
            new UploadPartCopyCommand({
              Bucket: o.bucket,
              Key: o.key,
              UploadId: uploadId,
              PartNumber: n,
              CopySource: copySourceHeader(o.source),
              CopySourceIfMatch: src.etag,
              CopySourceRange: `bytes=${first}-${last}`,
            }),
            { abortSignal: o.signal },
          ),
        { attempts: s.attempts, signal: o.signal, target: o, what: `${what} (part ${n})` },
      );
      etags[n - 1] = res.CopyPartResult?.ETag ?? '';
      progress.add(last - first + 1);
    });
    const done = await withRetry(
      o.pacer,
      () =>
        o.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: o.bucket,
            Key: o.key,
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
          { abortSignal: o.signal },
        ),
      { attempts: s.attempts, signal: o.signal, target: o, what },
    );
    await tagCompleted(o, fields.Tagging as string | undefined, done.VersionId, s.attempts, what);
    progress.finish();
    return {
      etag: (done.ETag ?? '').replace(/"/g, ''),
      method: 'multipart-copy',
      ...(done.VersionId ? { versionId: done.VersionId } : {}),
    };
  } catch (err) {
    await abortQuietly(o, uploadId, s.attempts);
    throw err;
  }
}
