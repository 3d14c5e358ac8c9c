/**
 * The resumable multipart upload of one file. The file is hashed (SHA-256) in one read
 * pass first, because S3 fixes metadata at CreateMultipartUpload; then parts are read,
 * MD5'd and sent with Content-MD5, `concurrency` at a time, and the resume state is
 * saved after each. A re-run with the same file (same size, mtime and SHA-256) asks the
 * store which parts it holds (ListParts), sends only the missing ones and completes.
 */
import { CompleteMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { StowageError, isStowageError } from '../errors.js';
import { bareEtag, hashFileSha256, multipartEtag } from './hashing.js';
import { META_SHA256 } from './types.js';
import { readRange, type SourceFile } from './local-file.js';
import {
  abortQuietly,
  completedEtag,
  listAllParts,
  startUpload,
  tagCompleted,
  uploadPartChecked,
} from './multipart-calls.js';
import { etagIsOpaque, expectEtag, writeParams } from './object-params.js';
import { runPool } from './pool.js';
import { ProgressTracker } from './progress.js';
import {
  loadUploadState,
  removeStateFile,
  stateFileFor,
  StateWriter,
  type UploadState,
} from './resume-state.js';
import { withRetry } from './retry.js';
import type { UploadFileOptions } from './upload.js';
import { taggingHeader } from './validate.js';
import path from 'node:path';

interface Settings {
  concurrency: number;
  partSizeBytes: number;
  attempts: number;
  contentType: string;
}

/** What the multipart path reports back to uploadFile. */
export interface MultipartOutcome {
  etag: string;
  sha256: string;
  resumedParts: number;
  uploadedParts: number;
  versionId?: string;
}

/** A saved upload this run may continue, with the parts the store confirmed. */
async function resumable(
  o: UploadFileOptions,
  file: SourceFile,
  stateFile: string,
  attempts: number,
): Promise<{ state: UploadState; confirmed: Set<number> } | undefined> {
  const state = await loadUploadState(stateFile);
  if (!state) return undefined;
  const same =
    state.bucket === o.bucket &&
    state.key === o.key &&
    state.sizeBytes === file.sizeBytes &&
    state.mtimeMs === file.mtimeMs &&
    // Size and mtime say little: `cp -p`, `rsync -t` and `tar x` put an old mtime back on
    // new bytes. The hash the upload will be completed with must be this file's, and a
    // fresh upload reads the file for it anyway.
    (await hashFileSha256(o.path, { signal: o.signal })) === state.sha256;
  if (!same) {
    // The file changed since: its old parts are useless, and an open upload costs money.
    await abortQuietly(o, state.uploadId, attempts);
    await removeStateFile(stateFile);
    return undefined;
  }
  let listed: Map<number, string>;
  try {
    listed = await listAllParts(o, state.uploadId, attempts);
  } catch (err) {
    if (!isStowageError(err, 'E_NO_SUCH_UPLOAD')) throw err;
    await removeStateFile(stateFile);
    return undefined;
  }
  const confirmed = new Set<number>();
  for (const [n, etag] of listed) {
    // Only parts whose ETag we recorded after checking it; anything else is sent again.
    if (state.parts[String(n)]?.etag === etag) confirmed.add(n);
  }
  return { state, confirmed };
}

async function createUpload(
  o: UploadFileOptions,
  file: SourceFile,
  s: Settings,
  progress: ProgressTracker,
): Promise<UploadState> {
  progress.setPhase('hashing', 0);
  const sha256 = await hashFileSha256(o.path, { signal: o.signal });
  const uploadId = await startUpload(
    o,
    writeParams(o, s.contentType, file.mtimeMs, sha256),
    s.attempts,
    `upload of ${o.path} to s3://${o.bucket}/${o.key}`,
  );
  return {
    version: 1,
    bucket: o.bucket,
    key: o.key,
    path: path.resolve(o.path),
    uploadId,
    partSizeBytes: s.partSizeBytes,
    sizeBytes: file.sizeBytes,
    mtimeMs: file.mtimeMs,
    sha256,
    parts: {},
  };
}

/** Uploads `file` in parts; see the module comment. */
export async function uploadMultipart(
  o: UploadFileOptions,
  file: SourceFile,
  s: Settings,
): Promise<MultipartOutcome> {
  const stateFile = o.stateDir ? stateFileFor(o.stateDir, o.bucket, o.key, o.path) : undefined;
  const resumed = stateFile ? await resumable(o, file, stateFile, s.attempts) : undefined;
  const partSize = resumed?.state.partSizeBytes ?? s.partSizeBytes;
  const partCount = Math.ceil(file.sizeBytes / partSize);
  const sizeOf = (n: number) => Math.min(partSize, file.sizeBytes - (n - 1) * partSize);
  const confirmed = resumed?.confirmed ?? new Set<number>();
  const resumedBytes = [...confirmed].reduce((sum, n) => sum + sizeOf(n), 0);
  const progress = new ProgressTracker(o.key, file.sizeBytes, resumedBytes, o.onProgress);
  const state =
    resumed?.state ?? (await createUpload(o, file, { ...s, partSizeBytes: partSize }, progress));
  // Parts the store holds but we cannot vouch for are forgotten, so they are sent again.
  for (const n of Object.keys(state.parts)) if (!confirmed.has(Number(n))) delete state.parts[n];
  const writer = stateFile ? new StateWriter(stateFile, state) : undefined;
  await writer?.init();
  progress.setPhase('transferring', resumedBytes);

  const what = `upload of ${o.path} to s3://${o.bucket}/${o.key}`;
  const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter(
    (n) => !confirmed.has(n),
  );
  const md5s = new Map<number, string>();
  for (const n of confirmed) md5s.set(n, state.parts[String(n)]!.md5);
  let opaque = false;
  try {
    await runPool(missing, s.concurrency, async (n) => {
      o.signal?.throwIfAborted();
      const body = await readRange(file, o.path, (n - 1) * partSize, sizeOf(n));
      const sent = await uploadPartChecked(o, state.uploadId, n, body, s.attempts, what);
      if (sent.opaque) opaque = true;
      md5s.set(n, sent.md5);
      state.parts[String(n)] = { md5: sent.md5, etag: sent.etag };
      writer?.recordPart(n, sent.md5, sent.etag);
      progress.add(body.length);
    });
    await writer?.flush();
    await checkUnchanged(file, o.path);
    const parts = Array.from({ length: partCount }, (_, i) => state.parts[String(i + 1)]!);
    const res = await completedEtag(
      o,
      await completeUpload(o, state.uploadId, parts, state.sha256, s.attempts, what),
      s.attempts,
    );
    const partMd5s = Array.from({ length: partCount }, (_, i) => md5s.get(i + 1)!);
    if (!opaque && !etagIsOpaque(res)) expectEtag(res.ETag, multipartEtag(partMd5s), what);
    await tagCompleted(o, taggingHeader(o.tags), res.VersionId, s.attempts, what);
    await writer?.remove();
    progress.finish();
    return {
      etag: (res.ETag ?? '').replace(/"/g, ''),
      sha256: state.sha256,
      resumedParts: confirmed.size,
      uploadedParts: missing.length,
      ...(res.VersionId ? { versionId: res.VersionId } : {}),
    };
  } catch (err) {
    await writer?.flush().catch(() => undefined);
    // Without a state directory nobody can resume this upload: do not leave it open.
    if (!writer) await abortQuietly(o, state.uploadId, s.attempts);
    throw err;
  }
}

/** The file must still be what was hashed: same size and mtime as when it was opened. */
async function checkUnchanged(file: SourceFile, filePath: string): Promise<void> {
  const st = await file.handle.stat();
  if (st.size !== file.sizeBytes || Math.round(st.mtimeMs) !== file.mtimeMs) {
    throw new StowageError(
      'E_LOCAL_CHANGED',
      `${filePath} changed during the upload; run it again to upload the new content`,
      { details: { path: filePath } },
    );
  }
}

/**
 * CompleteMultipartUpload of `parts` (part 1 first). If an attempt completed the upload
 * but its answer was lost, the retry gets NoSuchUpload; the object is then checked (HEAD:
 * the expected multipart ETag, and our SHA-256 when the upload stored one) and, if it is
 * ours, that counts as success.
 */
export async function completeUpload(
  o: Pick<UploadFileOptions, 'client' | 'pacer' | 'bucket' | 'key' | 'signal'>,
  uploadId: string,
  parts: readonly { etag: string; md5: string }[],
  sha256: string | undefined,
  attempts: number,
  what: string,
): Promise<{ ETag?: string; VersionId?: string; ServerSideEncryption?: string }> {
  const Parts = parts.map((p, i) => ({ PartNumber: i + 1, ETag: p.etag }));
  let attempted = 0;
  try {
    return await withRetry(
      o.pacer,
      () => {
        attempted += 1;
        return o.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: o.bucket,
            Key: o.key,
            UploadId: uploadId,
            MultipartUpload: { Parts },
          }),
          { abortSignal: o.signal },
        );
      },
      { attempts, signal: o.signal, target: o, what },
    );
  } catch (err) {
    if (attempted < 2 || !isStowageError(err, 'E_NO_SUCH_UPLOAD')) throw err;
    const head = await withRetry(
      o.pacer,
      () => o.client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.key })),
      { attempts, signal: o.signal, target: o, what },
    ).catch(() => undefined);
    const ours =
      (sha256 === undefined || head?.Metadata?.[META_SHA256] === sha256) &&
      (etagIsOpaque(head ?? {}) || bareEtag(head?.ETag) === multipartEtag(parts.map((p) => p.md5)));
    if (!ours || !head) throw err;
    return head;
  }
}
