/** The single PutObject of a file or a short stream, with every check an upload makes. */
import { putObject } from '../client/fast-path/put-object.js';
import { md5Of, sha256Of } from './hashing.js';
import { etagIsOpaque, expectEtag, writeParams } from './object-params.js';
import { ProgressTracker } from './progress.js';
import { withRetry } from './retry.js';
import type { ObjectProperties, TransferBase } from './types.js';

/** Where the object goes, and how to store it. */
export interface PutTarget extends TransferBase, ObjectProperties {
  bucket: string;
  key: string;
}

/**
 * PutObject of `body` with Content-MD5 and `stowage-sha256` (and `stowage-mtime` when the
 * body is a file's), through the pacer and its retries; the ETag the store answers is
 * checked unless it is opaque (SSE-KMS, SSE-C). One read serves the hashes and the body.
 *
 * @throws StowageError E_CHECKSUM_MISMATCH when the store's ETag is another MD5.
 */
export async function putChecked(
  o: PutTarget,
  body: Buffer,
  p: { contentType: string; mtimeMs: number | undefined; attempts: number; what: string },
): Promise<{ etag: string; sha256: string; versionId?: string }> {
  const sha256 = sha256Of(body);
  const md5 = md5Of(body);
  const progress = new ProgressTracker(o.key, body.length, 0, o.onProgress);
  const res = await withRetry(
    o.pacer,
    async () => {
      await o.pacer.acquireBytes(body.length, o.signal);
      return putObject(
        o.client,
        {
          Bucket: o.bucket,
          Key: o.key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5.base64,
          ...writeParams(o, p.contentType, p.mtimeMs, sha256),
        },
        o.signal,
      );
    },
    { attempts: p.attempts, signal: o.signal, target: o, what: p.what },
  );
  if (!etagIsOpaque(res)) expectEtag(res.ETag, md5.hex, p.what);
  progress.finish();
  return {
    etag: (res.ETag ?? '').replace(/"/g, ''),
    sha256,
    ...(res.VersionId ? { versionId: res.VersionId } : {}),
  };
}
