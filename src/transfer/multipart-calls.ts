/** The small multipart calls shared by uploads and multipart copies. */
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isStowageError, StowageError, toStowageError } from '../errors.js';
import { bareEtag, md5Of } from './hashing.js';
import { etagIsOpaque, expectEtag } from './object-params.js';
import type { Pacer } from './pacer.js';
import { withRetry } from './retry.js';

interface Target {
  client: S3Client;
  pacer: Pacer;
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

/** Every part the store holds for an upload: part number -> ETag (as returned). */
export async function listAllParts(
  t: Target,
  uploadId: string,
  attempts: number,
): Promise<Map<number, string>> {
  const parts = new Map<number, string>();
  let marker: string | undefined;
  for (;;) {
    const page = await withRetry(
      t.pacer,
      () =>
        t.client.send(
          new ListPartsCommand({
            Bucket: t.bucket,
            Key: t.key,
            UploadId: uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
          { abortSignal: t.signal },
        ),
      {
        attempts,
        signal: t.signal,
        target: t,
        what: `listing the parts of s3://${t.bucket}/${t.key}`,
      },
    );
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined && p.ETag) parts.set(p.PartNumber, p.ETag);
    }
    if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
    marker = String(page.NextPartNumberMarker);
  }
}

/**
 * Aborts an upload, never throwing: resolves with the error when it could not be aborted
 * (a key without s3:AbortMultipartUpload, the store unreachable), undefined when it was or
 * is gone already. Callers that cannot say so may ignore it: a lifecycle rule is the backstop.
 */
export async function abortQuietly(
  t: Target,
  uploadId: string,
  attempts: number,
): Promise<StowageError | undefined> {
  try {
    await withRetry(
      t.pacer,
      () =>
        t.client.send(
          new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId }),
        ),
      {
        attempts: Math.min(attempts, 3),
        target: t,
        what: `aborting an upload of s3://${t.bucket}/${t.key}`,
      },
    );
  } catch (err) {
    if (isStowageError(err, 'E_NO_SUCH_UPLOAD')) return undefined;
    return toStowageError(err);
  }
  return undefined;
}

/**
 * The ETag of a just-completed upload. Ceph RGW 16 answers CompleteMultipartUpload with an
 * empty `<ETag></ETag>`; an empty answer is no verification, so the object is asked (HEAD).
 */
export async function completedEtag(
  t: Target,
  res: { ETag?: string; VersionId?: string },
  attempts: number,
): Promise<{ ETag?: string; VersionId?: string; ServerSideEncryption?: string }> {
  if (bareEtag(res.ETag) !== '') return res;
  const head = await withRetry(
    t.pacer,
    () =>
      t.client.send(
        new HeadObjectCommand({
          Bucket: t.bucket,
          Key: t.key,
          ...(res.VersionId ? { VersionId: res.VersionId } : {}),
        }),
        { abortSignal: t.signal },
      ),
    { attempts, signal: t.signal, target: t, what: `reading s3://${t.bucket}/${t.key}` },
  );
  return { ...head, ...(res.VersionId ? { VersionId: res.VersionId } : {}) };
}

/** One stored part: its ETag as the store gave it, its MD5 (hex), whether the ETag is opaque. */
export interface SentPart {
  etag: string;
  md5: string;
  /** SSE-KMS/SSE-C: the ETag is no MD5, so this part (and the upload) cannot be checked. */
  opaque: boolean;
}

/**
 * UploadPart `n` of `body`, with Content-MD5, through the pacer and its retries; the ETag
 * the store answers is checked against the MD5 unless it is opaque.
 *
 * @throws StowageError E_CHECKSUM_MISMATCH when the ETag is another MD5.
 */
export async function uploadPartChecked(
  t: Target,
  uploadId: string,
  n: number,
  body: Buffer,
  attempts: number,
  what: string,
): Promise<SentPart> {
  const md5 = md5Of(body);
  const label = `${what} (part ${n})`;
  const res = await withRetry(
    t.pacer,
    async () => {
      await t.pacer.acquireBytes(body.length, t.signal);
      return t.client.send(
        new UploadPartCommand({
          Bucket: t.bucket,
          Key: t.key,
          UploadId: uploadId,
          PartNumber: n,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5.base64,
        }),
        { abortSignal: t.signal },
      );
    },
    { attempts, signal: t.signal, target: t, what: label },
  );
  const opaque = etagIsOpaque(res);
  if (!opaque) expectEtag(res.ETag, md5.hex, label);
  return { etag: res.ETag ?? '', md5: md5.hex, opaque };
}

/** The fields of a CreateMultipartUpload besides the bucket and key (metadata, class …). */
export type UploadFields = Omit<
  ConstructorParameters<typeof CreateMultipartUploadCommand>[0],
  'Bucket' | 'Key'
>;

/**
 * CreateMultipartUpload through the pacer and its retries; resolves with the upload id.
 *
 * @throws StowageError E_INTERNAL when the store answers without an UploadId.
 */
export async function startUpload(
  t: Target,
  fields: UploadFields,
  attempts: number,
  what: string,
): Promise<string> {
  const res = await withRetry(
    t.pacer,
    () =>
      t.client.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ...fields }), {
        abortSignal: t.signal,
      }),
    { attempts, signal: t.signal, target: t, what },
  );
  if (!res.UploadId) throw new StowageError('E_INTERNAL', 'the store returned no UploadId');
  return res.UploadId;
}

/**
 * Puts `tagging` (the `x-amz-tagging` form its CreateMultipartUpload carried) on the version
 * a multipart upload just completed. Ceph RGW 16 ignores that header on
 * CreateMultipartUpload and completes the object with no tags, silently; S3 and stowage
 * serve keep them and get the same tags again (one request per tagged multipart upload).
 */
export async function tagCompleted(
  t: Target,
  tagging: string | undefined,
  versionId: string | undefined,
  attempts: number,
  what: string,
): Promise<void> {
  if (!tagging) return;
  const TagSet = [...new URLSearchParams(tagging)].map(([Key, Value]) => ({ Key, Value }));
  await withRetry(
    t.pacer,
    () =>
      t.client.send(
        new PutObjectTaggingCommand({
          Bucket: t.bucket,
          Key: t.key,
          ...(versionId ? { VersionId: versionId } : {}),
          Tagging: { TagSet },
        }),
        { abortSignal: t.signal },
      ),
    { attempts, signal: t.signal, target: t, what: `${what} (its tags)` },
  );
}
